"""The daemon's /metrics while ``[metrics] listen`` is set: served on the port, off without it,
and a port that cannot be bound is logged, not fatal (healthcheck/service/metrics_endpoint.py)."""

from __future__ import annotations

import logging
import socket
import urllib.request
from collections.abc import Iterator

import pytest

from healthcheck.config import Config, parse_config
from healthcheck.engine.schedule import build_schedule
from healthcheck.service.metrics_endpoint import MetricsEndpoint, stale_after_seconds


def config(listen: str | None) -> Config:
    data: dict = {"accounts": [{"name": "main", "api_key": "A" * 64, "api_secret": "S" * 64}]}
    if listen is not None:
        data["metrics"] = {"listen": listen}
    return parse_config(data)


@pytest.fixture
def endpoint() -> Iterator[MetricsEndpoint]:
    ep = MetricsEndpoint()
    yield ep
    ep.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_metrics_are_served_on_the_listen_address(endpoint: MetricsEndpoint) -> None:
    port = free_port()
    cfg = config(f"127.0.0.1:{port}")
    endpoint.start(cfg, build_schedule(cfg), lambda: 3, lambda: 0)
    assert endpoint.server is not None
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        body = resp.read().decode()
    assert "binance_healthcheck_" in body


def test_no_listen_no_endpoint(endpoint: MetricsEndpoint) -> None:
    cfg = config(None)
    endpoint.start(cfg, build_schedule(cfg), lambda: 0, lambda: 0)
    assert endpoint.collector is None and endpoint.server is None


def test_a_port_in_use_is_logged_and_the_daemon_runs_on(
    endpoint: MetricsEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = config(f"127.0.0.1:{port}")
        with caplog.at_level(logging.ERROR):
            endpoint.start(cfg, build_schedule(cfg), lambda: 0, lambda: 0)
    assert endpoint.server is None
    assert f"cannot listen on 127.0.0.1:{port}" in caplog.text
    assert "running without /metrics" in caplog.text


def test_healthz_goes_stale_after_three_ticks_and_three_timeouts() -> None:
    cfg = config(None)
    assert stale_after_seconds(cfg, 10.0) == 30 + 3 * cfg.daemon.request_timeout + 30
