"""The `check` command as a user runs it: a subprocess, exit codes, JSON on stdout, config errors
on stderr, transport faults, and no secret in anything it prints.
"""

from __future__ import annotations

import json

import pytest

from healthcheck.config import CHECK_IDS

STATUSES = {"OK", "WARNING", "CRITICAL", "UNKNOWN"}


def check_schema(doc: dict) -> None:
    assert set(doc) == {"status", "metrics", "results"}
    assert doc["status"] in STATUSES
    assert isinstance(doc["metrics"]["request_weight"], int)
    for r in doc["results"]:
        assert set(r) == {
            "account",
            "check",
            "status",
            "summary",
            "codes",
            "risk_codes",
            "refs",
            "details",
            "metrics",
            "silenced_by",
        }
        assert all(isinstance(c, int) for c in r["risk_codes"])
        assert r["status"] in STATUSES and r["check"] in CHECK_IDS
        assert isinstance(r["summary"], str) and r["summary"]
        assert all(isinstance(c, int) and c < 0 for c in r["codes"])
        if r["status"] == "OK":
            assert r["codes"] == []
        assert isinstance(r["details"], dict) and isinstance(r["metrics"], dict)


@pytest.fixture
def account(sim):
    return sim.add_account("main")


@pytest.fixture
def config(make_config, account):
    return make_config(
        [{"name": "main", "api_key": account.api_key, "api_secret": account.api_secret}]
    )


