"""`bot_api` against a REAL freqtrade 2026.9 (its api_server) trading against the simulator, and
against a hostile endpoint that accepts connections and never answers; the bot API password
never leaves the process; `bot_api` config errors are one line each."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import freqtrade as ft
from support.configs import write_config

from healthcheck.bots.freqtrade_api import BotApiError, FreqtradeApi
from healthcheck.bots.liveness import ApiFailure
from healthcheck.config import ConfigError, parse_config

PASSWORD = "bhc-Api-Pw-7f3a9c21"  # what freqtrade's api_server is configured with


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_alive_config(
    tmp_path: Path, sim, url: str, *, name: str = "config.toml", request_timeout: float = 5
) -> Path:
    acct = sim.add_account(f"main-{name}")
    return write_config(
        tmp_path / name,
        sim_url=sim.url,
        state_dir=tmp_path / "state",
        accounts=[
            {
                "name": "main",
                "api_key": acct.api_key,
                "api_secret": acct.api_secret,
                "markets": ["spot"],
                "bot_api": {"url": url, "username": "bhc", "password_env": "FT_PW"},
            }
        ],
        sections={"daemon": {"request_timeout": request_timeout}},
    )


def bot_alive(cli, config: Path, password: str) -> tuple[dict, str]:
    p = cli(
        "check", "--config", str(config), "--json", "--only", "bot_alive", env={"FT_PW": password}
    )
    doc = json.loads(p.stdout)
    [r] = [r for r in doc["results"] if r["check"] == "bot_alive"]
    return r, p.stdout + p.stderr


@pytest.fixture
def freqtrade_bot(tmp_path: Path, sim) -> Iterator[tuple[ft.FreqtradeRun, str]]:
    acct = sim.add_account("ft")
    port = free_port()
    cfg = ft.config(
        sim.url,
        acct.api_key,
        acct.api_secret,
        pairs=("BTC/USDT",),
        stake_amount=100,
        api_port=port,
        api_password=PASSWORD,
    )
    workdir = tmp_path / "ft"
    workdir.mkdir()
    with ft.FreqtradeRun(workdir, cfg) as run:
        url = f"http://127.0.0.1:{port}"
        api = FreqtradeApi(url, timeout_seconds=2)

        def pong() -> bool:
            try:
                return api.ping()
            except BotApiError:
                return False

        run.wait_for(r"Bot heartbeat", 120)
        run.wait_for(pong, 60)
        api.close()
        yield run, url


@pytest.mark.slow
def test_bot_api_against_a_real_freqtrade(tmp_path: Path, sim, cli, freqtrade_bot) -> None:
    run, url = freqtrade_bot
    api = FreqtradeApi(url, "bhc", PASSWORD, timeout_seconds=5)
    # the real answers have the fields the client reads (freqtrade 2026.9 api_schemas.Health)
    run.wait_for(lambda: api.health().last_process_ts is not None, 60)
    h = api.health()
    assert h.last_process_ts is not None and abs(time.time() - h.last_process_ts) < 60
    assert h.bot_startup_ts is not None
    assert api.whitelist() == ["BTC/USDT"]
    with pytest.raises(BotApiError) as refused:
        FreqtradeApi(url, "bhc", "wrong-password-1", timeout_seconds=5).health()
    assert refused.value.kind is ApiFailure.AUTH

    config = bot_alive_config(tmp_path, sim, url)
    r, out_ok = bot_alive(cli, config, PASSWORD)
    assert r["status"] == "OK", r
    assert "last ran its loop" in r["summary"]

    r, out_401 = bot_alive(cli, config, "wrong-password-1")
    assert r["status"] == "UNKNOWN", r
    assert "refused the credentials" in r["summary"]

    run.stop()  # the bot dies
    r, out_down = bot_alive(cli, config, PASSWORD)
    assert r["status"] == "CRITICAL", r
    assert f"REST API at {url} does not answer" in r["summary"]
    assert "connection refused" in r["summary"]

    # the password is nowhere: output, logs, state, config show
    shown = cli("config", "show", "--config", str(config), env={"FT_PW": PASSWORD})
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["accounts"][0]["bot_api"]["password"] == "****"
    places = {"check outputs": out_ok + out_401 + out_down, "config show": shown.stdout}
    for f in (tmp_path / "state").rglob("*"):
        if f.is_file():
            places[str(f)] = f.read_bytes().decode("latin-1")
    for where, text in places.items():
        assert PASSWORD not in text, where


@pytest.mark.slow
def test_a_regex_whitelist_is_read_live_from_the_running_freqtrade(
    tmp_path: Path, sim, cli
) -> None:
    """freqtrade's whitelist `.*/USDT` is a regex only the running bot expands: with bot_api the
    account checks the pairs the bot trades (its /api/v1/whitelist), and says where they came
    from; when the bot is down, the symbols check is the one WARNING saying why."""
    acct = sim.add_account("ft-regex")
    port = free_port()
    cfg = ft.config(
        sim.url,
        acct.api_key,
        acct.api_secret,
        pairs=(".*/USDT",),
        stake_amount=100,
        api_port=port,
        api_password=PASSWORD,
    )
    workdir = tmp_path / "ft"
    workdir.mkdir()
    ours = write_config(
        tmp_path / "config.toml",
        sim_url=sim.url,
        state_dir=tmp_path / "state",
        accounts=[
            {
                "name": "main",
                "api_key": acct.api_key,
                "api_secret": acct.api_secret,
                "markets": None,
                "bot": "freqtrade",
                "bot_config": str(workdir / "config.json"),
                "bot_api": {
                    "url": f"http://127.0.0.1:{port}",
                    "username": "bhc",
                    "password_env": "FT_PW",
                },
            }
        ],
    )
    with ft.FreqtradeRun(workdir, cfg) as run:
        api = FreqtradeApi(f"http://127.0.0.1:{port}", "bhc", PASSWORD, timeout_seconds=2)

        def listed() -> bool:
            try:
                return len(api.whitelist()) >= 2
            except BotApiError:
                return False

        run.wait_for(listed, 120)
        live = sorted(p.replace("/", "") for p in api.whitelist())
        api.close()
        shown = cli("config", "show", "--config", str(ours), env={"FT_PW": PASSWORD})
        assert shown.returncode == 0, shown.stderr
        assert all(sym in shown.stdout for sym in live), shown.stdout
        assert "live whitelist (bot_api /api/v1/whitelist)" in shown.stdout
        p = cli(
            "check", "--config", str(ours), "--json", "--only", "symbols", env={"FT_PW": PASSWORD}
        )
        [r] = [r for r in json.loads(p.stdout)["results"] if r["check"] == "symbols"]
        assert "unknown" not in r["summary"], r
        assert {"BTCUSDT", "ETHUSDT"} <= set(live)
    # the bot is gone: the pairs are unknown again, and the WARNING says why
    p = cli("check", "--config", str(ours), "--json", "--only", "symbols", env={"FT_PW": PASSWORD})
    [r] = [r for r in json.loads(p.stdout)["results"] if r["check"] == "symbols"]
    assert r["status"] == "WARNING" and "could not give its live list" in r["summary"], r
    assert PASSWORD not in p.stdout + p.stderr


class Silent:
    """A TCP server that accepts every connection and never answers (a hung bot)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(conn)

    def __enter__(self) -> Silent:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        for c in self.conns:
            c.close()
        self.sock.close()


