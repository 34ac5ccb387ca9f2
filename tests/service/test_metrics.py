"""The metrics collector, the /metrics server, the Nagios line and the textfile.

The exposition is read back with prometheus_client's own text parser, as a scraper would, and
the server is a real threaded HTTP server on 127.0.0.1 talked to with urllib.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from healthcheck.config import ChecksConfig, ConfigError, parse_config, parse_listen
from healthcheck.engine.runner import Report
from healthcheck.model.result import Result, Status
from healthcheck.service.metrics import (
    BOT_ERRORS,
    BotErrorCounts,
    HealthCollector,
    MetricsServer,
    generate_latest,
    make_registry,
    nagios_line,
    record_bot_error,
)

P = "binance_healthcheck"


def samples(collector: HealthCollector) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Render the collector and parse it back: {(sample name, sorted labels): value}."""
    text = generate_latest(make_registry(collector)).decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def names(collector: HealthCollector) -> set[str]:
    return {name for name, _ in samples(collector)}


def healthy_results(account: str = "main") -> list[Result]:
    return [
        Result(
            account,
            "clock",
            Status.OK,
            "ok",
            metrics={
                "offset_spot_ms": 12.5,
                "offset_usdm_ms": -3.0,
                "offset_ms": 12.5,
                "rtt_spot_ms": 1.0,
                "ntp_offset_ms": 2.0,
            },
        ),
        Result(account, "position_mode", Status.OK, "one-way"),
        Result(account, "balance", Status.OK, "ok", metrics={"margin_ratio": 0.25}),
        Result(
            account, "api_key", Status.OK, "ok", metrics={"trading_expires_in_seconds": 30 * 86400}
        ),
        Result(
            account,
            "rate_limit",
            Status.OK,
            "ok",
            metrics={
                "used_weight_api": 60,
                "weight_limit_api": 6000,
                "used_weight_fapi": 240,
                "weight_limit_fapi": 2400,
                "used_weight_ratio": 0.1,
            },
        ),
    ]


def report(results: list[Result], started_at: float = 1_800_000_000.0) -> Report:
    return Report(results, {"duration_ms": 250.0, "request_weight": 17, "accounts": 1}, started_at)


def lbl(**kw: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(kw.items()))


def test_collector_exports_the_issue_names_labels_and_base_units() -> None:
    c = HealthCollector(
        outbox_pending=lambda: 2,
        delivery_failures=lambda: 5,
        bot_errors=BotErrorCounts(),
        run_interval_seconds=60,
    )
    c.update(report(healthy_results()), finished_at=1_800_000_001.0)
    s = samples(c)
    assert s[(f"{P}_check_status", lbl(account="main", check="clock"))] == 0
    assert s[(f"{P}_clock_offset_seconds", lbl(account="main", market="spot"))] == 0.0125
    assert s[(f"{P}_clock_offset_seconds", lbl(account="main", market="usdm"))] == -0.003
    assert s[(f"{P}_ntp_offset_seconds", lbl(account="main"))] == 0.002
    assert s[(f"{P}_margin_ratio", lbl(account="main"))] == 0.25
    assert s[(f"{P}_ip_weight_used_ratio", lbl(pool="api"))] == 0.01
    assert s[(f"{P}_ip_weight_used_ratio", lbl(pool="fapi"))] == 0.1
    assert (
        s[(f"{P}_api_key_trading_expiry_timestamp_seconds", lbl(account="main"))]
        == 1_800_000_000 + 30 * 86400
    )
    assert s[(f"{P}_last_run_timestamp_seconds", ())] == 1_800_000_001.0
    assert s[(f"{P}_run_duration_seconds", ())] == 0.25
    assert s[(f"{P}_run_request_weight", ())] == 17
    assert s[(f"{P}_run_interval_seconds", ())] == 60
    assert s[(f"{P}_alert_outbox_pending", ())] == 2
    assert s[(f"{P}_alert_delivery_failures_total", ())] == 5
    # no market called "" from the worst-of "offset_ms", no predicted error while healthy
    assert not any(n == f"{P}_predicted_error" for n, _ in s)
    assert len([k for k in s if k[0] == f"{P}_clock_offset_seconds"]) == 2


