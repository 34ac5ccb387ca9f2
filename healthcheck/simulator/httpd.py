"""The simulator's HTTP/1.1 transport: a threaded keep-alive server on 127.0.0.1 with a cap on
connections and an idle timeout, whose handler reads a request off the socket, hands it to the
simulator (the ``/_sim`` control API or the exchange's request pipeline) and writes the answer,
or misbehaves at the socket as a fault asks (close, reset, a truncated body, a held request).
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

from healthcheck.simulator.fault_control import FaultController
from healthcheck.simulator.pipeline import RequestPipeline
from healthcheck.simulator.wire import Request, Response, json_response

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1 << 20  # Binance refuses far smaller bodies; nothing we serve needs more


class Backend(Protocol):
    """What the transport needs of the simulator (:class:`~.server.Simulator` provides it)."""

    max_connections: int
    idle_timeout_seconds: float
    latency_ms: float
    stopping: threading.Event

    @property
    def pipeline(self) -> RequestPipeline: ...

    @property
    def fault_control(self) -> FaultController: ...

    def control(self, method: str, path: str, raw_body: bytes) -> Response: ...


class HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # Keep-alive handler threads may sit idle; don't join them on close.
    block_on_close = False
    # many concurrent checks connect at once (20 accounts open ~190 connections in one burst);
    # a full backlog drops SYNs and the client retries only after 1 s
    request_queue_size = 1024

    def __init__(self, addr: tuple[str, int], sim: Backend) -> None:
        self.sim = sim
        self._slots = threading.BoundedSemaphore(sim.max_connections)
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # One thread per connection, but never more than max_connections of them: a slowloris
        # cannot make thousands of threads. Over the cap, new connections wait (in this accept
        # loop, then in the listen backlog) until an idle one times out or closes.
        while not self._slots.acquire(timeout=0.05):
            if self.sim.stopping.is_set():
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that vanished or idled out is not news; never print a traceback to stderr.
        log.debug("simulator connection error from %s", client_address, exc_info=True)

    def track_connection(self, conn: socket.socket, *, add: bool) -> None:
        with self._conns_lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def close_all(self) -> None:
        """Stop serving and wake handler threads blocked on idle keep-alive connections."""
        self.shutdown()
        with self._conns_lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else Nagle + delayed ACK adds ~40 ms per keep-alive call
    server_version = "nginx"
    sys_version = ""
    server: HttpServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def version_string(self) -> str:
        return "nginx"

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.track_connection(self.connection, add=False)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def setup(self) -> None:
        # An idle (or trickling) connection is dropped after idle_timeout_seconds.
        self.timeout = self.server.sim.idle_timeout_seconds  # type: ignore[misc]
        super().setup()
        self.server.track_connection(self.connection, add=True)

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 400 (bad or huge Content-Length)."""
        raw = (self.headers.get("Content-Length") or "0").strip()
        if not raw.isdigit() or int(raw) > MAX_BODY_BYTES:
            why = "not a number" if not raw.isdigit() else f"over {MAX_BODY_BYTES} bytes"
            self.close_connection = True
            self._send(json_response(400, {"code": -1000, "msg": f"Bad Content-Length ({why})."}))
            return None
        length = int(raw)
        try:
            return self.rfile.read(length) if length > 0 else b""
        except TimeoutError:
            self.close_connection = True
            return None

    def _dispatch(self, method: str) -> None:
        sim = self.server.sim
        parts = urlsplit(self.path)
        raw_body = self._read_body()
        if raw_body is None:
            return
        if parts.path.startswith("/_sim/") or parts.path == "/_sim":
            self._send(sim.control(method, parts.path, raw_body))
            return
        req = Request(
            method,
            parts.path,
            parts.query,
            raw_body.decode("utf-8", "replace"),
            self.headers.get("X-MBX-APIKEY"),
            self.client_address[0],
        )
        resp = sim.pipeline.process(req)
        if resp.action == "hold":
            sim.fault_control.hold(resp)
            if sim.stopping.is_set():
                sim.pipeline.record_dropped(req)
                resp = Response(action="close")
            else:
                # The hold is over (time elapsed or fault cleared): answer as if nothing happened.
                resp = sim.pipeline.process(req, skip_transport=True)
        if sim.latency_ms > 0 and resp.action == "send":
            time.sleep(sim.latency_ms / 1000)
        self._send(resp)

    def _send(self, resp: Response) -> None:
        if resp.action == "close":
            self.close_connection = True
            return
        if resp.action == "reset":
            # SO_LINGER(on, 0) makes close() send RST instead of FIN. Detach so the server's own
            # shutdown(SHUT_WR) can't send a FIN first.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.server.track_connection(self.connection, add=False)
            os.close(self.connection.detach())
            self.close_connection = True
            return
        try:
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                self.send_header(k, v)
            declared = len(resp.body) + (512 if resp.action == "truncate" else 0)
            self.send_header("Content-Length", str(declared))
            self.end_headers()
            self.wfile.write(resp.body)
        except OSError:
            # The client gave up (e.g. its timeout fired during a 'timeout' hold): nothing to do.
            self.close_connection = True
            return
        if resp.action == "truncate":
            self.close_connection = True
