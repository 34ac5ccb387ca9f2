"""Static checks of packaging/systemd/binance-healthcheck.service.

The systemd-analyze based tests need the ``systemd-analyze`` binary but not systemd as PID 1
(``verify`` loads units client-side, ``security --offline=true`` does not talk to PID 1); they are
skipped where the binary is absent. The text-only checks always run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "packaging" / "systemd" / "binance-healthcheck.service"
MAX_EXPOSURE = 1.5
CREDENTIAL_IDS = ("binance-api-key", "binance-api-secret", "apprise-urls")
CREDSTORE = "/etc/binance-healthcheck/credstore"
CONFIG_PATH = "/etc/binance-healthcheck/config.toml"

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze not installed")


def _directives(text: str) -> list[tuple[str, str, str]]:
    """Return (section, key, value) for every assignment; comments and blanks skipped."""
    out: list[tuple[str, str, str]] = []
    section = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        # systemd joins lines ending in a backslash
        while line.endswith("\\") and i < len(lines):
            line = line[:-1] + " " + lines[i].strip()
            i += 1
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        if sep:
            out.append((section, key.strip(), value.strip()))
    return out


def _values(key: str, section: str = "Service") -> list[str]:
    return [v for s, k, v in _directives(UNIT.read_text()) if s == section and k == key]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(SYSTEMD_COLORS="0", SYSTEMD_PAGER="", SYSTEMD_LOG_COLOR="0", LC_ALL="C.UTF-8")
    return env


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(
        [SYSTEMD_ANALYZE, *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=_env(),
        timeout=120,
        check=False,
    )


def _systemd_version() -> int | None:
    proc = _run("--version")
    m = re.search(r"systemd (\d+)", proc.stdout)
    return int(m.group(1)) if m else None


@pytest.fixture
def unit_copy(tmp_path: Path) -> Path:
    """A copy of the unit that ``verify`` can check on this machine.

    ``systemd-analyze verify`` fails (rc 1, message on stderr) when an Exec*= binary does not
    exist. The shipped ExecStart= uses /usr/bin/python3 (the README tells users to point it at
    their venv). On a machine without /usr/bin/python3 that would be an environment problem, not a
    unit problem, so in that case -- and only then -- the copy's interpreter is replaced by the
    interpreter running the tests. Same for /bin/kill in ExecReload=. The file name is kept,
    because verify derives the unit name (and type) from it.
    """
    text = UNIT.read_text()
    if not os.access("/usr/bin/python3", os.X_OK):
        text = text.replace("ExecStart=/usr/bin/python3 ", f"ExecStart={sys.executable} ")
    if not os.access("/bin/kill", os.X_OK) and shutil.which("kill"):
        text = text.replace("ExecReload=/bin/kill ", f"ExecReload={shutil.which('kill')} ")
    dest = tmp_path / UNIT.name
    dest.write_text(text)
    return dest


# --- systemd-analyze ----------------------------------------------------------------------------


@needs_analyze
def test_verify_prints_nothing(unit_copy: Path) -> None:
    # systemd 252 exits 0 on unknown keys and bad values and only *warns*, so any output at all
    # is a failure. --man=no: do not require man pages named in Documentation=.
    proc = _run("verify", "--man=no", str(unit_copy))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == "", proc.stdout
    assert proc.stderr == "", proc.stderr


@needs_analyze
def test_security_exposure(unit_copy: Path) -> None:
    version = _systemd_version()
    if version is not None and version < 250:
        pytest.skip(f"systemd {version} has no 'security --offline' (needs >= 250)")
    # --threshold is on the 0-100 scale (the printed score is 0-10): 15 means 1.5.
    proc = _run("security", "--offline=true", "--threshold=15", "--no-pager", str(unit_copy))
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert proc.returncode == 0, out
    m = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", out)
    assert m, f"no exposure line in output:\n{out}"
    assert float(m.group(1)) <= MAX_EXPOSURE, out


# --- plain-text checks --------------------------------------------------------------------------

SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASS|CRED|AUTH|URL", re.IGNORECASE)


def test_no_secrets_in_environment() -> None:
    entries = _values("Environment")
    names = [tok.partition("=")[0] for e in entries for tok in shlex.split(e)]
    bad = [n for n in names if SECRET_NAME.search(n)]
    assert not bad, f"secret-looking Environment= names: {bad}"
    assert not _values("EnvironmentFile"), "use LoadCredential=, not EnvironmentFile="
    assert not _values("SetCredential"), "SetCredential= is readable over IPC; not for secrets"


def test_not_root() -> None:
    assert _values("DynamicUser") == ["yes"]
    assert all(u not in ("root", "0") for u in _values("User"))
    assert all(g not in ("root", "0") for g in _values("Group"))


def test_load_credentials() -> None:
    creds = dict(v.split(":", 1) for v in _values("LoadCredential"))
    assert set(creds) == set(CREDENTIAL_IDS)
    for cid in CREDENTIAL_IDS:
        assert creds[cid] == f"{CREDSTORE}/{cid}"


def test_service_basics() -> None:
    assert _values("Type") == ["notify"]
    assert _values("NotifyAccess") == ["main"]
    assert _values("Restart") == ["on-failure"]
    assert _values("RestartSec") == ["10s"]
    assert _values("WatchdogSec")
    assert _values("StartLimitIntervalSec", "Unit") and _values("StartLimitBurst", "Unit")
    assert _values("StateDirectory") == ["binance-healthcheck"]
    assert _values("StateDirectoryMode") == ["0700"]
    assert _values("ConfigurationDirectory") == ["binance-healthcheck"]
    assert _values("UMask") == ["0077"]
    assert _values("ExecReload") == ["/bin/kill -HUP $MAINPID"]
    (start,) = _values("ExecStart")
    argv = shlex.split(start)
    assert argv[1:] == ["-I", "-m", "healthcheck", "run", "--config", CONFIG_PATH]
    assert _values("WantedBy", "Install") == ["multi-user.target"]
