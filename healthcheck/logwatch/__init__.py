"""Watching a trading bot's own log for Binance errors.

``parse`` finds Binance errors in log lines as each client library prints them, ``follow`` reads
new lines from a file, a command or a systemd journal, ``store`` keeps positions and occurrences
in the state directory, and ``watcher`` ties them together for ``check``, the daemon and
``explain --log``.
"""
