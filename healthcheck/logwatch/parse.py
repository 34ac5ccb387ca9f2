"""Finds Binance errors in the lines a bot writes, as its client library prints them.

Recognised (each shape comes from the client's source, see tests/logwatch/test_parse.py):
- raw JSON bodies ``{"code":-2019,"msg":"..."}`` (ccxt, hummingbot, freqtrade, any bot logging
  the body), also as a Python dict repr;
- python-binance ``APIError(code=-1013): Market is closed.`` (code=0 + HTML is a WAF 403);
- binance-connector / binance-futures-connector ``ClientError`` tuples
  ``(400, -4164, "...", {headers})`` and their examples' ``status: 400, error code: -2019,
  error message: ...``;
- the modular binance-sdk ``(-4164, "...")`` and ``(None, 'Access to the requested resource is
  forbidden.')``;
- ccxt messages without a code (``binance Account has insufficient balance ...``) and its
  ``binance 429 Too Many Requests`` / ``binance GET <url> 403 Forbidden`` texts;
- HTTP status lines (403, 418, 429) that name a Binance host or path;
- the bots' own words for a rule they enforce themselves (freqtrade's "ignoring trade", "Hedge
  Mode is not supported by freqtrade", hummingbot's "lower than minimum notional size"): the code
  the rule stands for, from healthcheck.logwatch.bots.

A bare number is never an error: a code counts only inside one of these shapes, so order ids,
timestamps and prices such as ``-1021`` do not match.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

from healthcheck.exchange import catalogue
from healthcheck.logwatch import bots
from healthcheck.storage.redact import scrub

MAX_SAMPLE = 400  # characters of a sample line kept for alerts


@dataclass(frozen=True)
class Hit:
    """One Binance error found in one line."""

    code: int  # Binance code, or 403/418/429 for an HTTP status without a code
    product: str | None  # spot, sapi, usdm, coinm, http; None when the line does not say
    msg: str
    ts: float | None  # the line's own timestamp, if it starts with one
    family: tuple[str, ...] = ()  # products whose text for this code matches the msg


# A candidate must contain one of these; everything else is skipped without running the
# expensive patterns (this is what keeps following a busy log cheap).
CANDIDATE = re.compile(
    r"-[1-5]\d{3}(?![\d.])|4(?:03|18|29)(?!\d)|APIError\(code=0\)"
    r"|binance (?=[A-Z])|\(None, |" + "|".join(bots.CANDIDATE_WORDS)
)

_Q = r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')"""  # a quoted string, either quote
_CODE = r"(-[1-9]\d{2,4})(?![\d.])"

_JSON_CODE_MSG = re.compile(
    r"""["']code["']\s*:\s*""" + _CODE + r"""\s*,\s*["']msg["']\s*:\s*""" + _Q
)
_JSON_MSG_CODE = re.compile(
    r"""["']msg["']\s*:\s*""" + _Q + r"""\s*,\s*["']code["']\s*:\s*""" + _CODE
)
_PYBINANCE = re.compile(r"APIError\(code=(-?\d{1,5})\):\s?(.*)")
_CONNECTOR_TUPLE = re.compile(r"\((\d{3}), (-\d{1,5}|None), " + _Q)
_CONNECTOR_EXAMPLE = re.compile(
    r"status: (\d{3}), error code: (-\d{1,5}|None), "
    r"error message: (.*)"
)
_SDK_TUPLE = re.compile(r"\((-\d{3,5}|None), " + _Q + r"\)")
_HB_STATUS = re.compile(r"HTTP status is (\d{3})")
_CCXT_DDOS = re.compile(r"\bbinance(?:usdm|coinm)? (418|429) ")
_CCXT_HTTP = re.compile(r"\bbinance(?:usdm|coinm)? (?:GET|POST|PUT|DELETE) (\S+) (403|418|429) ")
_HTTP_LINE = re.compile(
    r"""HTTP/\d(?:\.\d)?"?\s+(403|418|429)\b|\b(?:status(?: code)?[:=]? ?|"""
    r"""status_code=)(403|418|429)\b"""
)
_BINANCE_HOST = re.compile(r"binance\.(?:com|vision|us|me)|/(?:api|sapi|fapi|dapi)/v\d")
_WAF_HTML = re.compile(r"403 ERROR|Request blocked|could not be satisfied|cloudfront", re.I)

