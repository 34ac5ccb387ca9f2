"""Request security as Binance documents it, exercised with the real python-binance Client."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

import pytest
import requests
from binance.client import Client
from binance.exceptions import BinanceAPIException
from Crypto.PublicKey import ECC, RSA

from healthcheck.simulator import SimAccount, Simulator

from .conftest import make_client

ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": 0.002}


def _raw_signed(
    sim: Simulator,
    acct: SimAccount,
    path: str,
    query: str,
    *,
    method: str = "GET",
    key: str | None = None,
) -> requests.Response:
    sig = hmac.new(acct.api_secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return requests.request(
        method,
        f"{sim.url}{path}?{query}&signature={sig}",
        headers={"X-MBX-APIKEY": key or acct.api_key},
        timeout=5,
    )


def test_hmac_signed_calls_succeed_on_api_sapi_and_fapi(client: Client) -> None:
    assert client.get_account()["canTrade"] is True
    assert client.get_account_api_permissions()["ipRestrict"] is True
    assert client.futures_account_config()["dualSidePosition"] is False
    assert client.create_test_order(**ORDER) == {}


def test_ed25519_key_signs_get_and_post(sim: Simulator) -> None:
    key = ECC.generate(curve="ed25519")
    acct = sim.add_account("ed", public_key_pem=key.public_key().export_key(format="PEM"))
    client = make_client(sim, acct.api_key, private_key=key.export_key(format="PEM"))
    assert client.get_account()["accountType"] == "SPOT"
    assert client.create_test_order(**ORDER) == {}
    assert client.futures_create_test_order(**ORDER)["status"] == "NEW"


def test_rsa_key_signs_get_and_post(sim: Simulator) -> None:
    key = RSA.generate(2048)
    acct = sim.add_account("rsa", public_key_pem=key.public_key().export_key().decode())
    client = make_client(sim, acct.api_key, private_key=key.export_key(pkcs=8).decode())
    assert client.futures_account_config()["canTrade"] is True
    assert client.create_test_order(**ORDER) == {}


def test_ed25519_signature_from_another_key_gives_1022(sim: Simulator) -> None:
    registered, other = ECC.generate(curve="ed25519"), ECC.generate(curve="ed25519")
    acct = sim.add_account("ed", public_key_pem=registered.public_key().export_key(format="PEM"))
    client = make_client(sim, acct.api_key, private_key=other.export_key(format="PEM"))
    with pytest.raises(BinanceAPIException) as e:
        client.get_account()
    assert (e.value.status_code, e.value.code) == (400, -1022)


def test_wrong_secret_gives_1022(sim: Simulator, account: SimAccount) -> None:
    client = make_client(sim, account.api_key, "x" * 64)
    with pytest.raises(BinanceAPIException) as e:
        client.futures_account_config()
    assert (e.value.status_code, e.value.code) == (400, -1022)
    assert e.value.message == "Signature for this request is not valid."


def test_bad_signature_fault_gives_1022_until_cleared(sim: Simulator, client: Client) -> None:
    sim.set_fault("bad_signature", account="main")
    with pytest.raises(BinanceAPIException) as e:
        client.get_account()
    assert e.value.code == -1022
    sim.clear_fault("bad_signature")
    assert client.get_account()["canTrade"] is True


def test_clock_ahead_gives_1021_ahead_message(sim: Simulator, client: Client) -> None:
    sim.set_fault("clock_ahead")
    with pytest.raises(BinanceAPIException) as e:
        client.get_account()
    assert e.value.code == -1021
    assert e.value.message == "Timestamp for this request was 1000ms ahead of the server's time."


def test_clock_behind_beyond_recv_window_gives_1021_outside_and_offset_fixes_it(
    sim: Simulator, client: Client
) -> None:
    sim.set_fault("clock_behind")
    with pytest.raises(BinanceAPIException) as e:
        client.futures_account_config()
    assert e.value.code == -1021
    assert e.value.message == "Timestamp for this request is outside of the recvWindow."
    server = client.futures_time()["serverTime"]
    client.timestamp_offset = server - int(time.time() * 1000)
    assert client.futures_account_config()["canTrade"] is True


def test_clock_warn_is_still_accepted(sim: Simulator, client: Client) -> None:
    sim.set_fault("clock_warn")
    assert client.get_account()["canTrade"] is True


def test_malformed_api_key_gives_401_2014(sim: Simulator) -> None:
    client = make_client(sim, "short-key", "secret")
    with pytest.raises(BinanceAPIException) as e:
        client.get_account()
    assert (e.value.status_code, e.value.code) == (401, -2014)
    assert e.value.message == "API-key format invalid."


def test_unknown_key_gives_401_2015(sim: Simulator) -> None:
    client = make_client(sim, "A" * 64, "secret")
    with pytest.raises(BinanceAPIException) as e:
        client.get_account()
    assert (e.value.status_code, e.value.code) == (401, -2015)
    assert e.value.message == "Invalid API-key, IP, or permissions for action."


def test_ip_not_whitelisted_gives_2015_with_request_ip_on_fapi(
    sim: Simulator, client: Client
) -> None:
    sim.set_fault("ip_not_whitelisted", account="main")
    with pytest.raises(BinanceAPIException) as e:
        client.futures_account_config()
    assert (e.value.status_code, e.value.code) == (401, -2015)
    assert e.value.message == (
        "Invalid API-key, IP, or permissions for action, request ip: 127.0.0.1"
    )


def test_deleted_key_gives_2015(sim: Simulator, client: Client) -> None:
    sim.set_fault("unknown_key")
    with pytest.raises(BinanceAPIException) as e:
        client.get_account_api_permissions()
    assert e.value.code == -2015


def test_public_endpoints_ignore_a_bad_api_key(sim: Simulator) -> None:
    client = make_client(sim, "not a key", None)
    assert "serverTime" in client.get_server_time()
    assert client.get_system_status()["status"] == 0


def test_no_futures_permission_blocks_only_fapi(sim: Simulator, client: Client) -> None:
    sim.set_fault("no_futures_permission")
    assert client.get_account()["canTrade"] is True
    assert client.get_account_api_permissions()["enableFutures"] is False
    with pytest.raises(BinanceAPIException) as e:
        client.futures_account_config()
    assert e.value.code == -2015


def test_no_spot_trading_blocks_spot_orders_but_not_reads(sim: Simulator, client: Client) -> None:
    sim.set_fault("no_spot_trading")
    assert client.get_account()["canTrade"] is True
    with pytest.raises(BinanceAPIException) as e:
        client.create_test_order(**ORDER)
    assert e.value.code == -2015


def test_no_reading_blocks_every_signed_endpoint(sim: Simulator, client: Client) -> None:
    sim.set_fault("no_reading")
    for call in (
        client.get_account,
        client.get_account_api_permissions,
        client.futures_account_config,
    ):
        with pytest.raises(BinanceAPIException) as e:
            call()
        assert e.value.code == -2015


def test_expired_trading_authority_blocks_spot_orders(sim: Simulator, client: Client) -> None:
    sim.set_fault("trading_authority_expired")
    perms = client.get_account_api_permissions()
    assert perms["tradingAuthorityExpirationTime"] < time.time() * 1000
    with pytest.raises(BinanceAPIException) as e:
        client.create_test_order(**ORDER)
    assert e.value.code == -2015
    sim.clear_fault("trading_authority_expired")
    assert "tradingAuthorityExpirationTime" not in client.get_account_api_permissions()


def test_missing_timestamp_gives_1102(sim: Simulator, account: SimAccount) -> None:
    r = _raw_signed(sim, account, "/api/v3/account", "recvWindow=5000")
    assert r.status_code == 400
    assert r.json() == {
        "code": -1102,
        "msg": "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
    }


def test_recv_window_above_60000_gives_1131(sim: Simulator, account: SimAccount) -> None:
    ts = int(time.time() * 1000)
    r = _raw_signed(sim, account, "/api/v3/account", f"recvWindow=60001&timestamp={ts}")
    assert (r.status_code, r.json()["code"]) == (400, -1131)


def test_default_recv_window_is_5000(sim: Simulator, account: SimAccount) -> None:
    old = int(time.time() * 1000) - 6000
    r = _raw_signed(sim, account, "/api/v3/account", f"timestamp={old}")
    assert r.json()["code"] == -1021
    r = _raw_signed(sim, account, "/api/v3/account", f"timestamp={old}&recvWindow=10000")
    assert r.status_code == 200


def test_uppercase_hmac_and_signature_before_other_params_are_accepted(
    sim: Simulator, account: SimAccount
) -> None:
    query = f"timestamp={int(time.time() * 1000)}&recvWindow=5000"
    sig = hmac.new(account.api_secret.encode(), query.encode(), hashlib.sha256).hexdigest().upper()
    ts, rw = query.split("&")
    r = requests.get(
        f"{sim.url}/fapi/v1/accountConfig?{ts}&signature={sig}&{rw}",
        headers={"X-MBX-APIKEY": account.api_key},
        timeout=5,
    )
    assert r.status_code == 200, r.text


def test_signature_over_query_plus_body_without_separator(
    sim: Simulator, account: SimAccount
) -> None:
    query = "symbol=BTCUSDT&side=BUY&type=MARKET"
    body = f"quantity=0.001&recvWindow=5000&timestamp={int(time.time() * 1000)}"
    sig = hmac.new(account.api_secret.encode(), (query + body).encode(), hashlib.sha256).hexdigest()
    r = requests.post(
        f"{sim.url}/api/v3/order/test?{query}",
        data=f"{body}&signature={sig}",
        headers={
            "X-MBX-APIKEY": account.api_key,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=5,
    )
    assert (r.status_code, r.json()) == (200, {})


def test_binance_docs_hmac_vector_verifies(sim: Simulator) -> None:
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    payload = (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559"
    )
    assert (
        hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    )
    acct = sim.add_account("docs", api_secret=secret)
    from healthcheck.simulator.server import Request

    req = Request(
        "POST",
        "/api/v3/order",
        "",
        payload + "&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
        acct.api_key,
        "127.0.0.1",
    )
    assert sim.signature_ok(acct, req)


def test_accounts_get_random_64_char_alnum_keys(sim: Simulator) -> None:
    a, b = sim.add_account("a"), sim.add_account("b")
    for v in (a.api_key, a.api_secret, b.api_key):
        assert v is not None and len(v) == 64 and v.isalnum()
    assert a.api_key != b.api_key


def test_requests_are_recorded_with_account_and_signed_flag(
    sim: Simulator, client_for: Callable[..., Client], account: SimAccount
) -> None:
    c = client_for(account)
    c.get_server_time()
    c.get_account()
    recs = [
        (r.method, r.path, r.status, r.weight, r.group, r.account_name, r.signed)
        for r in sim.requests
    ]
    assert recs == [
        ("GET", "/api/v3/time", 200, 1, "api", "main", False),
        ("GET", "/api/v3/account", 200, 20, "api", "main", True),
    ]
