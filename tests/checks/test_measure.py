"""A check's figures as Nagios perfdata items and Prometheus-ready floats
(healthcheck/checks/measure.py)."""

from __future__ import annotations

import math

from healthcheck.checks.measure import Family, Perf, finite, perf_number


def test_perfdata_item_is_written_as_nagios_reads_it() -> None:
    item = Perf("weight used=main's", 1234.5, "", warn="4800", crit="5700", minimum="0")
    assert item.render() == "'weight used_mains'=1234.5;4800;5700;0;"
    assert Perf("offset", 0.25, "s").render() == "'offset'=0.25s;;;;"


def test_perf_numbers_have_at_most_six_decimals_and_no_negative_zero() -> None:
    assert perf_number(60000.0) == "60000"
    assert perf_number(1 / 3) == "0.333333"
    assert perf_number(-0.0000001) == "0"


def test_only_finite_numbers_become_samples() -> None:
    assert finite(3) == 3.0 and finite(2.5) == 2.5
    for bad in (True, "1", None, math.inf, math.nan):
        assert finite(bad) is None


def test_a_family_without_an_account_label_is_per_ip() -> None:
    assert Family("ip_weight_used", "weight", ("pool",)).per_ip
    assert not Family("balance", "free", ("account", "asset")).per_ip
