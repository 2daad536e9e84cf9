"""Private numbers stay off the kiosk screen and out of the logs (fake Rasa, no hall): keypad and typed
entries are shown masked, the customer's words are not logged at INFO, and not at all while Rasa is down."""
from __future__ import annotations

import logging

from bot.kiosk.session import KioskDeps, KioskSession
from bot.rasa_client import RasaUnavailable, Turn

ID_NUMBER, PHONE, CODE = "11010519491231002X", "13800138002", "123456"


class FakeRasa:
    def __init__(self, down: bool = False, requested: str | None = None) -> None:
        self.down, self.requested, self.sent = down, requested, []

    async def send_turn(self, sender, text, message_id=None, retry=False, metadata=None):
        if self.down:
            raise RasaUnavailable("对话服务暂时无法连接（ConnectError），请稍后再试")
        self.sent.append(text)
        return Turn([])

    async def trigger_turn(self, sender, intent, entities=None):
        return Turn([])

    async def trigger_intent(self, sender, intent, entities=None):
        return []

    async def tracker(self, sender, include_events="NONE"):
        return {"slots": {"requested_slot": self.requested}, "active_loop": {"name": "identity_form"}}

    async def status(self):
        raise RasaUnavailable("down")


async def test_keypad_and_typed_entries_are_shown_masked(screen, caplog):
    rasa = FakeRasa()
    session = KioskSession("k-private", KioskDeps(rasa=rasa), screen)
    caplog.set_level(logging.INFO)
    try:
        await session.text(ID_NUMBER, "keypad")
        await session.text(f"我的手机是{PHONE}", "keyboard")
        session.dialogue.keypad_slot = "sms_code"        # what the tracker said the keypad asks for
        await session.text(CODE, "keypad")
        assert [m["text"] for m in screen.of("user_text")] == [
            "**************002X", "我的手机是*******8002", "******"]
        assert rasa.sent == [ID_NUMBER, f"我的手机是{PHONE}", CODE]          # Rasa still gets the real input
        assert not any(s in caplog.text for s in (ID_NUMBER, PHONE, CODE, "手机"))
        assert not any(m.get("cause", "").count(PHONE) for m in screen.of("state"))
    finally:
        await session.close()


async def test_the_message_is_not_logged_while_rasa_is_down(screen, caplog):
    session = KioskSession("k-down", KioskDeps(rasa=FakeRasa(down=True), rasa_retry_s=60), screen)
    caplog.set_level(logging.DEBUG)
    try:
        await session.text(f"我的身份证号是{ID_NUMBER}", "keyboard")
        assert any("Rasa unavailable" in r.getMessage() and "message of" in r.getMessage() for r in caplog.records)
        assert ID_NUMBER not in caplog.text and "身份证号" not in "".join(
            r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    finally:
        await session.close()
