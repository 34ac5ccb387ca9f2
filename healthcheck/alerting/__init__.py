"""Alerting: flips into alerts, the outbox's delivery through apprise, inhibition, mutes and the
``status`` view.
"""
