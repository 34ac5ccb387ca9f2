"""The trading bots an account is run by: their config files, their REST APIs and their words.

Nothing here talks to Binance. Each module reads one thing a bot owns (freqtrade's JSON config,
hummingbot's YAML strategies, freqtrade's REST API) and turns it into what the checks already
understand: markets, symbols, order sizes and liveness.
"""
