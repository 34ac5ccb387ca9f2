"""Tests for healthcheck.storage.redact: secrets never leave the process in text or logs."""

from __future__ import annotations

import io
import logging

from healthcheck.storage import redact


def test_signatures_api_keys_bot_tokens_and_url_passwords_are_masked() -> None:
    text = (
        "GET https://api.binance.com/api/v3/account?timestamp=1&signature=abcdef0123456789 "
        "headers {'X-MBX-APIKEY': 'k3yk3yk3yk3y'} "
        "POST https://api.telegram.org/bot123456:AAHsecretTOKEN_x/sendMessage "
        "smtp://alice:s3cretpass@mail.example.test/ tgram://999:tok/42"
    )
    out = redact.scrub(text)
    for secret in ("abcdef0123456789", "k3yk3yk3yk3y", "AAHsecretTOKEN_x", "s3cretpass", "999:tok"):
        assert secret not in out, secret
    assert "api.binance.com/api/v3/account" in out and "mail.example.test" in out


def test_a_registered_value_and_its_url_parts_are_replaced_anywhere() -> None:
    url = "json://hookuser:Wh0leP4ssword@hooks.example.test/path/t0kenSegment99"
    redact.register(url)
    out = redact.scrub("failed: Wh0leP4ssword and /path/t0kenSegment99 seen")
    assert "Wh0leP4ssword" not in out and "t0kenSegment99" not in out
    assert "<redacted>" in out


def test_strip_userinfo_keeps_the_host_for_stored_keys() -> None:
    assert redact.strip_userinfo("http://u:p@proxy:3128/x") == "http://proxy:3128/x"
    assert redact.strip_userinfo("no url here") == "no url here"


def test_the_log_formatter_scrubs_messages_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(redact.RedactingFormatter("%(message)s"))
    log = logging.getLogger("tests.redact.formatter")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise RuntimeError("https://x.test/?signature=deadbeefcafe1234")
        except RuntimeError:
            log.exception("sending https://bob:pw9876543@relay.example.test/")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "RuntimeError" in text
    assert "deadbeefcafe1234" not in text and "pw9876543" not in text