# ccxt raises some errors as "binance <msg>" without the code (ccxt binance.py handle_errors,
# "exact"/"broad" message tables): map the msg back to the code Binance sent with it.
_CCXT_MSG = {
    "Account has insufficient balance for requested action.": (-2010, "spot"),
    "Market is closed.": (-1013, "spot"),
    "Rest API trading is not enabled.": (-2010, "spot"),
    "This symbol is not permitted for this account.": (-2010, "spot"),
    "This action is disabled on this account.": (-2010, "spot"),
}
_CCXT_MSG_RE = re.compile(
    r"\bbinance(?:usdm|coinm)? (" + "|".join(re.escape(m) for m in _CCXT_MSG) + ")"
)

# Clients that print only Binance's msg (the modular binance-sdk before it kept the code, bots
# logging e.message): a line with an error word and one of Binance's own texts counts too.
_ERROR_WORD = re.compile(r"(?i:rror|xception|ailed|ejected)")
_ERROR_TOKENS = ("rror", "RROR", "xception", "XCEPTION", "ailed", "AILED", "ejected", "EJECTED")
_ACCOUNT_FILTERS = ("MAX_NUM_ORDERS", "MAX_NUM_ALGO_ORDERS", "MAX_POSITION", "EXCHANGE_MAX_NUM")
MIN_TEXT = 20  # shorter texts ("INVALID_MESSAGE.") are too generic to trust without a code


def _text_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for (_, code), entry in catalogue.CATALOGUE.items():
        if code in catalogue.HTTP_STATUSES:
            continue
        for text in entry.texts:
            head = catalogue.head(text)
            if len(head) >= MIN_TEXT:
                table.setdefault(head, code)  # catalogue order: -1013 before -2010
    return table


_TEXTS = _text_table()
_TEXT_RE = re.compile(
    "|".join(re.escape(t) for t in sorted(_TEXTS, key=len, reverse=True))
    + r"|Filter failure: ([A-Z_]+)"
)

_PRODUCT_HINTS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"/fapi/|fapi\.binance|binanceusdm|UMFutures|usds_futures|"
            r"derivatives_trading_usds|/[A-Z0-9]+:USDT\b|/[A-Z0-9]+:USDC\b"
        ),
        "usdm",
    ),
    (
        re.compile(
            r"/dapi/|dapi\.binance|binancecoinm|CMFutures|coin_futures|"
            r"derivatives_trading_coin|/USD:[A-Z0-9]+\b"
        ),
        "coinm",
    ),
    (re.compile(r"/sapi/"), "sapi"),
    (re.compile(r"/api/v\d|api\.binance\.com|testnet\.binance\.vision"), "spot"),
]

_TS = re.compile(
    r"^\s*\[?(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,6}))?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)

_SECRET_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(listenKey['\"]?\s*[:=]\s*['\"]?)[A-Za-z0-9]{20,}", re.I), r"\1<redacted>"),
    (re.compile(r"(/listenKey/|/ws/)[A-Za-z0-9]{40,}"), r"\1<redacted>"),
    (
        re.compile(
            r"((?:api[_-]?key|apikey|secret|api[_-]?secret)['\"]?\s*[:=]\s*['\"]?)"
            r"[^'\"\s,&}]+",
            re.I,
        ),
        r"\1<redacted>",
    ),
    (re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])"), "<redacted>"),
]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def mask(line: str) -> str:
    """Given a log line, return it with keys, secrets, signatures and listenKeys masked and cut
    to MAX_SAMPLE characters."""
    text = scrub(line)
    for rx, repl in _SECRET_PATTERNS:
        text = rx.sub(repl, text)
    text = _CONTROL.sub(" ", text).strip()
    if len(text) > MAX_SAMPLE:
        text = text[: MAX_SAMPLE - 3] + "..."
    return text