def test_healthy_check_exits_0_with_json_document(cli, config):
    p = cli("check", "--config", str(config), "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    check_schema(doc)
    assert doc["status"] == "OK"
    assert doc["metrics"]["request_weight"] > 0
    assert p.stderr == ""


@pytest.mark.parametrize(
    "fault,scoped,code,status",
    [
        ("margin_warning", True, 1, "WARNING"),
        ("hedge_mode", True, 2, "CRITICAL"),
        ("http_502", False, 3, "UNKNOWN"),
    ],
)
def test_exit_code_is_the_worst_status(cli, sim, config, fault, scoped, code, status):
    sim.set_fault(
        fault,
        account="main" if scoped else None,
        **({"scope": "/fapi"} if fault == "http_502" else {}),
    )
    p = cli("check", "--config", str(config), "--json")
    assert p.returncode == code
    assert json.loads(p.stdout)["status"] == status


def test_critical_outranks_unknown(cli, sim, config):
    sim.set_fault("hedge_mode", account="main")
    sim.set_fault("http_500", scope="/api/v3/account")
    p = cli("check", "--config", str(config), "--json")
    doc = json.loads(p.stdout)
    statuses = {r["status"] for r in doc["results"]}
    assert {"CRITICAL", "UNKNOWN"} <= statuses
    assert p.returncode == 2 and doc["status"] == "CRITICAL"


def test_text_output_says_what_which_error_and_fix(cli, sim, config):
    sim.set_fault("hedge_mode", account="main")
    p = cli("check", "--config", str(config))
    assert p.returncode == 2
    line = next(x for x in p.stdout.splitlines() if "position_mode" in x)
    assert line.startswith("CRITICAL") and "Hedge" in line
    assert "-4061 POSITION_SIDE_NOT_MATCH" in p.stdout
    assert "fix:" in p.stdout


def test_only_runs_the_named_checks(cli, config):
    p = cli("check", "--config", str(config), "--json", "--only", "clock,balance")
    doc = json.loads(p.stdout)
    assert {r["check"] for r in doc["results"]} == {"clock", "balance"}


def test_only_with_unknown_check_is_a_usage_error(cli, config):
    p = cli("check", "--config", str(config), "--only", "clocks")
    assert p.returncode == 3
    assert "clocks" in p.stderr and "Traceback" not in p.stderr


TRANSPORT = [
    "http_500",
    "http_502",
    "http_503",
    "http_504",
    "waf_403",
    "close",
    "reset",
    "truncated",
    "malformed_json",
    "html_200",
    "empty_body",
    "bad_schema",
]


@pytest.mark.parametrize("fault", TRANSPORT)
def test_transport_fault_gives_unknown_with_reason_never_ok_or_crash(cli, sim, config, fault):
    sim.set_fault(fault, scope="/fapi")
    p = cli("check", "--config", str(config), "--json")
    assert "Traceback" not in p.stderr
    doc = json.loads(p.stdout)
    check_schema(doc)
    pm = next(r for r in doc["results"] if r["check"] == "position_mode")
    assert pm["status"] == "UNKNOWN", pm
    assert len(pm["summary"]) > 15
    bal = next(r for r in doc["results"] if r["check"] == "balance")
    assert bal["status"] == "UNKNOWN"
    assert p.returncode == 3


def test_timeout_gives_unknown_naming_the_timeout(cli, sim, make_config, account):
    config = make_config(
        [{"name": "main", "api_key": account.api_key, "api_secret": account.api_secret}],
        sections={"daemon": {"request_timeout": 0.5}},
    )
    sim.set_fault("timeout", scope="/fapi/v1/accountConfig", seconds=5)
    p = cli("check", "--config", str(config), "--json")
    doc = json.loads(p.stdout)
    pm = next(r for r in doc["results"] if r["check"] == "position_mode")
    assert pm["status"] == "UNKNOWN" and "0.5 s" in pm["summary"]


def test_connection_refused_gives_unknown(cli, tmp_path, ntp_servers):
    import socket

    from support.configs import write_config

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    url = f"http://127.0.0.1:{port}"
    config = write_config(
        tmp_path / "c.toml",
        sim_url=url,
        state_dir=tmp_path / "st",
        accounts=[{"name": "main", "api_key": "A" * 64, "api_secret": "B" * 64}],
    )
    p = cli("check", "--config", str(config), "--json")
    doc = json.loads(p.stdout)
    assert p.returncode == 3
    assert all(r["status"] == "UNKNOWN" for r in doc["results"])
    assert any("connection refused" in r["summary"] for r in doc["results"])


# ------------------------------------------------------------------------- config errors


def test_config_errors_are_listed_one_per_line_with_key_and_value(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("""
[daemon]
interval = -5
intervall = 60

[[accounts]]
name = "main"
api_key_env = "BHC_TEST_MISSING_KEY"
api_secret_env = "BHC_TEST_MISSING_SECRET"
markets = ["spot", "options"]
position_mode = "hedged"
""")
    path.chmod(0o600)
    p = cli("check", "--config", str(path))
    assert p.returncode == 3
    assert p.stdout == ""
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    expected = [
        "daemon.interval",
        "daemon.intervall",
        "BHC_TEST_MISSING_KEY",
        "accounts[0].markets",
        "'options'",
        "accounts[0].position_mode",
        "'hedged'",
    ]
    for word in expected:
        assert any(word in line for line in lines), (word, lines)
    assert all(str(path) in line for line in lines)


def test_literal_secret_in_group_readable_config_is_refused(cli, make_config, account):
    config = make_config(
        [{"name": "main", "api_key": account.api_key, "api_secret": account.api_secret}], mode=0o644
    )
    p = cli("check", "--config", str(config))
    assert p.returncode == 3
    assert "readable by group or others" in p.stderr and "chmod 600" in p.stderr
    assert account.api_secret not in p.stderr and account.api_key not in p.stderr


def test_group_readable_secret_file_is_refused(cli, make_config, account, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(account.api_secret)
    secret_file.chmod(0o640)
    config = make_config(
        [{"name": "main", "api_key": account.api_key, "api_secret_file": str(secret_file)}]
    )
    p = cli("check", "--config", str(config))
    assert p.returncode == 3
    assert "api_secret_file" in p.stderr and "0640" in p.stderr


@pytest.mark.parametrize(
    "content,words",
    [
        ("this is = = not toml", "invalid TOML"),
        ("[[accounts]]\nname = 5\n", "accounts[0].name"),
        ("", "no [[accounts]]"),
    ],
)
def test_malformed_config_file_is_one_clear_line(cli, tmp_path, content, words):
    path = tmp_path / "c.toml"
    path.write_text(content)
    p = cli("check", "--config", str(path))
    assert p.returncode == 3 and words in p.stderr and "Traceback" not in p.stderr


def test_missing_config_file_names_the_file(cli, tmp_path):
    p = cli("check", "--config", str(tmp_path / "nope.toml"))
    assert p.returncode == 3 and "nope.toml" in p.stderr and "does not exist" in p.stderr


def test_secrets_from_env_and_files_work(cli, make_config, account, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(account.api_secret + "\n")
    secret_file.chmod(0o600)
    config = make_config(
        [{"name": "main", "api_key_env": "BHC_KEY", "api_secret_file": str(secret_file)}]
    )
    p = cli("check", "--config", str(config), "--json", env={"BHC_KEY": account.api_key})
    assert p.returncode == 0, p.stdout + p.stderr


def test_credentials_directory_is_expanded(cli, make_config, account, tmp_path):
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "binance-api-secret").write_text(account.api_secret)
    (creds / "binance-api-secret").chmod(0o400)
    config = make_config(
        [
            {
                "name": "main",
                "api_key": account.api_key,
                "api_secret_file": "${CREDENTIALS_DIRECTORY}/binance-api-secret",
            }
        ]
    )
    p = cli("check", "--config", str(config), "--json", env={"CREDENTIALS_DIRECTORY": str(creds)})
    assert p.returncode == 0, p.stderr


# ------------------------------------------------------------------------- secrets


def test_no_secret_in_any_output_even_verbose_and_failing(cli, sim, make_config, account):
    config = make_config(
        [{"name": "main", "api_key": account.api_key, "api_secret": account.api_secret}]
    )
    sim.set_fault("reset", scope="/api/v3/account")  # requests puts URLs in this error
    sim.set_fault("http_502", scope="/fapi/v3/account")
    sim.set_fault("bad_signature", account="main")
    outputs = []
    for args in (["--json"], [], ["-vv"]):
        p = cli(
            "-vv" if args == ["-vv"] else "-q",
            "check",
            "--config",
            str(config),
            *[a for a in args if a != "-vv"],
        )
        outputs.append(p.stdout + p.stderr)
    text = "\n".join(outputs)
    assert account.api_secret not in text
    assert account.api_key not in text
    assert "signature=" not in text.replace("signature=<redacted>", "")
    assert account.api_key[:4] in text  # the masked key is shown so users know which one


def test_dns_failure_gives_unknown_naming_dns(cli, tmp_path):
    import socket

    from support.configs import write_config

    try:  # a name under .invalid never resolves; make sure it fails fast here
        socket.getaddrinfo("binance-sim.invalid", 1)
        pytest.skip("the resolver answered for a .invalid name")
    except OSError:
        pass
    config = write_config(
        tmp_path / "c.toml",
        sim_url="http://binance-sim.invalid:1",
        state_dir=tmp_path / "st",
        accounts=[{"name": "main", "api_key": "A" * 64, "api_secret": "B" * 64}],
    )
    p = cli("check", "--config", str(config), "--json")
    doc = json.loads(p.stdout)
    assert p.returncode == 3 and "Traceback" not in p.stderr
    assert all(r["status"] == "UNKNOWN" for r in doc["results"])
    assert any("DNS lookup of the host failed" in r["summary"] for r in doc["results"])
    # nothing reached Binance: no weight was spent
    assert doc["metrics"]["request_weight"] == 0 and doc["metrics"]["requests"] == 0


def test_slow_answer_just_under_the_timeout_is_fine(cli, sim, make_config, account):
    config = make_config(
        [{"name": "main", "api_key": account.api_key, "api_secret": account.api_secret}],
        sections={"daemon": {"request_timeout": 2}},
    )
    sim.set_fault("slow", scope="/fapi/v1/accountConfig", seconds=1.5)
    p = cli("check", "--config", str(config), "--json")
    assert p.returncode == 0, p.stdout


@pytest.mark.parametrize("fault", ["rate_limited", "banned"])
def test_429_and_418_without_retry_after_pause_the_host(cli, sim, config, fault):
    sim.set_fault(fault, scope="/fapi", retry_after=None)
    p = cli("check", "--config", str(config), "--json")
    doc = json.loads(p.stdout)
    rl = next(r for r in doc["results"] if r["check"] == "rate_limit")
    assert rl["status"] == "CRITICAL" and rl["codes"] == [-1003]
    sim.clear_fault()
    sim.banned_until_ms = 0
    n = len(sim.requests)
    cli("check", "--config", str(config), "--json")
    assert not [r for r in sim.requests[n:] if r.path.startswith("/fapi")]
