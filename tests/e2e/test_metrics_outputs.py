"""`check --nagios`, `check --prometheus-textfile` and the daemon's /metrics, end to end against
the simulator: the CLI and the daemon as subprocesses, read the way Nagios, node_exporter and a
scraper read them."""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.metrics import metrics_port
from support.receivers import wait_until

P = "binance_healthcheck"
PERF_RE = re.compile(r"^'[^'=]+'=-?[0-9.]+(s|%)?;[^;\s]*;[^;\s]*;[^;\s]*;[^;\s]*$")


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_nagios_line_and_exit_code_when_healthy_and_when_hedge_mode(sim, make_config, cli):
    config = make_config()
    acct = sim.accounts["main"]
    r = cli("check", "--config", str(config), "--nagios")
    assert acct.api_key not in r.stdout + r.stderr and acct.api_secret not in r.stdout + r.stderr
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("BINANCE OK - ")
    perf = lines[0].partition(" | ")[2].split(" ")
    # labels hold spaces inside quotes: re-join before matching
    items = re.findall(r"'[^']*'=\S+", " ".join(perf))
    assert items and all(PERF_RE.match(i) for i in items), items
    assert any(i.startswith("'main clock_offset spot'=") for i in items)
    assert any(i.startswith("'main margin_ratio'=") for i in items)

    sim.accounts["main"].dual_side_position = True
    r = cli("check", "--config", str(config), "--nagios")
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout.startswith("BINANCE CRITICAL - 1 of ") and "position_mode" in r.stdout


def test_json_and_nagios_together_is_a_usage_error(make_config, cli):
    r = cli("check", "--config", str(make_config()), "--nagios", "--json")
    assert r.returncode == 3 and "cannot be combined" in r.stderr and r.stdout == ""


def test_prometheus_textfile_is_written_whole_and_without_secrets(sim, make_config, cli, tmp_path):
    acct = sim.add_account("textfile")
    config = make_config(
        [{"name": "textfile", "api_key": acct.api_key, "api_secret": acct.api_secret}]
    )
    out_dir = tmp_path / "textfile"
    out_dir.mkdir()
    path = out_dir / "binance.prom"
    path.write_text("old contents\n")
    acct.dual_side_position = True
    r = cli("check", "--config", str(config), "--prometheus-textfile", str(path))
    assert r.returncode == 2, r.stderr
    assert "position_mode" in r.stdout  # the normal output is still printed
    text = path.read_text()
    s = parse(text)
    assert s[(f"{P}_check_status", (("account", "textfile"), ("check", "position_mode")))] == 2
    assert (
        s[
            (
                f"{P}_predicted_error",
                (
                    ("account", "textfile"),
                    ("check", "position_mode"),
                    ("code", "-4061"),
                    ("kind", "now"),
                    ("product", "usdm"),
                ),
            )
        ]
        == 1
    )
    assert s[(f"{P}_last_run_timestamp_seconds", ())] == pytest.approx(time.time(), abs=120)
    assert acct.api_key not in text and acct.api_secret not in text
    assert os.listdir(out_dir) == ["binance.prom"]  # the temporary file was renamed, not left


def test_prometheus_textfile_in_a_missing_directory_is_one_line_error(make_config, cli, tmp_path):
    target = tmp_path / "nope" / "binance.prom"
    r = cli("check", "--config", str(make_config()), "--prometheus-textfile", str(target))
    assert r.returncode == 3
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and "--prometheus-textfile" in err[0] and str(target) in err[0]
    assert "Traceback" not in r.stderr


def get(url: str, method: str = "GET") -> tuple[int, str]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.mark.slow
def test_daemon_serves_metrics_on_loopback_without_secrets(sim, make_config, daemon_procs):
    acct = sim.add_account("main")
    config = make_config(
        [{"name": "main", "api_key": acct.api_key, "api_secret": acct.api_secret}],
        sections={"metrics": {"listen": "127.0.0.1:0"}},
    )
    d = daemon_procs(config)
    port = metrics_port(d)
    d.wait_runs(1)
    base = f"http://127.0.0.1:{port}"
    code, text = get(base + "/metrics")
    assert code == 200
    s = parse(text)
    assert s[(f"{P}_check_status", (("account", "main"), ("check", "position_mode")))] == 0
    assert s[(f"{P}_alert_outbox_pending", ())] == 0
    assert s[(f"{P}_alert_delivery_failures_total", ())] == 0
    assert acct.api_key not in text and acct.api_secret not in text
    assert acct.api_key[:8] not in text
    assert get(base + "/healthz")[0] == 200
    assert get(base + "/")[0] == 404
    assert get(base + "/metrics", "POST")[0] == 405

    acct.dual_side_position = True

    def predicted() -> bool:
        return 'code="-4061",kind="now"' in get(base + "/metrics")[1]

    assert wait_until(predicted, 30, step=0.2), d.log[-2000:]
    acct.dual_side_position = False
    assert wait_until(lambda: not predicted(), 30, step=0.2), d.log[-2000:]
    assert d.stop() == 0


