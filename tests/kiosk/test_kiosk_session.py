"""A kiosk session against the real hall (Rasa + actions + business DB) and the real face
service, driven the way the WebSocket handler drives it, without a browser."""
from __future__ import annotations

import asyncio

import pytest

from bot.kiosk.fsm import Timeouts
from bot.kiosk.session import RASA_BACK, RASA_DOWN, KioskDeps, KioskSession
from tests.kiosk.media import astronaut_portrait, empty_frame, live_frames, live_head, showing
from vision.image_io import encode_jpeg

pytestmark = pytest.mark.rasa


def deps_for(hall, faces=None, **timeouts) -> KioskDeps:
    return KioskDeps(rasa=hall.rasa_client(), faces=faces, sensor_key=hall.sensor_key,
                     find_customer=lambda **kw: hall.business().find_customer(**kw),
                     timeouts=Timeouts(**timeouts) if timeouts else Timeouts(), rasa_retry_s=0.5)


async def feed(session: KioskSession, rgb, frames: int, every_s: float = 0.3) -> None:
    """`rgb`: one image shown `frames` times, or a sequence (a live head) played in a loop."""
    jpegs = [encode_jpeg(f) for f in rgb] if isinstance(rgb, list) else [encode_jpeg(rgb)]
    for i in range(frames):
        session.frame(jpegs[i % len(jpegs)])
        await asyncio.sleep(every_s)


async def test_enrolled_face_is_greeted_by_name_then_leaves_and_the_kiosk_resets(hall, hall_faces, screen):
    session = KioskSession("k-face", deps_for(hall, hall_faces, absent_s=2.0, farewell_s=0.5), screen)
    await session.start()
    try:
        first_conversation = session.conversation_id
        await feed(session, live_frames(), 10)
        greeting = await screen.wait_for(lambda m: m["type"] == "bot" and "李" in (m["text"] or ""), what="greeting")
        assert "您好" in greeting["text"]
        assert (await screen.wait_for(lambda m: m["type"] == "customer" and m["name"]))["customer_id"] == "C000002"
        assert [t.dest for t in session.fsm.history][:3] == ["person_detected", "greeting", "identified"]
        assert screen.of("bot")[0]["buttons"], "recommended services come as buttons"
        await session.text("我想查一下电费", "keyboard")
        bills = await screen.wait_for(lambda m: m["type"] == "bot" and (m.get("custom") or {}).get("type") == "bills")
        assert bills["custom"]["bills"][0]["amount"]
        await feed(session, empty_frame(), 12)            # walked away
        await screen.wait_for(lambda m: m["type"] == "state" and m["state"] == "idle"
                              and m["note"] == "reset", what="reset")
        assert session.conversation_id != first_conversation
        assert screen.of("customer")[-1]["name"] is None
        causes = [t.cause for t in session.fsm.history]
        assert any(c.startswith("no face in view") for c in causes)
    finally:
        await session.close()


async def test_anonymous_customer_verifies_with_keypad_and_sms_code(hall, screen):
    customer = hall.walk_in(0)
    session = KioskSession("k-manual", deps_for(hall), screen)
    await session.start()
    try:
        await session.button("menu:query_bill", display="查电费")
        assert screen.of("user_text")[-1]["text"] == "查电费"
        prompt = await screen.wait_for(lambda m: m["type"] == "prompt" and m["kind"] == "keypad")
        assert prompt["slot"] == "identity_key"
        await session.text(customer.id_number, "keypad")
        await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "phone")
        await session.text(customer.phone, "keypad")
        await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "sms_code")
        await session.text("000000", "keypad")                        # wrong code: clear message
        await screen.wait_for(lambda m: m["type"] == "bot" and "验证码" in (m["text"] or "") and "不正确" in (m["text"] or ""),
                              what="wrong code reply")
        await session.text(hall.sms_code(customer.phone), "keypad")
        shown = await screen.wait_for(lambda m: m["type"] == "customer" and m["name"])
        assert shown["customer_id"] == customer.customer_id and customer.name[0] in shown["name"]
        await screen.wait_for(lambda m: (m.get("custom") or {}).get("type") == "bills", what="resumed bill query")
        assert session.fsm.state == "serving"
        assert "verifying" in [t.dest for t in session.fsm.history]
    finally:
        await session.close()


async def test_two_kiosks_keep_separate_conversations(hall, screen):
    from tests.kiosk.conftest import Screen

    other = Screen()
    a = KioskSession("k-a", deps_for(hall), screen)
    b = KioskSession("k-b", deps_for(hall), other)
    await asyncio.gather(a.start(), b.start())
    try:
        await asyncio.gather(a.text("我要查电费"), b.text("转人工"))
        await screen.wait_for(lambda m: m["type"] == "prompt" and m["kind"] == "keypad")
        await other.wait_for(lambda m: (m.get("custom") or {}).get("type") == "handoff")
        assert a.conversation_id != b.conversation_id
        assert not any((m.get("custom") or {}).get("type") == "handoff" for m in screen.messages)
        assert b.fsm.state == "handoff" and a.fsm.state == "verifying"
    finally:
        await asyncio.gather(a.close(), b.close())


async def test_rasa_restart_mid_conversation_shows_a_message_and_replays_what_was_said(hall, screen):
    session = KioskSession("k-restart", deps_for(hall), screen)
    await session.start()
    try:
        await session.text("我要查电费")
        await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "identity_key")
        rasa = next(s for s in hall.supervisor.services if s.name == "rasa")
        rasa.process.terminate()
        await asyncio.to_thread(rasa.process.wait, 30)
        await session.text(hall.walk_in(1).id_number, "keypad")          # said while Rasa is down
        down = await screen.wait_for(lambda m: m["type"] == "notice" and m["component"] == "rasa")
        assert down["level"] == "error" and down["text"] == RASA_DOWN
        await asyncio.to_thread(hall.supervisor.restart, "rasa")
        await screen.wait_for(lambda m: m["type"] == "notice" and m["text"] == RASA_BACK, timeout=60)
        # the replayed ID number moves the same conversation on to the phone question
        await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "phone", timeout=60)
    finally:
        await session.close()


