"""binance-healthcheck: warns a person before a trading bot's Binance orders start failing.

The package is layered (docs/development.md, "Code layout"; import-linter checks it): ``cli`` parses
arguments and prints; ``service`` runs the daemon; ``alerting`` turns results into alerts;
``config`` turns TOML into typed settings; ``engine`` plans and runs checks; ``checks/*`` evaluate
fetched exchange facts into :class:`~healthcheck.model.result.Result` objects; ``exchange``
talks to Binance (its ``gateway`` is the only module that imports python-binance); ``storage``
and ``model`` are at the bottom.
"""

__version__ = "0.1.0"
