"""A tiny UDP NTP responder on 127.0.0.1 for tests and the demo: it answers NTP client requests
(mode 3) with server replies (mode 4) whose clock is ``time.time() + offset``, and can misbehave in
the ways real NTP servers do (silence, Kiss-o'-Death, zero or garbage packets, an originate
timestamp that does not match, the leap-alarm flag, stratum 16), so the clock check can be
exercised against every answer it must classify.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from types import TracebackType

NTP_EPOCH_DELTA = 2208988800  # seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix)

MODES = ("normal", "silent", "kod", "zero", "garbage", "bad_origin", "leap_alarm", "stratum16")


def to_ntp(t: float) -> bytes:
    """Unix time in seconds as a 64-bit NTP timestamp (32-bit seconds, 32-bit fraction)."""
    t += NTP_EPOCH_DELTA
    secs = int(t)
    frac = int((t - secs) * 2**32) & 0xFFFFFFFF
    return struct.pack("!II", secs & 0xFFFFFFFF, frac)


class NtpResponder:
    """UDP NTP server on a background daemon thread.

    All attributes may be changed while it runs; each reply reads them afresh.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.offset: float = 0.0  # seconds the served clock is ahead of time.time()
        self.hold_seconds: float = 0.0  # gap between receive and transmit timestamps
        self.mode: str = "normal"
        self.stratum: int = 2
        self.requests: int = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> NtpResponder:
        if self._sock is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.host, self.port))
        # A short timeout lets the loop notice stop() without needing a wake-up packet.
        sock.settimeout(0.1)
        self._sock = sock
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="sim-ntp", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> NtpResponder:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        if self._sock is None:
            raise RuntimeError("NtpResponder is not started")
        host, port = self._sock.getsockname()[:2]
        return host, port

    @property
    def server_string(self) -> str:
        host, port = self.address
        return f"{host}:{port}"

    # -- serving ---------------------------------------------------------------------------
    def _serve(self) -> None:
        assert self._sock is not None
        sock = self._sock
        while not self._stop.is_set():
            try:
                data, addr = sock.recvfrom(512)
            except TimeoutError:
                continue
            except OSError:
                return  # socket closed under us during stop()
            recv = time.time() + self.offset
            with self._lock:
                self.requests += 1
            reply = self.build_reply(data, recv)
            if reply is None:
                continue
            try:
                sock.sendto(reply, addr)
            except OSError:
                pass

    def build_reply(self, data: bytes, recv: float) -> bytes | None:
        """The reply packet for one request, or None to stay silent (also for runt packets)."""
        mode = self.mode
        if mode not in MODES:
            raise ValueError(f"unknown NTP mode {mode!r}; valid: {', '.join(MODES)}")
        if mode == "silent" or len(data) < 48:
            return None
        if mode == "zero":
            return b"\0" * 48
        if mode == "garbage":
            # Shorter than an NTP header, so a client must reject it as an invalid packet.
            return os.urandom(10)
        version = (data[0] >> 3) & 7 or 3
        leap, stratum, ref_id = 0, self.stratum, b"LOCL"
        if mode == "kod":
            leap, stratum, ref_id = 3, 0, b"RATE"
        elif mode == "leap_alarm":
            leap = 3
        elif mode == "stratum16":
            stratum, ref_id = 16, b"INIT"
        origin = data[40:48]
        if mode == "bad_origin":
            # Not the client's transmit timestamp: a spoofed or stale reply.
            origin = to_ntp(time.time() - 12345.678)
        if self.hold_seconds > 0:
            time.sleep(self.hold_seconds)
        tx = time.time() + self.offset
        header = struct.pack("!BBbb", (leap << 6) | (version << 3) | 4, stratum, 6, -20)
        root = struct.pack("!II", 0, 0)  # root delay, root dispersion
        return header + root + ref_id + to_ntp(recv - 16) + origin + to_ntp(recv) + to_ntp(tx)
