"""Scrubbing of secrets from every string that leaves the process.

Signed URLs end up in requests exceptions and urllib3 debug logs, apprise logs bot tokens, and
exception tracebacks carry both. Redaction therefore runs in a logging *Formatter* (the only place
that sees the final text, traceback included; filters on loggers or handlers miss child loggers or
tracebacks) and on every text a check produces. Known secret values are registered at load time
and replaced literally; patterns catch what we cannot know in advance.
"""

from __future__ import annotations

import logging
import re
import threading

_lock = threading.Lock()
_literals: set[str] = set()
_literal_re: re.Pattern[str] | None = None

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(signature=)[^&\s'\"]+", re.I), r"\1<redacted>"),
    (re.compile(r"(X-MBX-APIKEY['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+", re.I), r"\1<redacted>"),
    (re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+"), r"\1<redacted>"),
    # (not the placeholder "tgram://TOKEN/CHAT" of help and error texts)
    (re.compile(r"(tgram://)(?!TOKEN/|BOT_TOKEN/)[^/\s]+"), r"\1<redacted>"),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^@\s/]+@", re.I), r"\1<redacted>@"),
    # apprise's privacy mode abbreviates tokens to first...last character ("H...6"): still a
    # fragment of a secret in its own log lines
    (re.compile(r"(?<![\w.])[^\s/?&=.:@]\.\.\.[^\s/?&=.:@](?![\w.])"), "<redacted>"),
    (
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
        "<redacted private key>",
    ),
]

MIN_LITERAL = 6
_USERINFO_RE = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@]*@", re.I)


def strip_userinfo(text: str) -> str:
    """Given text holding URLs, return it with every ``user:password@`` part removed
    (``http://u:p@proxy:3128/x`` -> ``http://proxy:3128/x``): for keys that are stored."""
    return _USERINFO_RE.sub(r"\1", text)


def register(value: str | None) -> None:
    """Given a secret value, make every later :func:`scrub` replace it (and its parts)."""
    global _literal_re
    if not value or len(value) < MIN_LITERAL:
        return
    with _lock:
        new = {value}
        new.update(_url_parts(value))
        # private keys are multi-line: their base64 lines are secret too
        for line in value.splitlines():
            line = line.strip()
            if len(line) >= 16 and not line.startswith("-----"):
                new.add(line)
        if new <= _literals:
            return
        _literals.update(new)
        # compiled at the next scrub: loading 20 accounts registers 40+ secrets, and compiling
        # the alternation after each one cost a one-shot check 0.35 s
        _literal_re = None


def _literal_pattern() -> re.Pattern[str] | None:
    """The registered secrets as one pattern (longest first), compiled once per change."""
    global _literal_re
    pattern = _literal_re
    if pattern is not None or not _literals:
        return pattern
    with _lock:
        if _literal_re is None and _literals:
            ordered = sorted(_literals, key=len, reverse=True)
            _literal_re = re.compile("|".join(re.escape(s) for s in ordered))
        return _literal_re


_PLAIN_WORD = re.compile(r"^[a-z_-]+$")


def _url_parts(value: str) -> set[str]:
    """Given a secret that is a URL (an apprise or heartbeat URL), return the parts of it that
    look like tokens: path segments, user, password and argument values of 8+ characters that
    are not plain lower-case words. Webhooks keep their token in the path, and apprise logs the
    path on its own (without the rest of the URL)."""
    if "://" not in value or "\n" in value:
        return set()
    import urllib.parse

    try:
        parts = urllib.parse.urlsplit(value.strip())
    except ValueError:
        return set()
    pieces = [urllib.parse.unquote(p) for p in parts.path.split("/")]
    pieces += [v for _, v in urllib.parse.parse_qsl(parts.query)]
    userinfo = parts.netloc.rpartition("@")[0]
    pieces += userinfo.split(":") if userinfo else []
    if parts.scheme.lower().startswith("tgram"):
        pieces.append(parts.netloc)  # the bot token is the "host"
    return {p for p in pieces if len(p) >= 8 and not _PLAIN_WORD.match(p)}


def scrub(text: str) -> str:
    """Given any text, return it with registered secrets and secret-shaped parts replaced."""
    if not text:
        return text
    pattern = _literal_pattern()
    if pattern is not None:
        text = pattern.sub("<redacted>", text)
    for rx, repl in _PATTERNS:
        text = rx.sub(repl, text)
    return text


class RedactingFormatter(logging.Formatter):
    """A Formatter that scrubs the final record text, traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))

    def formatException(self, ei) -> str:  # noqa: N802 (logging API)
        return scrub(super().formatException(ei))


def setup_logging(level: int = logging.INFO, stream=None) -> logging.Handler:
    """Install one stderr handler with the redacting formatter on the root logger."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # these libraries log signed URLs and bot tokens at DEBUG
    for noisy in (
        "urllib3",
        "apprise",
        "binance",
        "apscheduler.executors.default",
        "apscheduler.scheduler",
    ):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    return handler