def place_card(directory, id_number: str, name: str, birth: str, photo_rgb) -> None:
    from identity.idcard.base import IdCardData
    from identity.idcard.simulator import DirectorySimulator

    DirectorySimulator.write(directory, IdCardData(
        name=name, sex="女", ethnicity="汉", birth_date=birth, address="上海市徐汇区漕溪北路1号",
        id_number=id_number, issuer="上海市公安局徐汇分局", valid_from="20200101", valid_to="20400101",
        photo=encode_jpeg(photo_rgb), photo_format="jpeg"))


async def test_id_card_checked_against_the_live_face(hall, hall_faces, screen, tmp_path):
    from identity.idcard.simulator import DirectorySimulator
    from vision.sample_faces import identities

    lina = hall.business().find_customer(customer_id="C000002")
    place_card(tmp_path, lina.id_number, lina.name, lina.id_number[6:14], astronaut_portrait())
    deps = deps_for(hall, hall_faces)
    deps.id_reader = DirectorySimulator(tmp_path)
    session = KioskSession("k-card", deps, screen)
    await session.start()
    try:
        await session.text("我想刷身份证")
        await screen.wait_for(lambda m: m["type"] == "prompt" and m["kind"] == "id_card", what="ID card prompt")
        async with showing(session, live_head(identities()["t1-b"])):       # someone else in front
            await session.id_card_placed(consent=False)
        await screen.wait_for(lambda m: m["type"] == "bot" and "比对未通过" in (m["text"] or ""), what="mismatch")
        assert not any(m["type"] == "customer" and m["name"] for m in screen.messages)
        async with showing(session, live_head(astronaut_portrait())):       # the card holder
            await session.id_card_placed(consent=False)
        shown = await screen.wait_for(lambda m: m["type"] == "customer" and m["name"], what="identified")
        assert shown["customer_id"] == "C000002"
        assert "身份核验成功" in screen.bot_text()
    finally:
        await session.close()


async def test_action_server_down_shows_its_banner_and_the_turn_is_replayed_when_it_is_back(hall, screen):
    from bot.kiosk.deps import actions_probe
    from bot.kiosk.dialogue import ACTIONS_BACK, ACTIONS_DOWN

    deps = deps_for(hall)
    deps.actions_probe = actions_probe(hall.settings)
    session = KioskSession("k-actions", deps, screen)
    await session.start()
    try:
        await session.text("我要查电费")
        await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "identity_key")
        actions = next(s for s in hall.supervisor.services if s.name == "actions")
        actions.process.kill()                                          # -9: no goodbye
        await asyncio.to_thread(actions.process.wait, 30)
        customer = hall.walk_in(13)
        await session.text(customer.id_number, "keypad")                # validated by the action server
        down = await screen.wait_for(lambda m: m["type"] == "notice" and m["component"] == "actions")
        assert down["level"] == "error" and down["text"] == ACTIONS_DOWN
        assert session.awaiting_dialogue, "the turn is kept, the visit is not timed out meanwhile"
        await asyncio.to_thread(hall.supervisor.restart, "actions")
        await screen.wait_for(lambda m: m["type"] == "notice" and m["text"] == ACTIONS_BACK, timeout=60)
        # the replayed ID number is validated now and the form asks for the phone
        await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "phone", timeout=60)
        assert not session.awaiting_dialogue
    finally:
        await session.close()


async def test_face_alone_pays_after_the_id_card_step_up(hall, hall_faces, screen, tmp_path):
    """Step-up by risk at the kiosk: 李娜's face is recognised, she asks to pay, the robot asks the SMS
    code (keypad) or the ID card; she takes the card, which matches her live face, and the payment goes on."""
    import httpx

    from identity.idcard.simulator import DirectorySimulator

    lina = hall.business().find_customer(customer_id="C000002")
    place_card(tmp_path, lina.id_number, lina.name, lina.id_number[6:14], astronaut_portrait())
    deps = deps_for(hall, hall_faces)
    deps.id_reader = DirectorySimulator(tmp_path)
    session = KioskSession("k-stepup", deps, screen)
    await session.start()

    def slots() -> dict:
        return httpx.get(f"{hall.settings.rasa_url}/conversations/{session.conversation_id}/tracker",
                         params={"token": hall.rasa_token}, timeout=30).json()["slots"]

    try:
        await feed(session, live_frames(), 10)
        await screen.wait_for(lambda m: m["type"] == "customer" and m["name"], what="face identified")
        assert slots()["identity_method"] == "face"
        await session.text("我要交电费", "keyboard")
        asked = await screen.wait_for(lambda m: m["type"] == "bot" and "尾号" in (m["text"] or ""), what="step-up")
        assert f"尾号{lina.phone[-4:]}" in asked["text"] and lina.phone not in asked["text"]
        await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "sms_code", what="keypad")
        await session.text("我用身份证", "keyboard")
        await screen.wait_for(lambda m: m["type"] == "prompt" and m["kind"] == "id_card", what="ID card prompt")
        async with showing(session, live_head(astronaut_portrait())):
            await session.id_card_placed(consent=False)
        await screen.wait_for(lambda m: m["type"] == "bot" and "继续为您办理" in (m["text"] or ""), what="resumed")
        assert slots()["identity_method"] == "id_card" and slots()["second_factor"] is True
    finally:
        await session.close()