@pytest.mark.slow
def test_daemon_keeps_running_when_the_metrics_port_is_taken(sim, make_config, daemon_procs):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        config = make_config(sections={"metrics": {"listen": f"127.0.0.1:{port}"}})
        d = daemon_procs(config)
        d.wait_runs(2)
        assert "metrics: cannot listen on 127.0.0.1:" in d.log
        assert d.stop() == 0


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    code, text = get(f"http://127.0.0.1:{port}/metrics")
    assert code == 200
    return parse(text)


@pytest.mark.slow
def test_daemon_metrics_show_undelivered_alerts_and_delivery_failures(
    sim, make_config, daemon_procs, json_receiver
):
    acct = sim.add_account("main")
    json_receiver.fail_status = 500  # the alert channel is down
    config = make_config(
        [{"name": "main", "api_key": acct.api_key, "api_secret": acct.api_secret}],
        sections={
            "metrics": {"listen": "127.0.0.1:0"},
            "alerts": {
                "urls": [json_receiver.url],
                "failure_threshold": 1,
                "retry_backoff_max": 1,
                "delivery_timeout": 5,
            },
        },
    )
    d = daemon_procs(config)
    port = metrics_port(d)
    d.wait_runs(1)
    acct.dual_side_position = True

    def failing() -> bool:
        s = scrape(port)
        return (
            s[(f"{P}_alert_outbox_pending", ())] >= 1
            and s[(f"{P}_alert_delivery_failures_total", ())] >= 1
        )

    assert wait_until(failing, 30, step=0.3), d.log[-2000:]
    json_receiver.fail_status = None  # the channel is back: the outbox drains
    assert wait_until(lambda: scrape(port)[(f"{P}_alert_outbox_pending", ())] == 0, 30, step=0.3), (
        d.log[-2000:]
    )
    assert json_receiver.messages and "-4061" in json_receiver.messages[0]["message"]
    assert d.stop() == 0


@pytest.mark.slow
def test_reload_drops_the_series_of_a_removed_account(sim, make_config, daemon_procs):
    import signal

    a = sim.add_account("a")
    b = sim.add_account("b")
    both = [
        {"name": "a", "api_key": a.api_key, "api_secret": a.api_secret},
        {"name": "b", "api_key": b.api_key, "api_secret": b.api_secret},
    ]
    metrics = {"metrics": {"listen": "127.0.0.1:0"}}
    config = make_config(both, sections=metrics)
    d = daemon_procs(config)
    port = metrics_port(d)
    d.wait_runs(1)

    def accounts() -> set[str]:
        return {dict(lb)["account"] for n, lb in scrape(port) if n == f"{P}_check_status"}

    assert accounts() == {"a", "b"}
    make_config(both[:1], sections=metrics)  # rewrites the same file
    d.signal(signal.SIGHUP)
    assert wait_until(lambda: accounts() == {"a"}, 30, step=0.3), d.log[-2000:]
    assert d.stop() == 0


def test_textfile_after_notify_carries_the_outbox_count(
    sim, make_config, cli, tmp_path, json_receiver
):
    acct = sim.add_account("cron")
    acct.dual_side_position = True
    json_receiver.fail_status = 500
    config = make_config(
        [{"name": "cron", "api_key": acct.api_key, "api_secret": acct.api_secret}],
        sections={
            "alerts": {"urls": [json_receiver.url], "failure_threshold": 1, "delivery_timeout": 5}
        },
    )
    path = tmp_path / "cron.prom"
    r = cli("check", "--config", str(config), "--notify", "--prometheus-textfile", str(path))
    assert r.returncode == 2, r.stderr
    assert parse(path.read_text())[(f"{P}_alert_outbox_pending", ())] == 1
