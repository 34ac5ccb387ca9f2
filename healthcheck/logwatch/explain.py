"""``binance-healthcheck explain``: what a Binance code means (per product), and which Binance
errors a bot's log file holds. Rendering only; the facts come from exchange.catalogue and the
watcher's scanner. Nothing here needs a config file."""

from __future__ import annotations

import json
import textwrap
import time
from typing import Any, TextIO

from healthcheck.exchange import catalogue
from healthcheck.logwatch import bots
from healthcheck.logwatch.scan import CodeCount

WIDTH = 100


def parse_code(text: str) -> int:
    """Given "-1021", "1021" or "403", return the code (HTTP statuses stay positive); raise
    ValueError with a one-line reason."""
    try:
        n = int(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a Binance error code (like -1021) or an HTTP status (403, 418, 429)"
        ) from None
    if n in catalogue.HTTP_STATUSES:
        return n
    if 1000 <= n <= 99999:
        return -n
    return n


def predicted_text(entry: catalogue.CatalogueEntry) -> str:
    if entry.predicted_by:
        return f"the `{entry.predicted_by}` check warns before the bot gets it"
    return "no check can: only the bot's log shows it (watch it with [[watch]])"


def render_code(code: int, product: str | None, out: TextIO) -> bool:
    """Print every meaning of a code (only ``product``'s if given); return False if unknown."""
    found = catalogue.entries(code)
    if product is not None:
        found = [e for e in found if product in e.products]
    if not found:
        where = f" on {catalogue.PRODUCT_NAMES.get(product, product)}" if product else ""
        others = catalogue.products_defining(code)
        hint = f" (it is defined on: {', '.join(others)})" if others and product else ""
        print(f"{code}: not in our catalogue{where}{hint}", file=out)
        return False
    for e in found:
        products = ", ".join(catalogue.PRODUCT_NAMES[p] for p in e.products)
        print(f"{e.code} {e.name}  ({products})", file=out)
        for t in e.texts:
            print(_wrap(f'Binance says: "{t}"'), file=out)
        print(_wrap(f"Meaning: {e.meaning}"), file=out)
        print(_wrap(f"Usual causes: {e.causes}"), file=out)
        print(_wrap(f"Fix: {e.fix}"), file=out)
        print(_wrap(f"Predicted: {predicted_text(e)}"), file=out)
        print("", file=out)
    return True


def codes_json(codes: list[int], product: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"codes": []}
    for code in codes:
        found = [e for e in catalogue.entries(code) if product is None or product in e.products]
        out["codes"].append(
            {"code": code, "known": bool(found), "meanings": [e.to_json() for e in found]}
        )
    return out


def _iso(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts is not None else "-"


def log_rows(counts: list[CodeCount]) -> list[dict[str, Any]]:
    rows = []
    for c in counts:
        e = catalogue.lookup(c.code, c.product)
        said = bots.words_for(c.msg) if c.words else None
        predicted = said.predicted_by if said else (e.predicted_by if e else "")
        rows.append(
            {
                "code": c.code,
                "product": c.product,
                "count": c.count,
                "first_seen": _iso(c.first_seen) if c.first_seen else None,
                "last_seen": _iso(c.last_seen) if c.last_seen else None,
                "name": e.name if e else None,
                "meaning": e.meaning if e else None,
                "fix": said.fix if said else (e.fix if e else None),
                "predicted_by": predicted or None,
                # the bot refused by itself: no order reached Binance; this is what it means
                "bot": said.bot if said else None,
                "bot_says": said.explain(c.msg) if said else None,
                "sample": c.sample,
            }
        )
    return rows


def render_log(path: str, counts: list[CodeCount], lines: int, out: TextIO) -> None:
    rows = log_rows(counts)
    if not rows:
        print(f"{path}: no Binance errors in {lines} line(s)", file=out)
        return
    total = sum(r["count"] for r in rows)
    print(f"{path}: {total} Binance error(s) of {len(rows)} kind(s) in {lines} line(s)", file=out)
    head = f"{'CODE':<7} {'PRODUCT':<7} {'COUNT':>6}  {'FIRST SEEN':<19}  {'LAST SEEN':<19}  NAME"
    print(head, file=out)
    for r in rows:
        own = f" ({r['bot']}'s own refusal: no order sent)" if r["bot"] else ""
        print(
            f"{r['code']:<7} {r['product']:<7} {r['count']:>6}  "
            f"{r['first_seen'] or '-':<19}  {r['last_seen'] or '-':<19}  {r['name'] or '?'}{own}",
            file=out,
        )
        if r["bot_says"]:
            print(_wrap(f"{r['bot']} says: {r['bot_says']}", 8), file=out)
            print(_wrap(f"stands for: {r['code']} {r['name']}: {r['meaning']}", 8), file=out)
            print(_wrap(f"fix: {r['fix']}", 8), file=out)
            if r["predicted_by"]:
                print(_wrap(f"predicted by: the `{r['predicted_by']}` check", 8), file=out)
        elif r["meaning"]:
            print(_wrap(f"meaning: {r['meaning']}", 8), file=out)
            print(_wrap(f"fix: {r['fix']}", 8), file=out)
        print(_wrap(f"e.g.: {r['sample'][:200]}", 8), file=out)


def log_json(path: str, counts: list[CodeCount], lines: int) -> str:
    return json.dumps({"file": path, "lines": lines, "errors": log_rows(counts)}, indent=2)


def _wrap(text: str, indent: int = 2) -> str:
    pad = " " * indent
    return textwrap.fill(
        text,
        WIDTH,
        initial_indent=pad,
        subsequent_indent=pad + "  ",
        break_long_words=True,
        break_on_hyphens=False,
    )
