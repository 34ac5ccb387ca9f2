"""A Debian bookworm container booted with ``systemd-nspawn --boot``
(tests/packaging/test_systemd_live.py).

The root file system is built once by ``packaging/nspawn/build-rootfs.sh`` (debootstrap) outside
the repository and booted with ``--volatile=overlay``: every change made while the container runs
lives in a tmpfs overlay and is gone when it stops, so the cached tree stays clean and reusable.
The container shares the host's network (loopback included): the simulator and the alert
receivers run in the test process on the host's 127.0.0.1.

Commands run inside with ``nsenter`` into the namespaces of the container's PID 1 (the host has no
systemd-machined to ask). Files are read and written through ``/proc/<pid>/root``.
:meth:`Container.stop` always ends what :meth:`Container.start` began, by the PIDs it recorded:
first a clean poweroff, then SIGKILL to the container's init and to the nspawn process.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("BHC_NSPAWN_CACHE", "/var/cache/binance-healthcheck"))
ROOTFS = Path(os.environ.get("BHC_NSPAWN_ROOTFS", str(CACHE / "nspawn-rootfs")))
BUILD_SCRIPT = REPO / "packaging" / "nspawn" / "build-rootfs.sh"
PATH_INSIDE = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def unavailable_reason() -> str | None:
    """Return why the live systemd tests cannot run here, or None when they can."""
    if os.environ.get("BHC_SYSTEMD_LIVE_SKIP"):
        return os.environ["BHC_SYSTEMD_LIVE_SKIP"]  # .ci/run says why (e.g. rootfs build failed)
    if sys.platform != "linux":
        return "systemd-nspawn needs Linux"
    if os.geteuid() != 0:
        return "systemd-nspawn needs root (run the tests as root, e.g. in CI)"
    for tool in ("systemd-nspawn", "nsenter"):
        if shutil.which(tool) is None:
            return f"{tool} not installed (apt-get install systemd-container util-linux)"
    if not (ROOTFS / ".bhc-rootfs-stamp").is_file() and shutil.which("debootstrap") is None:
        return (
            f"no root file system at {ROOTFS} and debootstrap is not installed "
            "(apt-get install debootstrap)"
        )
    return None


def ensure_rootfs() -> Path:
    """Build the root file system unless a matching one is cached; return its path."""
    proc = subprocess.run(
        [str(BUILD_SCRIPT), str(ROOTFS)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"build-rootfs.sh failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
        )
    return ROOTFS


def _deps_key() -> str:
    return hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:16]


def build_wheels(dest: Path) -> tuple[Path, Path]:
    """Build the project's wheel into ``dest`` and (once per pyproject.toml) its dependencies'
    wheels into the cache; return (project wheel, dependency wheel directory).

    Runs on the host, where pip can reach the package registry; the container installs them with
    ``--no-index --find-links``.
    """
    deps = CACHE / "wheels" / _deps_key()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    if not (deps / ".complete").is_file():
        tmp = deps.with_name(deps.name + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        proc = subprocess.run(
            [*pip, "wheel", "--wheel-dir", str(tmp), str(REPO)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeError(f"pip wheel failed:\n{proc.stdout}{proc.stderr}")
        for w in tmp.glob("binance_healthcheck-*.whl"):
            w.unlink()  # the project itself is rebuilt every session
        (tmp / ".complete").write_text("")
        shutil.rmtree(deps, ignore_errors=True)
        tmp.rename(deps)
        for old in deps.parent.iterdir():  # wheels for an older pyproject.toml
            if old != deps and (old / ".complete").is_file():
                shutil.rmtree(old, ignore_errors=True)
    proc = subprocess.run(
        [*pip, "wheel", "--no-deps", "--wheel-dir", str(dest), str(REPO)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pip wheel of the project failed:\n{proc.stdout}{proc.stderr}")
    (wheel,) = dest.glob("binance_healthcheck-*.whl")
    return wheel, deps


class Container:
    """One booted container; use as a context manager (stop() runs even when a test failed)."""

    def __init__(self, rootfs: Path, name: str, binds_ro: dict[Path, str], log: Path) -> None:
        self.rootfs = rootfs
        self.name = name
        self.binds_ro = binds_ro
        self.log_path = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.leader: int | None = None
        self.wheel = ""  # the project's wheel, as a path inside the container

    # ---------------------------------------------------------------- lifecycle
    def start(self, timeout: float = 90.0) -> Container:
        args = [
            "systemd-nspawn",
            "--quiet",
            "--boot",
            "--volatile=overlay",
            "--register=no",
            "--keep-unit",
            "--console=passive",
            f"--machine={self.name}",
            f"--directory={self.rootfs}",
        ]
        args += [f"--bind-ro={src}:{dst}" for src, dst in self.binds_ro.items()]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while self.leader is None:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"systemd-nspawn exited with {self.proc.returncode}:\n"
                    f"{self.log_path.read_text(errors='replace')}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError("the container's init did not appear")
            self.leader = self._find_leader()
            time.sleep(0.05)
        while True:  # PID 1's private socket appears a moment after PID 1 itself
            left = max(5.0, deadline - time.monotonic())
            state = self.run("systemctl", "is-system-running", "--wait", timeout=left, check=False)
            if "connect to bus" not in state.stderr or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if state.stdout.strip() not in ("running", "degraded"):
            failed = self.run("systemctl", "--failed", "--no-pager", check=False).stdout
            raise RuntimeError(f"container did not boot: {state.stdout}{state.stderr}{failed}")
        return self

    def _find_leader(self) -> int | None:
        assert self.proc is not None
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*/children"):
            try:
                kids = task.read_text().split()
            except OSError:
                continue
            for pid in kids:
                try:
                    if Path(f"/proc/{pid}/comm").read_text().strip() == "systemd":
                        return int(pid)
                except OSError:
                    continue
        return None

    def stop(self, timeout: float = 30.0) -> None:
        """Power the container off; SIGKILL its init and nspawn if that takes too long."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # nspawn asks the container's systemd to halt
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                if self.leader is not None:
                    try:
                        os.kill(self.leader, signal.SIGKILL)  # ends the whole PID namespace
                    except ProcessLookupError:
                        pass
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def __enter__(self) -> Container:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- inside the container
    def run(
        self, *argv: str, input_text: str | None = None, timeout: float = 60.0, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run argv inside the container as root with a clean environment."""
        assert self.leader is not None
        cmd = [
            "nsenter",
            f"--target={self.leader}",
            "--all",
            "--root",
            "--wd",
            "--",
            "/usr/bin/env",
            "-i",
            f"PATH={PATH_INSIDE}",
            "HOME=/root",
            "LANG=C.UTF-8",
            "SYSTEMD_PAGER=",
            "SYSTEMD_COLORS=0",
            "TERM=dumb",
            *argv,
        ]
        proc = subprocess.run(
            cmd,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=None if input_text is not None else subprocess.DEVNULL,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{argv} exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}"
            )
        return proc

    def sh(self, script: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return self.run("/bin/sh", "-c", script, **kwargs)  # type: ignore[arg-type]

    def path(self, inside: str) -> Path:
        """The host path of a file inside the running container."""
        assert self.leader is not None
        return Path(f"/proc/{self.leader}/root") / inside.lstrip("/")
