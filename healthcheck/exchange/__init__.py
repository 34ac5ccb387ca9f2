"""Exchange access, the only code that talks to Binance: accounts, endpoints, the gateway (the one
module that imports python-binance), fetch errors, weights, the error catalogue and NTP.
"""
