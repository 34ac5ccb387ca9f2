"""[[watch]] in the config file (one line per problem naming the dotted key) and bot_errors in
`binance-healthcheck check`: what was written since the last run, or the last `window` seconds
on the first run."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import run_cli

from healthcheck.config import ConfigError, load_config
from healthcheck.model.result import Status

BASE = """
[[accounts]]
name = "main"
api_key = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
api_secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
"""


def load(tmp_path: Path, watch: str):
    p = tmp_path / "c.toml"
    p.write_text(BASE + watch)
    p.chmod(0o600)
    return load_config(p)


def test_valid_watch_entries(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        """
[[watch]]
account = "main"
path = "/var/log/freqtrade.log"
window = 600
threshold = 2
severity = { "-2013" = "ok", "-1008" = "critical" }
product = "usdm"

[[watch]]
account = "main"
command = ["docker", "logs", "--follow", "--since", "0s", "freqtrade"]

[[watch]]
account = "main"
unit = "mybot.service"
""",
    )
    w = cfg.watch
    assert len(w) == 3 and w[0].window == 600 and w[0].threshold == 2
    assert w[0].severity == {-2013: Status.OK, -1008: Status.CRITICAL}
    assert w[1].command[0] == "docker" and w[2].unit == "mybot.service"
    assert w[2].window == 300 and w[2].threshold == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('account = "other"\npath = "/x.log"', "watch[0].account: 'other' is not a configured"),
        ('path = "/x.log"', "watch[0].account: required"),
        ('account = "main"', "watch[0]: needs exactly one of path, command or unit"),
        ('account = "main"\npath = "/x"\nunit = "a.service"', "(has path, unit)"),
        ('account = "main"\npath = "rel.log"', "watch[0].path: 'rel.log' must be an absolute path"),
        ('account = "main"\ncommand = []', "watch[0].command: must be a non-empty array"),
        ('account = "main"\nunit = "bad unit;rm"', "watch[0].unit:"),
        ('account = "main"\npath = "/x"\nwindow = 0', "watch[0].window: 0 must be"),
        ('account = "main"\npath = "/x"\nthreshold = 1.5', "watch[0].threshold: 1.5 must be"),
        ('account = "main"\npath = "/x"\nseverity = { "abc" = "ok" }', "watch[0].severity.abc:"),
        (
            'account = "main"\npath = "/x"\nseverity = { "-2013" = "loud" }',
            "watch[0].severity.-2013: unknown status 'loud'",
        ),
        ('account = "main"\npath = "/x"\nproduct = "margin"', "watch[0].product: 'margin'"),
        ('account = "main"\npath = "/x"\npaht = "/y"', "watch[0].paht: unknown key"),
    ],
)
def test_watch_problems_name_the_dotted_key(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, "[[watch]]\n" + text + "\n")
    assert any(
        problem in p and p.startswith(str(tmp_path / "c.toml")) for p in exc.value.problems
    ), exc.value.problems


ERR = (
    "{ts} - freqtrade.exchange.exchange - WARNING - Could not place buy order due to "
    'BadRequest. Message: binance {{"code":-1013,"msg":"Filter failure: NOTIONAL"}}\n'
)


def stamp(seconds_ago: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S,000", time.localtime(time.time() - seconds_ago))


def bot_errors(stdout: str) -> dict:
    doc = json.loads(stdout)
    return [r for r in doc["results"] if r["check"] == "bot_errors"][0]


def test_check_reads_the_window_first_then_only_new_lines(tmp_path: Path, sim, make_config) -> None:
    acct = sim.add_account("main")
    log = tmp_path / "bot.log"
    log.write_text(ERR.format(ts=stamp(3600)) + ERR.format(ts=stamp(30)))  # one is too old
    config = make_config([{"name": "main", "api_key": acct.api_key, "api_secret": acct.api_secret}])
    with open(config, "a") as f:
        f.write(f'\n[[watch]]\naccount = "main"\npath = "{log}"\nwindow = 300\n')
    r = run_cli("check", "--config", str(config), "--json")
    be = bot_errors(r.stdout)
    assert be["status"] == "WARNING" and be["codes"] == [-1013], r.stdout
    info = be["details"]["codes"][0]
    assert info["count"] == 1 and info["product"] == "spot"
    assert "NOTIONAL" in info["sample"] and info["predicted_by"] == "symbols"
    # the next run does not count the same line again ...
    be = bot_errors(run_cli("check", "--config", str(config), "--json").stdout)
    assert be["details"]["codes"][0]["count"] == 1
    # ... but counts what was written since
    with open(log, "a") as f:
        f.write(ERR.format(ts=stamp(1)))
    be = bot_errors(run_cli("check", "--config", str(config), "--json").stdout)
    assert be["details"]["codes"][0]["count"] == 2
    text = run_cli("check", "--config", str(config)).stdout
    assert "bot_errors" in text and "-1013" in text
