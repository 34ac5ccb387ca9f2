"""What `status` shows: the one-line summary (firing, muted, pending) and the document with its
destinations, masked (healthcheck/alerting/status.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from healthcheck.alerting.alerts import AlertEngine
from healthcheck.alerting.status import collect, render, status_line
from healthcheck.config import AlertsConfig, parse_config
from healthcheck.model.result import Result, Status
from healthcheck.model.silences import Silence
from healthcheck.storage.state import CheckState, StateDB

OK, WARN, CRIT = Status.OK, Status.WARNING, Status.CRITICAL
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC).timestamp()
CFG = AlertsConfig(failure_threshold=2, unknown_threshold=3, repeat_interval=0)


def res(check: str, status: Status, codes: tuple[int, ...] = ()) -> Result:
    return Result("main", check, status, f"{check} is {status.name}", list(codes))


def silence(**kw: object) -> Silence:
    return Silence(1, T0, T0 + 30 * 60, "deploy", **kw)  # type: ignore[arg-type]


def _cfg(**extra: object) -> dict:
    data = {"accounts": [{"name": "main", "api_key": "A" * 64, "api_secret": "S" * 64}]}
    data.update(extra)  # type: ignore[arg-type]
    return data


class Clock:
    """Feeds cycles to one engine, keeping the states, a minute apart."""

    def __init__(self, cfg: AlertsConfig) -> None:
        self.engine = AlertEngine(cfg)
        self.states: dict[tuple[str, str], CheckState] = {}
        self.now = T0

    def cycle(self, results: list[Result], silences: list[Silence] | None = None) -> None:
        self.states = self.engine.evaluate(results, self.states, self.now, silences or []).states
        self.now += 60


def test_status_line_counts_firing_and_muted() -> None:
    cfg = parse_config(_cfg())
    c = Clock(replace(CFG, failure_threshold=1))
    c.cycle(
        [res("position_mode", CRIT, (-4061,)), res("balance", WARN)], [silence(check="balance")]
    )
    line = status_line(cfg, c.states, c.now, pending=2)
    assert line == (
        "1 account: 1 CRITICAL (main: position_mode); 1 WARNING (main: balance); "
        "firing 1; muted 1 (1 silenced); 2 alerts pending"
    )
    c.cycle([res("position_mode", OK), res("balance", OK)])
    assert status_line(cfg, c.states, c.now) == "1 account: all OK"


def test_status_shows_failing_destination_masked_and_reminder_due(tmp_path: Path) -> None:
    from healthcheck.service.daemon import decide_and_commit

    url = "json://user:hunter2@127.0.0.1:9/"
    cfg = parse_config(
        _cfg(
            alerts={"urls": [url], "failure_threshold": 1, "repeat_interval": 600},
            daemon={"state_dir": str(tmp_path)},
        )
    )
    db = StateDB.open(tmp_path)
    engine = AlertEngine(cfg.alerts)
    _, rows = decide_and_commit(engine, cfg, db, [res("balance", WARN)], {}, T0)
    assert rows[0].id is not None
    db.mark_failed(rows[0].id, T0, "HTTP 500 from 127.0.0.1", T0 + 30)
    doc = collect(cfg, db, T0 + 60)
    db.close()
    (check,) = doc["checks"]
    assert check["firing"] and check["last_notified"] == "2026-11-29T12:00:00+00:00"
    assert check["reminder_due"] == "2026-11-29T12:10:00+00:00"
    (dest,) = doc["outbox"]["destinations"]
    assert dest["failing"] and dest["attempts"] == 1 and "HTTP 500" in dest["last_error"]
    text = render(doc)
    assert "hunter2" not in text and "hunter2" not in str(doc)
    assert "FAILING after 1 attempt(s): HTTP 500" in text
    assert doc["line"] == ("1 account: 1 WARNING (main: balance); firing 1; 1 alert pending")
