"""The simulator's HTTP transport (healthcheck.simulator.httpd): answers to paths no endpoint
serves have each market's shape, a wrong method is 405, and a keep-alive connection is reused."""

from __future__ import annotations

import http.client

import requests

from healthcheck.simulator import Simulator


def test_unknown_paths_answer_in_each_markets_shape(sim: Simulator) -> None:
    spot = requests.get(sim.url + "/api/v3/nope", timeout=5)
    assert spot.status_code == 404 and spot.content == b""
    for host in ("fapi", "dapi"):
        fut = requests.get(f"{sim.url}/{host}/v1/nope", timeout=5)
        assert fut.status_code == 404
        assert fut.headers["Content-Type"].startswith("text/html")
        assert b"404 Not found" in fut.content
    wrong = requests.delete(sim.url + "/api/v3/ping", timeout=5)
    assert wrong.status_code == 405 and wrong.json()["code"] == -1000


def test_one_keep_alive_connection_serves_several_requests(sim: Simulator) -> None:
    host, port = sim.address
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        for _ in range(3):
            conn.request("GET", "/api/v3/time")
            resp = conn.getresponse()
            assert resp.status == 200 and b"serverTime" in resp.read()
        assert conn.sock is not None  # never closed by the server between requests
    finally:
        conn.close()
    assert [r.path for r in sim.requests[-3:]] == ["/api/v3/time"] * 3
