"""logwatch.store: the watcher's SQLite file; what it learned survives a restart."""

from __future__ import annotations

from healthcheck.logwatch.store import FILE_NAME, Occurrence, Position, WatchStore


def occ(ts: float, account: str = "main") -> Occurrence:
    return Occurrence(account, -4164, "usdm", ts, "Order's notional must be no smaller", "line")


def test_occurrences_positions_and_marks_persist_across_reopen(tmp_path):
    store = WatchStore.open(tmp_path)
    store.commit_batch({"bot.log": Position(1, 2, 300)}, [occ(100.0), occ(200.0)], {"bot.log": "m"})
    store.close()
    again = WatchStore.open(tmp_path)
    assert again.path == tmp_path / FILE_NAME
    assert [o.ts for o in again.occurrences("main", 150.0)] == [200.0]
    assert again.position("bot.log") == Position(1, 2, 300) and again.mark("bot.log") == "m"
    assert again.occurrences("other", 0) == []
    again.close()


def test_prune_drops_old_occurrences_only(tmp_path):
    store = WatchStore.open(tmp_path)
    store.commit_batch({}, [occ(100.0), occ(200.0)])
    store.prune(before=150.0)
    assert [o.ts for o in store.occurrences("main", 0)] == [200.0]
    store.close()


def test_a_damaged_file_is_moved_aside_and_started_afresh(tmp_path):
    (tmp_path / FILE_NAME).write_bytes(b"not a sqlite file at all" * 100)
    store = WatchStore.open(tmp_path)
    assert store.path == tmp_path / FILE_NAME
    assert list(tmp_path.glob(f"{FILE_NAME}.corrupt-*"))
    store.commit_batch({}, [occ(1.0)])
    assert len(store.occurrences("main", 0)) == 1
    store.close()