def test_predicted_error_appears_for_codes_and_risk_codes_and_disappears_when_cleared() -> None:
    c = HealthCollector(bot_errors=BotErrorCounts())
    c.update(report(healthy_results()))
    broken = [
        Result("main", "position_mode", Status.CRITICAL, "hedge", codes=[-4061]),
        Result("main", "api_key", Status.WARNING, "expires", risk_codes=[-2015]),
    ]
    c.update(report(broken))
    s = samples(c)
    assert (
        s[
            (
                f"{P}_predicted_error",
                lbl(
                    account="main", check="position_mode", code="-4061", kind="now", product="usdm"
                ),
            )
        ]
        == 1
    )
    assert (
        s[
            (
                f"{P}_predicted_error",
                lbl(account="main", check="api_key", code="-2015", kind="risk", product="spot"),
            )
        ]
        == 1
    )
    assert s[(f"{P}_check_status", lbl(account="main", check="position_mode"))] == 2
    # a report with only position_mode (the daemon runs only the due checks): api_key's
    # newest result stays, position_mode's code is gone
    c.update(report([Result("main", "position_mode", Status.OK, "one-way")]))
    s = samples(c)
    assert (
        f"{P}_predicted_error",
        lbl(account="main", check="position_mode", code="-4061", kind="now", product="usdm"),
    ) not in s
    assert (
        f"{P}_predicted_error",
        lbl(account="main", check="api_key", code="-2015", kind="risk", product="spot"),
    ) in s
    assert s[(f"{P}_check_status", lbl(account="main", check="position_mode"))] == 0


def test_reload_forgets_accounts_that_are_gone() -> None:
    c = HealthCollector(bot_errors=BotErrorCounts())
    c.update(report(healthy_results("old") + healthy_results("main")))
    c.forget_accounts_except(["main"])
    accounts = {dict(lb).get("account") for n, lb in samples(c) if n == f"{P}_check_status"}
    assert accounts == {"main"}


def test_weight_pools_keep_the_highest_reading_across_accounts() -> None:
    a = Result(
        "a", "rate_limit", Status.OK, "", metrics={"used_weight_api": 100, "weight_limit_api": 6000}
    )
    b = Result(
        "b",
        "rate_limit",
        Status.OK,
        "",
        metrics={"used_weight_api": 3000, "weight_limit_api": 6000},
    )
    c = HealthCollector(bot_errors=BotErrorCounts())
    c.update(report([a, b]))
    s = samples(c)
    assert s[(f"{P}_ip_weight_used_ratio", lbl(pool="api"))] == 0.5
    assert s[(f"{P}_ip_weight_used", lbl(pool="api"))] == 3000
    assert s[(f"{P}_ip_weight_limit", lbl(pool="api"))] == 6000


def test_non_finite_figures_are_left_out_rather_than_exported() -> None:
    r = Result("main", "balance", Status.CRITICAL, "", metrics={"margin_ratio": float("nan")})
    c = HealthCollector(bot_errors=BotErrorCounts())
    c.update(report([r]))
    assert f"{P}_margin_ratio" not in names(c)


def test_one_shot_collector_has_no_daemon_only_families() -> None:
    c = HealthCollector(bot_errors=BotErrorCounts())
    c.update(report(healthy_results()))
    n = names(c)
    assert f"{P}_alert_outbox_pending" not in n
    assert f"{P}_alert_delivery_failures_total" not in n
    assert f"{P}_build_info" in n


def test_bot_error_hook_counts_per_account_and_code() -> None:
    own = BotErrorCounts()
    c = HealthCollector(bot_errors=own)
    own.record("main", -2019)
    own.record("main", -2019, 3)
    own.record("alt", -1021)
    s = samples(c)
    assert s[(f"{P}_bot_errors_total", lbl(account="main", code="-2019"))] == 4
    assert s[(f"{P}_bot_errors_total", lbl(account="alt", code="-1021"))] == 1
    with pytest.raises(ValueError, match="negative"):
        own.record("main", -2019, -1)


