"""Run inside a venv that has binance-connector (``Spot``) or binance-futures-connector
(``UMFutures``): for each step of argv[2] (JSON), set the step's simulator fault through the
control API, call the client method, and print one JSON line with the result or the exception
(class, HTTP status, Binance code). Standard library and the connector only."""

from __future__ import annotations

import json
import sys
import urllib.request
from typing import Any


def control(url: str, body: dict[str, Any]) -> None:
    req = urllib.request.Request(
        url + "/_sim/faults", data=json.dumps(body).encode(), method="POST"
    )
    urllib.request.urlopen(req, timeout=5).read()


def main() -> None:
    cfg = json.loads(sys.argv[1])
    steps = json.loads(sys.argv[2])
    if cfg["kind"] == "spot":
        from binance.spot import Spot

        client: Any = Spot(cfg["key"], cfg["secret"], base_url=cfg["url"], timeout=3)
    else:
        from binance.um_futures import UMFutures

        client = UMFutures(cfg["key"], cfg["secret"], base_url=cfg["url"], timeout=3)
    for step in steps:
        control(cfg["url"], {"clear": "all"})
        if step.get("fault"):
            control(cfg["url"], {"set": [step["fault"]]})
        try:
            result = getattr(client, step["call"])(**step.get("kwargs", {}))
            out: dict[str, Any] = {"ok": True, "result": result}
        except Exception as e:  # noqa: BLE001 - the class is what the test checks
            out = {
                "ok": False,
                "error": type(e).__name__,
                "module": type(e).__module__,
                "status": getattr(e, "status_code", None),
                "code": getattr(e, "error_code", None),
            }
        print(json.dumps(out, default=str), flush=True)
    control(cfg["url"], {"clear": "all"})


if __name__ == "__main__":
    main()
