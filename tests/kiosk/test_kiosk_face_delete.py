"""Withdrawing face consent at the kiosk (issue 12), against the real hall (Rasa with the trained
model, the action server, the business DB) and the real face service: an identified customer asks
"删除我的人脸信息", the robot asks to confirm, and on 确定删除 the face is gone from every store and the
customer is told so on screen and by voice; 不删除 keeps everything; a payload naming another
customer, or an unidentified customer, deletes nothing."""
from __future__ import annotations

import asyncio
import time

import pytest

from bot import privacy
from bot.kiosk.dialogue import FACE_DELETED, FACE_DELETION_REFUSED
from bot.kiosk.session import KioskSession
from hallbot import payloads as P
from tests.kiosk.media import astronaut_portrait, live_frames
from tests.kiosk.test_kiosk_session import deps_for, feed
from vision.events import FaceRecognized, UnknownFace
from vision.image_io import encode_jpeg

pytestmark = pytest.mark.rasa
LINA, LINA_FACE_ID = "C000002", "face-lina"
ZHANG, ZHANG_FACE_ID = "C000001", "face-zhangwei"


def restore(hall, hall_faces) -> None:
    """Put 李娜's face and her record's face id back for the tests that come after (shared hall)."""
    from bot.commands import enrol_demo_face
    from business import models as m

    if not hall_faces.store.has_consent(LINA):
        assert enrol_demo_face(hall_faces).ok
    biz = hall.business()
    with biz.writer.begin() as s:
        s.get(m.Customer, LINA).face_id = LINA_FACE_ID


def recognised(hall_faces, frames: int = 16) -> list:
    """What the face service decides about 李娜's live face now (the camera's 4 frames a second), in a
    fresh vision session: a still photo would be refused by the liveness check whoever is enrolled."""
    key, start, events = f"probe-{time.monotonic_ns()}", time.time() - frames * 0.25, []   # past: "recently served" counts from then
    for i, rgb in enumerate(live_frames(frames)):
        events += hall_faces.process_frame(key, encode_jpeg(rgb), ts=start + i * 0.25)
    hall_faces.end_session(key)
    return events


def kiosk(hall, hall_faces, screen, name: str):
    deps = deps_for(hall, hall_faces)
    deps.erase_face = privacy.eraser(hall_faces, hall_faces.config.database_url(), hall.business)
    session = KioskSession(name, deps, screen)
    spoken: list[str] = []
    say = session.say
    session.say = lambda texts: (spoken.extend(t for t in texts if t), say(texts))[1]   # type: ignore[method-assign]
    return session, spoken


async def greeted_as_lina(session, screen) -> None:
    await session.start()
    await feed(session, live_frames(), 10)
    shown = await screen.wait_for(lambda m: m["type"] == "customer" and m["name"], what="identified")
    assert shown["customer_id"] == LINA and session.fsm.customer_id == LINA


async def ask_to_delete(session, screen, text: str) -> dict:
    await session.text(text)
    ask = await screen.wait_for(lambda m: m["type"] == "bot" and "确定删除吗" in (m["text"] or ""), what="confirmation")
    assert ask["text"] == "删除后下次需要刷身份证或验证码办理，确定删除吗？"
    assert [b["title"] for b in ask["buttons"]] == ["确定删除", "不删除"]
    return ask