def test_record_bot_error_feeds_the_process_wide_counter() -> None:
    before = BOT_ERRORS.snapshot().get(("hook-test", -4061), 0)
    record_bot_error("hook-test", -4061)
    record_bot_error("hook-test", -4061, n=2)
    s = samples(HealthCollector())
    assert s[(f"{P}_bot_errors_total", lbl(account="hook-test", code="-4061"))] == before + 3


def test_error_code_info_carries_name_and_fix_for_alert_rules() -> None:
    s = samples(HealthCollector(bot_errors=BotErrorCounts()))
    info = [dict(lb) for n, lb in s if n == f"{P}_error_code_info"]
    hedge = next(i for i in info if i["code"] == "-4061" and i["product"] == "usdm")
    assert hedge["name"] == "POSITION_SIDE_NOT_MATCH" and "position mode" in hedge["fix"]
    # one series per product: -1003's fix on futures is not spot's
    weight = {i["product"]: i["fix"] for i in info if i["code"] == "-1003"}
    assert set(weight) == {"spot", "sapi", "usdm", "coinm"}
    assert "pass a symbol" in weight["usdm"] and "pass a symbol" not in weight["spot"]


# ------------------------------------------------------------------------------ listen/config


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9464", ("127.0.0.1", 9464)),
        ("0.0.0.0:9100", ("0.0.0.0", 9100)),
        ("[::1]:9464", ("::1", 9464)),
        ("localhost:0", ("localhost", 0)),
    ],
)
def test_parse_listen_accepts_host_port(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize(
    "text", ["9464", "127.0.0.1", "127.0.0.1:99999", ":9464", "::1:9464", "[::1]9464", "host:port"]
)
def test_parse_listen_refuses_what_is_not_host_port(text: str) -> None:
    with pytest.raises(ValueError):
        parse_listen(text)


ACCOUNT = {"name": "main", "api_key": "k" * 64, "api_secret": "s" * 64}


def test_metrics_section_is_off_by_default_and_parsed_when_set() -> None:
    assert parse_config({"accounts": [ACCOUNT]}).metrics.listen is None
    cfg = parse_config({"accounts": [ACCOUNT], "metrics": {"listen": "127.0.0.1:9464"}})
    assert (cfg.metrics.host, cfg.metrics.port) == ("127.0.0.1", 9464)


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"listen": "9464"}, "metrics.listen"),
        ({"listen": 9464}, "metrics.listen"),
        ({"listne": "127.0.0.1:9464"}, "metrics.listne"),
    ],
)
def test_bad_metrics_section_names_the_key(section: dict, key: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config({"accounts": [ACCOUNT], "metrics": section}, path=Path("c.toml"))
    assert any(p.startswith(f"c.toml: {key}:") for p in exc.value.problems), exc.value.problems


# ------------------------------------------------------------------------------ the server


def fetch(url: str, method: str = "GET") -> tuple[int, bytes, dict[str, str]]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


@pytest.fixture
def server():
    c = HealthCollector(
        outbox_pending=lambda: 0,
        delivery_failures=lambda: 0,
        bot_errors=BotErrorCounts(),
        run_interval_seconds=1,
    )
    srv = MetricsServer(c, "127.0.0.1", 0, stale_after_seconds=60).start()
    yield srv
    srv.stop()


def test_server_serves_metrics_and_health_only(server: MetricsServer) -> None:
    base = f"http://127.0.0.1:{server.port}"
    code, body, _ = fetch(base + "/healthz")
    assert code == 503 and b"no run" in body  # not ready before the first run
    server.collector.update(report(healthy_results()))
    code, body, headers = fetch(base + "/metrics")
    assert code == 200 and headers["Content-Type"].startswith("text/plain")
    assert f'{P}_check_status{{account="main",check="clock"}} 0.0'.encode() in body
    assert fetch(base + "/healthz")[0] == 200
    for path in ("/", "/metrics/", "/favicon.ico", "/admin", "/metrics/../state.db"):
        assert fetch(base + path)[0] == 404, path
    for method in ("POST", "PUT", "DELETE"):
        code, _, headers = fetch(base + "/metrics", method)
        assert code == 405 and "GET" in headers["Allow"]


def test_healthz_fails_when_the_last_run_is_too_old(server: MetricsServer) -> None:
    server.collector.update(report(healthy_results()), finished_at=time.time() - 3600)
    code, body, _ = fetch(f"http://127.0.0.1:{server.port}/healthz")
    assert code == 503 and b"3600 s ago" in body


def test_a_new_run_is_visible_at_the_next_scrape_despite_the_render_cache(
    server: MetricsServer,
) -> None:
    url = f"http://127.0.0.1:{server.port}/metrics"
    series = (
        b'predicted_error{account="main",check="position_mode",code="-4061",'
        b'kind="now",product="usdm"} 1.0'
    )
    server.collector.update(report(healthy_results()))
    assert series not in fetch(url)[1]
    server.collector.update(
        report([Result("main", "position_mode", Status.CRITICAL, "hedge", codes=[-4061])])
    )
    assert series in fetch(url)[1]


def test_scrape_storm_is_answered_and_runs_keep_updating(server: MetricsServer) -> None:
    url = f"http://127.0.0.1:{server.port}/metrics"
    codes: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            codes.append(fetch(url)[0])

    threads = [threading.Thread(target=hammer) for _ in range(16)]
    for t in threads:
        t.start()
    try:
        for i in range(20):  # the daemon keeps feeding results meanwhile
            server.collector.update(report(healthy_results()))
            time.sleep(0.02 * (i % 2))
    finally:
        stop.set()
        for t in threads:
            t.join(20)
    assert codes and set(codes) <= {200, 503}
    assert codes.count(200) >= len(codes) // 2
    assert fetch(url)[0] == 200


# ------------------------------------------------------------------------------ Nagios


PERF_RE = re.compile(r"^'[^'=]+'=-?[0-9.]+(s|%|)?;[^;\s]*;[^;\s]*;[^;\s]*;[^;\s]*$")


def test_nagios_line_has_status_text_and_perfdata_with_thresholds() -> None:
    results = healthy_results()
    results[1] = Result("main", "position_mode", Status.CRITICAL, "hedge | mode", codes=[-4061])
    line = nagios_line(report(results), ChecksConfig())
    assert "\n" not in line
    head, _, perf = line.partition(" | ")
    assert head.startswith("BINANCE CRITICAL - 1 of 5 checks not OK: main position_mode")
    assert "|" not in head.replace(" | ", "")  # a '|' in a summary would start perfdata
    items = re.findall(r"'[^']*'=\S+", perf)
    assert items and all(PERF_RE.match(i) for i in items), items
    assert "'main margin_ratio'=25%;50;80;0;100" in items
    assert "'main clock_offset spot'=0.0125s;~:0.5;~:1;;" in items
    assert "'ip_weight_used fapi'=240;1680;2160;0;2400" in items
    assert "'main key_trading_expires_in'=2592000s;604800:;0:;;" in items


def test_nagios_line_when_all_ok() -> None:
    line = nagios_line(report(healthy_results()), ChecksConfig())
    assert line.startswith("BINANCE OK - 5 checks OK on 1 account | ")


def test_server_paces_connections_so_a_storm_waits_in_the_backlog(server: MetricsServer) -> None:
    from healthcheck.service.metrics import MAX_SCRAPES_PER_SECOND

    url = f"http://127.0.0.1:{server.port}/metrics"
    n = 30
    t0 = time.monotonic()
    for _ in range(n):
        assert fetch(url)[0] == 200
    assert time.monotonic() - t0 >= (n - 1) / MAX_SCRAPES_PER_SECOND * 0.9


def test_server_listens_on_ipv6_loopback_when_configured() -> None:
    import socket

    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    srv = MetricsServer(HealthCollector(bot_errors=BotErrorCounts()), "::1", 0).start()
    try:
        assert fetch(f"http://[::1]:{srv.port}/metrics")[0] == 200
    finally:
        srv.stop()


def test_example_config_metrics_block_parses_when_uncommented() -> None:
    import tomllib

    text = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text()
    block = re.search(r"^# \[metrics\]\n# listen = .*$", text, re.M)
    assert block, "config.example.toml lost its commented [metrics] block"
    data = tomllib.loads("\n".join(line[2:] for line in block.group().splitlines()))
    cfg = parse_config({"accounts": [ACCOUNT], **data})
    assert (cfg.metrics.host, cfg.metrics.port) == ("127.0.0.1", 9464)
