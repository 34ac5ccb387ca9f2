"""What goes over the simulator's wire (healthcheck.simulator.wire): the request whose query +
body is the signature payload, the weight pool a path belongs to, and Binance's limit messages."""

from __future__ import annotations

import hashlib
import hmac

from healthcheck.simulator import SimAccount, Simulator
from healthcheck.simulator.wire import Request, group_of, html_page, limit_message


def _sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def test_the_signature_payload_is_query_then_body(sim: Simulator, account: SimAccount) -> None:
    secret = account.api_secret or ""
    query, body = "symbol=BTCUSDT&timestamp=1", "side=BUY&quantity=1"
    good = _sign(secret, query + body)

    def req(q: str, b: str) -> Request:
        return Request("POST", "/api/v3/order", q, b, account.api_key, "127.0.0.1")

    assert sim.signature_ok(account, req(query, f"{body}&signature={good}"))
    assert sim.signature_ok(account, req(f"{query}&signature={good}", body))
    # body first is another payload, and an unsigned request is refused
    assert not sim.signature_ok(
        account, req(query, f"{body}&signature={_sign(secret, body + query)}")
    )
    assert not sim.signature_ok(account, req(query, body))


def test_paths_belong_to_their_weight_pool() -> None:
    assert group_of("/api/v3/account") == "api"
    assert group_of("/sapi/v1/account/status") == "sapi"
    assert group_of("/fapi/v2/balance") == "fapi"
    assert group_of("/dapi/v1/account") == "dapi"
    assert group_of("/_sim/state") is None


def test_futures_limit_messages_name_the_ip_and_cloudfront_pages_are_html() -> None:
    assert "IP(10.0.0.7) is 2400 requests per minute" in limit_message("fapi", 2400, "10.0.0.7")
    assert "10.0.0.7" not in limit_message("api", 6000, "10.0.0.7")
    page = html_page(403, "403 ERROR", "Request blocked.")
    assert page.status == 403 and page.headers["Server"] == "CloudFront"
    assert b"Request blocked." in page.body