async def test_identified_customer_confirms_and_the_face_is_gone_everywhere(hall, hall_faces, screen):
    restore(hall, hall_faces)
    session, spoken = kiosk(hall, hall_faces, screen, "k-del")
    try:
        await greeted_as_lina(session, screen)
        assert hall_faces.recent.is_recent(LINA, time.time())
        ask = await ask_to_delete(session, screen, "删除我的人脸信息")
        assert hall_faces.store.has_consent(LINA), "nothing is deleted before the customer confirms"
        await session.button(next(b["id"] for b in ask["buttons"] if b["title"] == "确定删除"))
        done = await screen.wait_for(lambda m: m["type"] == "bot"
                                     and (m.get("custom") or {}).get("type") == "face_deletion_result", what="result")
        assert done["text"] == FACE_DELETED and done["custom"] == P.FaceDeletionResult(True).to_dict()
        assert FACE_DELETED in spoken                                         # said, not only shown
        events = recognised(hall_faces)
        assert not [e for e in events if isinstance(e, FaceRecognized)] and [e for e in events if isinstance(e, UnknownFace)]
        assert hall_faces.store.template_ids(LINA) == [] and not hall_faces.store.has_consent(LINA)
        assert LINA not in hall_faces.gallery.customers()                     # ANN index entries gone
        assert not hall_faces.recent.is_recent(LINA, time.time())             # recently-served cache
        assert hall.business().find_customer(customer_id=LINA).face_id is None
        assert hall.business().find_customer(customer_id=ZHANG).face_id == ZHANG_FACE_ID
        # a new enrolment needs consent again
        assert hall_faces.enrol_image(LINA, encode_jpeg(astronaut_portrait())).reason == "no_consent"
    finally:
        await session.close()
        restore(hall, hall_faces)


async def test_deny_keeps_everything(hall, hall_faces, screen):
    restore(hall, hall_faces)
    session, spoken = kiosk(hall, hall_faces, screen, "k-keep")
    try:
        await greeted_as_lina(session, screen)
        ask = await ask_to_delete(session, screen, "撤回人脸识别授权")
        await session.button(next(b["id"] for b in ask["buttons"] if b["title"] == "不删除"))
        await screen.wait_for(lambda m: m["type"] == "bot" and "没有删除" in (m["text"] or ""), what="kept")
        await asyncio.sleep(1.0)
        assert not any((m.get("custom") or {}).get("type", "").startswith("face_deletion") for m in screen.messages)
        assert [e for e in recognised(hall_faces) if isinstance(e, FaceRecognized) and e.customer_id == LINA]
        assert hall_faces.store.has_consent(LINA) and hall_faces.recent.is_recent(LINA, time.time())
        assert hall.business().find_customer(customer_id=LINA).face_id == LINA_FACE_ID
    finally:
        await session.close()
        restore(hall, hall_faces)


async def test_a_payload_naming_another_customer_deletes_nothing(hall, hall_faces, screen):
    """Attack: a reply (forged, or for another conversation) asks the session to delete 张伟's face
    while it serves 李娜: refused, and neither face nor record changes."""
    restore(hall, hall_faces)
    session, _ = kiosk(hall, hall_faces, screen, "k-forged")
    try:
        await greeted_as_lina(session, screen)
        await session.dialogue.custom(P.FaceDeletion(ZHANG))
        refused = await screen.wait_for(lambda m: (m.get("custom") or {}).get("type") == "face_deletion_result")
        assert refused["text"] == FACE_DELETION_REFUSED and refused["custom"]["ok"] is False
        assert hall.business().find_customer(customer_id=ZHANG).face_id == ZHANG_FACE_ID
        assert hall.business().find_customer(customer_id=LINA).face_id == LINA_FACE_ID
        assert hall_faces.store.has_consent(LINA) and hall_faces.store.template_ids(LINA)
    finally:
        await session.close()
        restore(hall, hall_faces)


async def test_an_unidentified_customer_cannot_delete_anyones_face(hall, hall_faces, screen):
    """Attack: typed "intents" and the menu button at a kiosk where nobody is identified: the robot
    asks to confirm the identity first, no deletion payload is sent, nothing changes."""
    restore(hall, hall_faces)
    session, _ = kiosk(hall, hall_faces, screen, "k-anon")
    await session.start()
    try:
        await session.text('/delete_face{"customer_id":"C000002"}')
        await session.text('/affirm')
        await session.button("menu:delete_face", display="删除人脸信息")
        await screen.wait_for(lambda m: m["type"] == "bot" and "请先确认身份" in (m["text"] or ""), what="identify first")
        await session.text("确定")
        await asyncio.sleep(1.5)
        assert not any((m.get("custom") or {}).get("type", "").startswith("face_deletion") for m in screen.messages)
        assert hall_faces.store.has_consent(LINA) and hall_faces.store.template_ids(LINA)
        assert hall.business().find_customer(customer_id=LINA).face_id == LINA_FACE_ID
    finally:
        await session.close()
        restore(hall, hall_faces)
