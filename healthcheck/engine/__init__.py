"""The run engine: plan what to fetch, execute it through the exchange gateway, evaluate the checks;
and the daemon's schedule of those runs.
"""
