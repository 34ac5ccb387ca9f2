"""Safe reading of the files a user points us at: the config and every ``*_file`` secret.

Rules, the same for every caller (so a FIFO, ``/dev/zero`` or a 10 MB "secret" never hangs the
daemon, fills its memory or slows the log redactor):

* open with ``O_NONBLOCK`` so a FIFO without a writer cannot block the open, then ``fstat`` the
  descriptor and refuse anything that is not a regular file (FIFO, device, socket, directory);
* read at most ``max_bytes`` (+1 to detect more) and refuse a larger file with its limit;
* symbolic links are followed (Kubernetes secret volumes and other secret mounts link
  ``key -> ..data/key``); the checks below apply to the *final* file, and messages name it;
* a secret file must be owned by this user or root and must not be readable, writable or
  executable by group or others.

Every refusal is a :class:`FileRefused` with a one-line reason that names the file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

CONFIG_MAX_BYTES = 1024 * 1024  # a config file with dozens of accounts is a few KB
SECRET_MAX_BYTES = 4096  # API keys are 64 chars, HMAC secrets 64, passphrases a few dozen
PEM_MAX_BYTES = 16 * 1024  # an RSA-4096 PKCS#8 PEM is about 3.3 KB
URLS_FILE_MAX_BYTES = 64 * 1024  # one apprise URL a line

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


class FileRefused(Exception):
    """The file cannot be used; ``str()`` is a one-line reason naming the file."""


def describe_type(mode: int) -> str:
    """Given an ``st_mode``, return what kind of file it is in words."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _shown(path: Path) -> str:
    """Return the path as shown in messages: "'/x/key'" or "'/x/key' (a link to '/y/key')"."""
    try:
        if path.is_symlink():
            return f"{str(path)!r} (a link to {os.path.realpath(path)!r})"
    except OSError:
        pass
    return repr(str(path))


def read_bytes(
    path: str | Path, *, max_bytes: int, secret: bool = False, what: str = "file"
) -> bytes:
    """Given a path, return its bytes after the checks in the module docstring.

    ``secret`` adds the owner and mode checks. ``what`` names the file in messages ("config
    file", "secret file"). Raise :class:`FileRefused` with a clear one-line reason otherwise.
    """
    p = Path(path)
    fd = _open_fd(p, what)
    try:
        st = os.fstat(fd)
        _check_file(p, st, what=what, secret=secret, max_bytes=max_bytes)
        return _read_capped(fd, p, what=what, max_bytes=max_bytes)
    except OSError as exc:
        raise FileRefused(f"cannot read {what} {_shown(p)}: {exc.strerror}") from None
    finally:
        os.close(fd)


def _open_fd(p: Path, what: str) -> int:
    """Open ``p`` for reading without blocking on a FIFO; refuse with a one-line reason."""
    try:
        # O_NONBLOCK: opening a FIFO without a writer returns at once instead of blocking
        return os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        if p.is_symlink():
            raise FileRefused(
                f"{what} {_shown(p)} is a link to a file that does not exist"
            ) from None
        raise FileRefused(f"{what} {str(p)!r} does not exist") from None
    except IsADirectoryError:
        raise FileRefused(f"{what} {str(p)!r} is a directory, not a file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileRefused(
                f"{what} {str(p)!r}: too many levels of symbolic links (a loop?)"
            ) from None
        raise FileRefused(f"cannot open {what} {_shown(p)}: {exc.strerror}") from None


def _check_file(p: Path, st: os.stat_result, *, what: str, secret: bool, max_bytes: int) -> None:
    """Refuse anything but a regular file within ``max_bytes``; with ``secret``, also one
    owned by another user or readable by group or others."""
    if not stat.S_ISREG(st.st_mode):
        raise FileRefused(f"{what} {_shown(p)} is {describe_type(st.st_mode)}, not a regular file")
    if secret:
        if st.st_uid not in (os.geteuid(), 0):
            raise FileRefused(
                f"{what} {_shown(p)} is owned by uid {st.st_uid}, not by this user "
                f"(uid {os.geteuid()}) or root; links are followed and the final file "
                "must belong to this user or root"
            )
        if st.st_mode & 0o077:
            real = os.path.realpath(p)
            raise FileRefused(
                f"{what} {_shown(p)} is accessible by group or others "
                f"(mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {real}"
            )
    if st.st_size > max_bytes:
        raise FileRefused(
            f"{what} {_shown(p)} is {st.st_size:,} bytes; the limit is {max_bytes:,} bytes"
        )


def _read_capped(fd: int, p: Path, *, what: str, max_bytes: int) -> bytes:
    """Read ``fd`` to its end, refusing more than ``max_bytes``."""
    # O_NONBLOCK does not matter for regular files; read in chunks up to the cap (the size
    # from fstat can be wrong for /proc-like files, so count what actually comes)
    chunks: list[bytes] = []
    total = 0
    while total <= max_bytes:
        chunk = os.read(fd, min(65536, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > max_bytes:
        raise FileRefused(f"{what} {_shown(p)} is larger than the limit of {max_bytes:,} bytes")
    return b"".join(chunks)


def read_text(path: str | Path, *, max_bytes: int, secret: bool = False, what: str = "file") -> str:
    """Like :func:`read_bytes`, decoded as UTF-8 (a decoding error is a :class:`FileRefused`)."""
    data = read_bytes(path, max_bytes=max_bytes, secret=secret, what=what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileRefused(f"{what} {_shown(Path(path))} is not UTF-8 text") from None


def read_only_fs(path: str | Path) -> bool:
    """Return True if ``path`` (or its nearest existing parent) is on a read-only mount."""
    p = Path(path)
    while not p.exists() and p.parent != p:
        p = p.parent
    try:
        return bool(os.statvfs(p).f_flag & os.ST_RDONLY)
    except OSError:
        return False