def test_a_bot_api_that_accepts_and_never_answers_times_out_within_the_request_timeout(
    tmp_path: Path, sim, cli
) -> None:
    with Silent() as hung:
        url = f"http://127.0.0.1:{hung.port}"
        t0 = time.monotonic()
        with pytest.raises(BotApiError) as err:
            FreqtradeApi(url, "bhc", PASSWORD, timeout_seconds=1).ping()
        assert time.monotonic() - t0 < 3
        assert err.value.kind is ApiFailure.TIMEOUT and "no answer within 1 s" in str(err.value)

        config = bot_alive_config(tmp_path, sim, url, request_timeout=2)
        t0 = time.monotonic()
        r, out = bot_alive(cli, config, PASSWORD)
        took = time.monotonic() - t0
        assert took < 20, took  # the run ends (interpreter start-up included), it does not hang
        assert hung.conns, "the client never connected"
    assert r["status"] == "CRITICAL", r
    assert f"REST API at {url} does not answer" in r["summary"] and "within 2 s" in r["summary"]
    assert PASSWORD not in out


def _account(**bot_api: object) -> dict:
    return {
        "accounts": [
            {"name": "main", "api_key": "A" * 64, "api_secret": "S" * 64, "bot_api": bot_api}
        ]
    }


@pytest.mark.parametrize(
    "bot_api,key,words",
    [
        (
            {
                "url": f"http://bhc:{PASSWORD}@127.0.0.1:8080",
                "username": "bhc",
                "password_env": "FT_PW",
            },
            "accounts[0].bot_api.url",
            "must not hold a user name",
        ),
        (
            {"url": "ftp://127.0.0.1", "username": "bhc", "password_env": "FT_PW"},
            "accounts[0].bot_api.url",
            "is not an http(s) URL",
        ),
        ({"username": "bhc", "password_env": "FT_PW"}, "accounts[0].bot_api.url", "missing"),
        (
            {"url": "http://127.0.0.1:8080", "username": "bhc"},
            "accounts[0].bot_api.password",
            "missing",
        ),
        (
            {"url": "http://127.0.0.1:8080", "username": "bhc", "password_env": "NOPE"},
            "accounts[0].bot_api.password_env",
            "NOPE is not set",
        ),
        (
            {
                "url": "http://127.0.0.1:8080",
                "username": "bhc",
                "password_env": "FT_PW",
                "stale_after": 0,
            },
            "accounts[0].bot_api.stale_after",
            "at least 1",
        ),
        (
            {
                "url": "http://127.0.0.1:8080",
                "username": "bhc",
                "password_env": "FT_PW",
                "pasword": "x",
            },
            "accounts[0].bot_api.pasword",
            "unknown key",
        ),
    ],
)
def test_a_bad_bot_api_is_one_line_naming_the_key_and_never_the_password(
    bot_api: dict, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(_account(**bot_api), env={"FT_PW": PASSWORD})
    lines = [p for p in err.value.problems if key in p]
    assert len(lines) == 1 and words in lines[0], err.value.problems
    assert all(PASSWORD not in p for p in err.value.problems)


def test_bot_api_password_from_a_file(tmp_path: Path) -> None:
    pw = tmp_path / "ft-pw"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    cfg = parse_config(
        _account(
            url="http://127.0.0.1:8080/api/v1/", username_env="FT_USER", password_file=str(pw)
        ),
        env={"FT_USER": "bhc"},
    )
    api = cfg.accounts[0].bot_api
    assert api is not None
    assert (api.url, api.username, api.password.reveal()) == (
        "http://127.0.0.1:8080",
        "bhc",
        PASSWORD,
    )
    assert PASSWORD not in repr(cfg)
