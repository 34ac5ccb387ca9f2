"""The weight book's rules, with driven clocks (no sleeping)."""

from __future__ import annotations

from healthcheck.exchange.weights import WAIT_FOR_PROBE, WeightBook

BASE = "https://fapi.example"


def test_budget_window_ignores_wall_clock_steps():
    wall, mono = [1_000_000.0], [50.0]
    book = WeightBook(budget_share=0.10, clock=lambda: wall[0], mono=lambda: mono[0])
    budget = int(2400 * 0.10)
    assert book.reserve(BASE, "fapi", budget) is None
    book.probe_finished(BASE, "fapi")
    assert book.reserve(BASE, "fapi", 1) is not None  # budget spent for this minute
    wall[0] -= 3600  # the wall clock steps back an hour: a minute later the budget is free
    mono[0] += 61
    assert book.reserve(BASE, "fapi", 5) is None


def test_header_from_the_future_is_not_trusted_after_a_backward_step():
    wall = [1_000_000.0]
    book = WeightBook(clock=lambda: wall[0])
    book.observe(BASE, "fapi", 2300)
    assert book.last_used(BASE, "fapi") == 2300
    wall[0] -= 3600
    assert book.last_used(BASE, "fapi") is None


def test_request_that_would_pass_97_percent_of_the_limit_is_skipped():
    book = WeightBook()
    book.observe(BASE, "fapi", 2320)
    err = book.reserve(BASE, "fapi", 10)
    assert err is not None and err.kind == "budget" and "2320 of 2400" in err.message
    assert book.reserve(BASE, "fapi", 5) is None


def test_lightly_used_ip_a_minute_ago_needs_no_probe_round_trip():
    wall = [1_000_000.0]
    book = WeightBook(clock=lambda: wall[0])
    book.observe(BASE, "fapi", 300)  # 12 % of 2400
    wall[0] += 90  # the header is from the previous minute: not "this minute" any more
    assert book.last_used(BASE, "fapi") is None
    for _ in range(20):  # a whole run's burst goes out at once
        assert book.reserve(BASE, "fapi", 5) is None
    assert not book._probing


def test_busy_ip_a_minute_ago_sends_one_probe_first():
    wall = [1_000_000.0]
    book = WeightBook(clock=lambda: wall[0])
    book.observe(BASE, "fapi", 2000)  # 83 %: the burst must wait for a fresh header
    wall[0] += 90
    assert book.reserve(BASE, "fapi", 5) is None
    assert book._probing  # the others wait for this request's header
    book.observe(BASE, "fapi", 2330)
    book.probe_finished(BASE, "fapi")
    assert book.reserve(BASE, "fapi", 5) is not None  # fresh header: over 97 %, skipped


def test_cold_process_sends_its_first_small_burst_without_a_probe_round_trip():
    """Nothing known about the IP at all: up to 1 % of the limit (a run's server-time samples
    and exchangeInfo) goes out at once; beyond that one request probes first."""
    now = [60_000.0]
    book = WeightBook(budget_share=None, clock=lambda: now[0])
    for _ in range(24):  # 1 % of 2400
        assert book.reserve(BASE, "fapi", 1, block=False) is None
    assert book.reserve(BASE, "fapi", 1, owner="probe", block=False) is None  # the probe
    assert book.reserve(BASE, "fapi", 1, block=False) is WAIT_FOR_PROBE


def test_header_after_a_blind_burst_counts_the_burst_on_top():
    now = [60_000.0]
    book = WeightBook(budget_share=None, clock=lambda: now[0])
    for _ in range(20):
        assert book.reserve(BASE, "fapi", 1, block=False) is None
    book.observe(BASE, "fapi", 2300)  # the answer to the first one: the IP is busy
    # 2300 + 20 maybe still in flight + 10 > 97 % of 2400: held back
    err = book.reserve(BASE, "fapi", 10)
    assert err is not None and err.kind == "budget"
