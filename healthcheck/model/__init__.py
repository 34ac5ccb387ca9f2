"""The plain types every layer shares: a check's Result and Status, the market table, maintenance
windows and silences. Imports nothing else from healthcheck (the bottom layer).
"""
