"""A kiosk page that lost its connection, or whose app server restarted, comes back to its own
conversation with the resume token the session gave it: the customer stays identified and is not
asked again; the staff board and the dialogue hear "left" only if the page does not come back.
A token for another kiosk, a forged or stale one, or one from after the customer left resumes
nothing. The real hall (Rasa + actions + business DB), sessions driven as the WebSocket drives them."""
from __future__ import annotations

import asyncio
import dataclasses
import time

import httpx
import pytest

from bot.kiosk.departures import Departures
from bot.kiosk.session import KioskSession
from identity.proof import ProofError, check_resume, sign_resume
from tests.kiosk.conftest import Screen
from tests.kiosk.test_kiosk_session import deps_for

KEY = "k" * 32


def test_a_resume_token_is_bound_to_its_kiosk_and_expires():
    token = sign_resume(KEY, "kiosk-1", "kiosk-1-abc", now=1000)
    assert check_resume(KEY, "kiosk-1", token, max_age_s=60, now=1030) == "kiosk-1-abc"
    for kiosk, key, now, bad in (("kiosk-2", KEY, 1030, token), ("kiosk-1", "x" * 32, 1030, token),
                                 ("kiosk-1", KEY, 1061, token),
                                 ("kiosk-1", KEY, 1030, token.replace("kiosk-1-abc", "kiosk-1-abd")),
                                 ("kiosk-1", KEY, 1030, "no-tilde"), ("kiosk-1", KEY, 1030, None)):
        with pytest.raises(ProofError):
            check_resume(key, kiosk, bad, max_age_s=60, now=now)


async def test_a_departure_runs_after_its_delay_unless_cancelled():
    left: list[str] = []
    departures = Departures()

    async def leave(name: str) -> None:
        left.append(name)
    departures.later("a", lambda: leave("a"), 0.05)
    departures.later("b", lambda: leave("b"), 0.05)
    assert departures.cancel("b") and not departures.cancel("nobody")
    await asyncio.sleep(0.2)
    assert left == ["a"] and not departures.due("a")


def latest_token(screen: Screen) -> str:
    return screen.of("resume")[-1]["token"]


async def verify_by_sms(session: KioskSession, screen: Screen, hall, customer) -> None:
    await session.button("menu:query_bill", display="查电费")
    await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "identity_key")
    await session.text(customer.id_number, "keypad")
    await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "phone")
    await session.text(customer.phone, "keypad")
    await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "sms_code")
    await session.text(hall.sms_code(customer.phone), "keypad")
    await screen.wait_for(lambda m: m["type"] == "customer" and m["name"])
    await screen.wait_for(lambda m: (m.get("custom") or {}).get("type") == "bills", what="bills")


def slots(hall, conversation_id: str) -> dict:
    return httpx.get(f"{hall.settings.rasa_url}/conversations/{conversation_id}/tracker",
                     params={"token": hall.rasa_token, "include_events": "NONE"}, timeout=30).json()["slots"]


async def test_a_reconnected_page_continues_its_conversation_identified(hall):
    customer = hall.walk_in(14)
    deps, first = deps_for(hall, absent_s=30), Screen()
    deps.resume_s = 30
    session = KioskSession("k-resume", deps, first)
    await session.start()
    await verify_by_sms(session, first, hall, customer)
    conversation, token = session.conversation_id, latest_token(first)
    await session.close()                                       # the WebSocket dropped
    assert deps.departures.due(conversation), "the departure waits for the page"

    again = Screen()
    back = KioskSession("k-resume", deps, again)                # the page reconnects ...
    await back.start()
    try:
        assert await back.resume(token)                         # ... with the token it kept
        assert back.conversation_id == conversation and not deps.departures.due(conversation)
        shown = await again.wait_for(lambda m: m["type"] == "customer" and m["name"], what="customer again")
        assert shown["customer_id"] == customer.customer_id
        assert back.fsm.state == "serving" and back.fsm.customer_id == customer.customer_id
        await back.text("我要查一下电费")
        bills = await again.wait_for(lambda m: (m.get("custom") or {}).get("type") == "bills", what="bills")
        assert bills["custom"]["bills"], "served without verifying again"
        assert not again.of("prompt") or all(p["kind"] != "keypad" for p in again.of("prompt"))
    finally:
        await back.close()


async def test_after_an_app_restart_the_page_resumes_and_an_unreturned_page_leaves(hall):
    customer = hall.walk_in(15)
    deps, first = deps_for(hall, absent_s=30), Screen()
    deps.resume_s = 30
    session = KioskSession("k-restart-app", deps, first)
    await session.start()
    await verify_by_sms(session, first, hall, customer)
    conversation, token = session.conversation_id, latest_token(first)
    await session.close()
    for task in list(deps.departures._due.values()):            # the app process is gone with its timers
        task.cancel()

    restarted = dataclasses.replace(deps_for(hall, absent_s=30), resume_s=0.5)   # a new app: nothing shared
    other_kiosk = KioskSession("k-elsewhere", restarted, Screen())
    await other_kiosk.start()
    assert not await other_kiosk.resume(token), "a token is for its own kiosk only"
    await other_kiosk.close()

    screen = Screen()
    back = KioskSession("k-restart-app", dataclasses.replace(restarted, resume_s=30), screen)
    await back.start()
    assert await back.resume(token)
    await screen.wait_for(lambda m: m["type"] == "customer" and m["customer_id"] == customer.customer_id)
    back.deps.resume_s = 0.5
    await back.close()                                          # and now the page never comes back
    deadline = time.monotonic() + 30
    while slots(hall, conversation).get("identified") and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
    assert not slots(hall, conversation).get("identified"), "the dialogue heard the customer left"


async def test_no_way_back_after_the_customer_left(hall):
    customer = hall.walk_in(16)
    deps, screen = deps_for(hall, absent_s=30, farewell_s=0.3), Screen()
    deps.resume_s = 30
    session = KioskSession("k-left", deps, screen)
    await session.start()
    try:
        await verify_by_sms(session, screen, hall, customer)
        await session.leave("test: walked away", speak=False)
        await screen.wait_for(lambda m: m["type"] == "state" and m["note"] == "reset", what="reset")
        assert latest_token(screen) == "", "the page's token is cleared with the visit"
    finally:
        await session.close()
    forged = Screen()
    intruder = KioskSession("k-left", deps, forged)
    await intruder.start()
    try:
        assert not await intruder.resume(sign_resume("f" * 32, "k-left", session.conversation_id))
        assert intruder.fsm.state == "idle" and not forged.of("customer")
    finally:
        await intruder.close()
