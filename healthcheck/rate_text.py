"""How a person names a weight pool ("spot /api"); shared by the CLI and the rate_limit check."""

from __future__ import annotations

from healthcheck.markets import MARKETS, POOLS

_NAMES = {"api": "spot", "sapi": "wallet", "fapi": "futures"}


def pool_name(pool: str) -> str:
    return f"{_NAMES.get(pool, MARKETS[POOLS[pool].market].title)} {POOLS[pool].prefix}"