def line_timestamp(line: str) -> float | None:
    """Given a line starting with an ISO-like timestamp (Python logging's asctime, journalctl
    short-iso), return it as epoch seconds; naive times are taken as local time."""
    m = _TS.match(line)
    if not m:
        return None
    date, clock, frac, tz = m.groups()
    try:
        dt = datetime.fromisoformat(f"{date}T{clock}" + (tz or ""))
    except ValueError:
        return None
    if dt.tzinfo is None:
        try:
            value = time.mktime(dt.timetuple())  # naive: the machine's local time, like asctime
        except (OverflowError, ValueError):
            return None
    else:
        value = dt.timestamp()
    if frac:
        value += int(frac) / 10 ** len(frac)
    return value


def product_hint(line: str) -> str | None:
    """Given a line, return the product its URL, client class or pair names, if any."""
    for rx, product in _PRODUCT_HINTS:
        if rx.search(line):
            return product
    return None


def _unquote(a: str | None, b: str | None) -> str:
    text = a if a is not None else (b or "")
    return text.replace('\\"', '"').replace("\\'", "'")


def _matching(code: int, msg: str) -> list[catalogue.CatalogueEntry]:
    """Given a code and its msg, return the catalogue entries whose text the msg starts with."""
    matching = []
    for e in catalogue.entries(code):
        for text in e.texts:
            head = catalogue.head(text).rstrip(". ")
            if head and msg.startswith(head[:60]):
                matching.append(e)
                break
    return matching


def _product_for(code: int, msg: str, hint: str | None) -> str | None:
    """Given a code, its msg and the line's hint, return the product whose text matches, else
    the hint, else the only product defining the code."""
    if code in catalogue.HTTP_STATUSES and not msg:
        return "http"
    variants = catalogue.entries(code)
    matching = _matching(code, msg)
    candidates = matching or variants
    if hint is not None and (not variants or any(hint in e.products for e in candidates)):
        return hint
    if len(matching) == 1 and len(matching[0].products) == 1:
        return matching[0].products[0]
    if len(variants) == 1 and len(variants[0].products) == 1:
        return variants[0].products[0]
    if matching and hint is not None:  # e.g. a futures text on a line naming a spot URL
        return matching[0].products[0]
    return None


def resolve_product(
    code: int, product: str | None, default: str | None, family: tuple[str, ...] = ()
) -> str:
    """Given a hit's code, product (None: the line did not say) and family (products whose text
    matched), and the account's default product, return the product to explain it with."""
    if product:
        return product
    if family:
        return default if default in family else family[0]
    if default and (default, code) in catalogue.CATALOGUE:
        return default
    entry = catalogue.lookup(code, default)
    if entry is not None:
        return entry.products[0]
    return default or "spot"


def candidate_lines(lines: list[str]) -> list[str]:
    """Given many lines, return those that may hold a Binance error (one regex scan over the
    joined text instead of one per line: following a busy log stays cheap)."""
    if not lines:
        return []
    text = "\n".join(lines)
    spans: dict[int, int] = {}  # line start -> line end
    after = -1  # end of the last line taken
    for m in CANDIDATE.finditer(text):
        if m.start() < after:
            continue
        start = text.rfind("\n", 0, m.start()) + 1
        after = text.find("\n", m.end())
        if after < 0:
            after = len(text)
        spans[start] = after
    # lines that may hold Binance's text without its code: str.find is far cheaper than a
    # case-insensitive regex scan over every character
    for token in _ERROR_TOKENS:
        pos = text.find(token)
        while pos >= 0:
            start = text.rfind("\n", 0, pos) + 1
            end = text.find("\n", pos)
            if end < 0:
                end = len(text)
            spans[start] = end
            pos = text.find(token, end)
    return [text[a:b] for a, b in sorted(spans.items())]


_Found = list[tuple[int, str, str | None]]  # (code, msg, product forced by the shape)


def _from_json(line: str, hint: str | None) -> _Found:
    found: _Found = [
        (int(m.group(1)), _unquote(m.group(2), m.group(3)), None)
        for m in _JSON_CODE_MSG.finditer(line)
    ]
    if not found:
        found = [
            (int(m.group(3)), _unquote(m.group(1), m.group(2)), None)
            for m in _JSON_MSG_CODE.finditer(line)
        ]
    return found


def _from_python_binance(line: str, hint: str | None) -> _Found:
    m = _PYBINANCE.search(line)
    if not m:
        return []
    code, msg = int(m.group(1)), m.group(2).strip()
    if code < 0:
        return [(code, msg, None)]
    if _WAF_HTML.search(msg):  # code=0: a non-JSON body, i.e. CloudFront's page
        return [(403, "", "http")]
    return []


