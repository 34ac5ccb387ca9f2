"""Tests for healthcheck.storage.secrets: a Secret never shows its value."""

from __future__ import annotations

import logging
import pickle

import pytest

from healthcheck.storage import redact
from healthcheck.storage.secrets import Secret, mask

VALUE = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"


def test_repr_str_and_format_show_only_a_mask() -> None:
    s = Secret(VALUE, "api_secret")
    for text in (repr(s), str(s), f"{s}", format(s, ""), f"{[s]}", f"{ {'k': s} }"):
        assert VALUE not in text
        assert "vmPU…Eh8A" in text and "api_secret" in text
    assert s.reveal() == VALUE


def test_short_values_are_fully_masked_and_mask_keeps_at_most_8_characters() -> None:
    assert mask("short") == "****"
    assert mask(VALUE) == "vmPU…Eh8A"


def test_a_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret(VALUE))


def test_creating_a_secret_makes_logs_redact_its_value(caplog: pytest.LogCaptureFixture) -> None:
    value = "Zx9Qw8Er7Ty6Ui5Op4As3Df2"
    Secret(value)
    assert value not in redact.scrub(f"error near {value} in body")
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "key %s", (value,), None)
    assert value not in redact.RedactingFormatter("%(message)s").format(record)
