"""Loopback stand-ins for alert destinations, for tests that send real apprise notifications.

Each receiver listens on 127.0.0.1 with a free port, records what arrives, can be told to fail
or hang, and is a context manager exposing ``.url`` (the apprise URL that reaches it):

* :class:`HttpReceiver` — plain HTTP GET/POST endpoint (heartbeat pings).
* :class:`JsonReceiver` — ``json://`` endpoint (HTTP POST of apprise's JSON payload).
* :class:`SmtpReceiver` — ``mailto://`` via aiosmtpd; can refuse with 421/550.
* :class:`TelegramFake` — the Bot API's ``sendMessage``, validating text the way Telegram does.
  Its ``tgram://`` URL only reaches it while ``NotifyTelegram.notify_url`` points at
  :attr:`TelegramFake.api_base` (the ``telegram_fake`` fixture in conftest does that).

Only the standard library and aiosmtpd; no network beyond loopback.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, step: float = 0.01) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _HttpReceiver:
    """A threaded HTTP server on 127.0.0.1:0 calling ``self.handle`` for each POST."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []  # every POST seen, accepted or not
        self.fail_status: int | None = None
        self.hang_seconds: float = 0.0
        self._release = threading.Event()  # ends hanging handlers at shutdown
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, payload = owner._dispatch(self.path, dict(self.headers), raw)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (deadline); nothing to answer

            def do_GET(self) -> None:  # noqa: N802 (heartbeat pings are GETs)
                with owner.lock:
                    owner.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "raw": b"",
                            "method": "GET",
                        }
                    )
                    status = owner.fail_status or 200
                data = b"OK" if status == 200 else b"error"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # access logs would print tokens from request paths

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(0.05,),
            daemon=True,
            name=f"{type(self).__name__}:{self.port}",
        )

    def _dispatch(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        with self.lock:
            hang, fail = self.hang_seconds, self.fail_status
            self.requests.append({"path": path, "headers": headers, "raw": raw, "method": "POST"})
        if hang > 0:
            with self.lock:
                release = self._release
            release.wait(hang)
        if fail is not None:
            return fail, {"error": "failing on purpose"}
        return self.handle(path, headers, raw)

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        return 200, {"ok": True}

    def release_hangs(self) -> None:
        """End requests hanging right now (later ones hang again while hang_seconds > 0)."""
        with self.lock:
            self._release.set()
            self._release = threading.Event()

    @property
    def hits(self) -> int:
        with self.lock:
            return len(self.requests)

    def __enter__(self) -> _HttpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.hang_seconds = 0.0
            self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class HttpReceiver(_HttpReceiver):
    """A plain endpoint (e.g. a heartbeat/dead man's switch): GET and POST answer 200 (or
    ``fail_status``); ``requests`` records method, path, headers and body."""

    def __init__(self) -> None:
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HttpReceiver:
        super().__enter__()
        return self


class JsonReceiver(_HttpReceiver):
    """Records apprise ``json://`` notifications: ``messages`` holds the decoded bodies."""

    def __init__(self, path: str = "/") -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []
        self.url = f"json://127.0.0.1:{self.port}{path}"

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return 400, {"error": "not JSON"}
        with self.lock:
            self.messages.append(body)
        return 200, {"ok": True}

    def __enter__(self) -> JsonReceiver:
        super().__enter__()
        return self


# Telegram's HTML parse mode: these tags only (core.telegram.org/bots/api#html-style)
TELEGRAM_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
TELEGRAM_MAX_TEXT = 4096
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>")
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def telegram_html_error(text: str) -> str | None:
    """Return Telegram's complaint about ``text`` in HTML parse mode, or None if it parses."""
    stack: list[str] = []
    visible: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG_RE.match(text, i)
            if m is None:
                return f"can't parse entities: Unexpected character '<' at byte offset {i}"
            closing, tag = m.group(1) == "/", m.group(2).lower()
            if tag not in TELEGRAM_TAGS:
                return f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset {i}'
            if closing:
                if not stack or stack[-1] != tag:
                    return (
                        f"can't parse entities: Unmatched end tag at byte offset {i}, "
                        f'expected "</{stack[-1] if stack else ""}>", found "</{tag}>"'
                    )
                stack.pop()
            else:
                stack.append(tag)
            i = m.end()
            continue
        if ch == "&":
            m = _ENTITY_RE.match(text, i)
            if m is None:
                return f"can't parse entities: Unexpected character '&' at byte offset {i}"
            visible.append(html.unescape(m.group(0)))
            i = m.end()
            continue
        if ch == ">":
            pass  # Telegram tolerates a bare '>'
        visible.append(ch)
        i += 1
    if stack:
        return (
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    if len("".join(visible)) > TELEGRAM_MAX_TEXT:
        return "message is too long"
    return None


class TelegramFake(_HttpReceiver):
    """Answers ``POST /bot<token>/sendMessage`` like the Bot API; records accepted messages.

    ``messages`` holds the accepted request bodies plus ``"visible"`` (the text as a person
    would see it); ``rejected`` holds (body, description) of refused ones. Set ``fail_with =
    (400, "Bad Request: chat not found")`` to refuse everything with that answer.
    """

    TOKEN = "123456789:AAH-test-token-xyz"
    CHAT_ID = "4242"

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []
        self.rejected: list[tuple[dict[str, Any], str]] = []
        self.fail_with: tuple[int, str] | None = None
        self.api_base = f"http://127.0.0.1:{self.port}/bot"
        self.url = f"tgram://{self.TOKEN}/{self.CHAT_ID}"
        self._next_id = 1

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        m = re.fullmatch(r"/bot([^/]+)/(\w+)", path.split("?", 1)[0])
        if m is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, method = m.groups()
        if token != self.TOKEN:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if method != "sendMessage":
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": f"Bad Request: method {method} not faked",
            }
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: bad JSON"}
        if self.fail_with is not None:
            code, description = self.fail_with
        else:
            problem = self._problem(body)
            code, description = 400, f"Bad Request: {problem}" if problem else ""
        if description:
            with self.lock:
                self.rejected.append((body, description))
            return code, {"ok": False, "error_code": code, "description": description}
        text = str(body.get("text", ""))
        visible = (
            html.unescape(re.sub(r"<[^>]+>", "", text))
            if body.get("parse_mode") == "HTML"
            else text
        )
        with self.lock:
            message_id = self._next_id
            self._next_id += 1
            self.messages.append({**body, "visible": visible})
        return 200, {
            "ok": True,
            "result": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": int(body.get("chat_id", 0) or 0), "type": "private"},
                "text": visible,
            },
        }

    @staticmethod
    def _problem(body: dict[str, Any]) -> str | None:
        if not body.get("chat_id"):
            return "chat_id is empty"
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return "message text is empty"
        mode = body.get("parse_mode")
        if mode not in (None, "", "HTML", "MarkdownV2", "Markdown"):
            return f"unsupported parse_mode {mode!r}"
        if mode == "HTML":
            return telegram_html_error(text)
        if len(text) > TELEGRAM_MAX_TEXT:
            return "message is too long"
        return None

    def __enter__(self) -> TelegramFake:
        super().__enter__()
        return self


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    subject: str
    body: str
    raw: bytes


class SmtpReceiver:
    """An aiosmtpd server on 127.0.0.1 recording mail; ``refuse_code`` 421/550 refuses it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[ReceivedMail] = []
        self.refuse_code: int | None = None
        self.attempts = 0  # DATA commands seen, accepted or not
        self.port = free_port()
        self.url = f"mailto://127.0.0.1:{self.port}?from=hc@example.test&to=ops@example.test"
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.attempts += 1
            refuse = self.refuse_code
        if refuse == 421:
            return "421 4.3.2 Service not available, try again later"
        if refuse is not None:
            return f"{refuse} 5.7.1 Message refused on purpose"
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain", "html")) if msg.is_multipart() else msg
        body = part.get_content() if part is not None else ""
        with self.lock:
            self.messages.append(
                ReceivedMail(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    str(msg.get("Subject", "")),
                    str(body),
                    raw,
                )
            )
        return "250 Message accepted for delivery"

    def __enter__(self) -> SmtpReceiver:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