def _status_or_code(status: int, code: str, msg: str) -> _Found:
    if code != "None":
        return [(int(code), msg, None)]
    if status in catalogue.HTTP_STATUSES:
        return [(status, "", "http")]
    return []


def _from_connector(line: str, hint: str | None) -> _Found:
    m = _CONNECTOR_TUPLE.search(line)
    if m:
        return _status_or_code(int(m.group(1)), m.group(2), _unquote(m.group(3), m.group(4)))
    m = _CONNECTOR_EXAMPLE.search(line)
    if m:
        return _status_or_code(int(m.group(1)), m.group(2), m.group(3).strip())
    return []


def _from_sdk(line: str, hint: str | None) -> _Found:
    m = _SDK_TUPLE.search(line)
    if not m:
        return []
    code_text, msg = m.group(1), _unquote(m.group(2), m.group(3))
    if code_text != "None":
        return [(int(code_text), msg, None)]
    if msg.startswith("Access to the requested resource is forbidden"):
        return [(403, "", "http")]
    return []


def _from_ccxt_message(line: str, hint: str | None) -> _Found:
    m = _CCXT_MSG_RE.search(line)
    if not m:
        return []
    code, product = _CCXT_MSG[m.group(1)]
    return [(code, m.group(1), hint or product)]


def _from_binance_text(line: str, hint: str | None) -> _Found:
    if not _ERROR_WORD.search(line):
        return []
    m = _TEXT_RE.search(line)
    if not m:
        return []
    if m.group(1):  # "Filter failure: X": account-state filters come back as -2010
        code = -2010 if m.group(1).startswith(_ACCOUNT_FILTERS) else -1013
        return [(code, m.group(0), hint or "spot")]
    return [(_TEXTS[m.group(0)], line[m.start() : m.start() + 200], None)]


def _from_http_status(line: str, hint: str | None) -> _Found:
    status = _http_status(line)
    return [(status, "", "http")] if status is not None else []


# in order; the first shape that finds something wins (a 429 with a -1003 body is one error:
# the code, which says more than the status)
_SHAPES = (
    _from_json,
    _from_python_binance,
    _from_connector,
    _from_sdk,
    _from_ccxt_message,
    _from_http_status,
    _from_binance_text,
)


def parse_line(line: str, default_product: str | None = None) -> list[Hit]:
    """Given one log line (and the product to assume when a bot's own words do not say), return
    the Binance errors in it (usually none, at most a few)."""
    if not CANDIDATE.search(line) and not _ERROR_WORD.search(line):
        return []
    hint = product_hint(line)
    said = bots.find(line)
    if said is not None:
        words, text = said
        where = hint or bots.hummingbot_product(line) or default_product
        own_code, own_product = words.code_for(where)
        return [Hit(own_code, own_product, text[:300], line_timestamp(line))]
    found: _Found = []
    for shape in _SHAPES:
        found = shape(line, hint)
        if found:
            break
    if not found:
        return []
    hits = []
    seen = set()
    ts = line_timestamp(line)
    for code, msg, forced in found:
        if code in seen:
            continue
        seen.add(code)
        if code not in catalogue.HTTP_STATUSES and not -9999 <= code <= -1000:
            continue  # not a Binance error code (e.g. "code": -1 from another API)
        product = forced or _product_for(code, msg, hint)
        family: tuple[str, ...] = ()
        if product is None:
            family = tuple(dict.fromkeys(p for e in _matching(code, msg) for p in e.products))
        hits.append(Hit(code, product, msg[:300], ts, family))
    return hits


def _http_status(line: str) -> int | None:
    m = _CCXT_DDOS.search(line)
    if m:
        return int(m.group(1))
    m = _CCXT_HTTP.search(line)
    if m and _BINANCE_HOST.search(m.group(1)):
        return int(m.group(2))
    m = _HB_STATUS.search(line)
    if m and int(m.group(1)) in catalogue.HTTP_STATUSES and _BINANCE_HOST.search(line):
        return int(m.group(1))
    m = _HTTP_LINE.search(line)
    if m and _BINANCE_HOST.search(line):
        return int(m.group(1) or m.group(2))
    return None
