"""binance-healthcheck: warns a person before a trading bot's Binance orders start failing.

The package is layered: ``cli`` parses arguments and prints; ``config`` turns TOML into typed
settings; ``runner`` (one-shot) and ``daemon`` (scheduled) plan and run checks; ``checks/*``
evaluate fetched exchange facts into :class:`~healthcheck.model.result.Result` objects; ``gateway`` is
the only module that imports python-binance.
"""

__version__ = "0.1.0"
