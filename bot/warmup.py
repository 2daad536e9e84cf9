"""Warm the dialogue path before the first customer: the first Rasa turn of a fresh server (and
the action server's first call) costs several hundred ms more than later ones (BENCHMARKS.md,
kiosk section). A throwaway conversation pays that at start-up; it writes nothing to the business
system (a greeting, a request that stops at the identity question, an account number that is looked
up read-only) and is reset afterwards."""
from __future__ import annotations

import logging
import time
import uuid

import httpx

log = logging.getLogger(__name__)


def warm_up(rasa_url: str, token: str, timeout_s: float = 60.0) -> float:
    """Returns the seconds it took; failures are logged, never raised (the robot runs regardless)."""
    started = time.monotonic()
    sender = f"warmup-{uuid.uuid4().hex[:8]}"
    try:
        with httpx.Client(base_url=rasa_url.rstrip("/"), timeout=timeout_s,
                          params={"token": token}) as client:
            client.post("/model/parse", json={"text": "你好"}).raise_for_status()
            for text in ("你好", "我想查一下电费", "9999999999"):   # the last opens the actions' business DB
                client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text}).raise_for_status()
            client.post(f"/conversations/{sender}/trigger_intent", params={"include_events": "NONE"},
                        json={"name": "EXTERNAL_person_left", "entities": {}}).raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("warm-up failed (the first customer will wait a little longer): %s", exc)
    return time.monotonic() - started
