"""Risk review end to end, without a browser: a kiosk session against the real hall (Rasa + actions +
business DB) and the real face service, whose emotion classifier is scripted to see fear (the model
cannot be made to on cue). The customer asks to close an account; the app's signed verdict pauses
it; staff refuse on the board, the customer hears it; asked again, staff approve and it is filed."""
from __future__ import annotations

import asyncio

import pytest

from bot.kiosk.session import KioskDeps, KioskSession
from bot.staff import HallBoard
from bot.staff.notices import RiskReview
from bot.staff.reviews import ReviewLog
from tests.kiosk.media import showing
from vision.config import VisionConfig
from vision.emotion import Emotion, EmotionClassifier

pytestmark = [pytest.mark.rasa, pytest.mark.models]


class ScriptedEmotion(EmotionClassifier):
    """Every face shows `label` (the rest of the vision pipeline is the real one)."""

    def __init__(self, label: str) -> None:   # no model: nothing to load
        self.label, self.size = label, 64

    def classify(self, rgb, face) -> Emotion:
        return Emotion(self.label, 0.9, {self.label: 0.9})


@pytest.fixture(scope="module")
def fearful_faces(hall):
    from vision.service import FaceService

    faces = FaceService(VisionConfig(var_dir=hall.settings.var_dir), emotion=ScriptedEmotion("fear"))
    yield faces
    faces.close()


async def seen_for_a_while(faces, key: str, samples: int, timeout_s: float = 20.0) -> None:
    """Wait until the face service has classified `samples` frames of this session."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while len(faces.emotion_timeline(key).samples) < samples:
        assert loop.time() < deadline, f"the camera saw fewer than {samples} faces in {timeout_s} s"
        await asyncio.sleep(0.1)


def button(message: dict, title: str) -> str:
    return next(b["id"] for b in message["buttons"] if b["title"] == title)


async def confirm_closing(session: KioskSession, screen, account_no: str, seen: int) -> dict:
    """After message `seen`: answer the account question if asked, confirm, and return the reply."""
    def after(predicate):
        return lambda m: screen.messages.index(m) >= seen and predicate(m)

    asking = after(lambda m: m["type"] == "bot" and "确认要办理销户" in (m["text"] or ""))
    step = await screen.wait_for(after(lambda m: asking(m) or (m["type"] == "prompt" and m.get("slot") == "account_no")),
                                 what="account or confirmation")
    if step["type"] == "prompt":
        await session.text(account_no, "keypad")
        step = await screen.wait_for(asking, what="confirmation")
    await session.button(button(step, "确认销户"), display="确认销户")
    return await screen.wait_for(after(lambda m: m["type"] == "bot" and (m.get("custom") or {}).get("type")
                                       in ("risk_review", "application")), what="paused or filed")


async def test_fear_pauses_closing_staff_refuse_then_approve(hall, fearful_faces, screen, tmp_path):
    from tests.kiosk.media import live_head
    from vision.sample_faces import identities

    customer = hall.walk_in(5)
    account_no = hall.business().accounts_of(customer.customer_id)[0].account_no
    board = HallBoard(hall.business, reviews=ReviewLog(tmp_path / "risk_reviews.sqlite"))
    updates = board.subscribe()
    deps = KioskDeps(rasa=hall.rasa_client(), faces=fearful_faces, sensor_key=hall.sensor_key, board=board,
                     find_customer=lambda **kw: hall.business().find_customer(**kw), rasa_retry_s=0.5)
    session = KioskSession("k-risk", deps, screen)
    await session.start()
    try:
        async with showing(session, live_head(identities()["tom"]), every_s=0.25):   # not in the gallery
            await screen.wait_for(lambda m: m["type"] == "bot" and "欢迎光临" in (m["text"] or ""), what="greeting")
            await session.text("我要销户", "keyboard")
            await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "identity_key", what="identity")
            await session.text(customer.id_number, "keypad")
            await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "phone", what="phone")
            await session.text(customer.phone, "keypad")
            await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "sms_code", what="code")
            # a customer stands at the kiosk for a while: let the camera see the window's samples (the
            # typed flow takes ~2 s here, and fewer samples than the rule needs is "not judged")
            await seen_for_a_while(fearful_faces, session.key, deps.risk.min_samples + 2)
            seen = len(screen.messages)
            await session.text(hall.sms_code(customer.phone), "keypad")   # identified: the closing resumes
            paused = await confirm_closing(session, screen, account_no, seen)
            assert paused["custom"]["type"] == "risk_review" and paused["custom"]["operation"] == "close_account"
            notice = None
            while notice is None:
                update = await updates.get()
                if update and update["event"] == "risk_review":
                    notice = board.get(update["notice"]["id"])
            assert isinstance(notice, RiskReview) and notice.session_id == session.conversation_id
            assert notice.evidence["abnormal"] and notice.evidence["dominant"] == "fear"   # the app's own camera
            assert notice.customer_id == customer.customer_id
            await board.decide(notice.id, "S001", "陈静", approve=False)
            await screen.wait_for(lambda m: m["type"] == "bot" and "没有通过" in (m["text"] or ""), what="refusal heard")
            result = await screen.wait_for(lambda m: (m.get("custom") or {}).get("type") == "risk_review_result",
                                           what="refusal payload")
            assert result["custom"] == {"type": "risk_review_result", "review_id": notice.review_id, "approved": False}

            seen = len(screen.messages)
            await session.text("我要销户", "keyboard")
            again = await confirm_closing(session, screen, account_no, seen)
            second = None
            while second is None:   # the board hears of it from a task the session spawned
                update = await updates.get()
                if update and update["event"] == "risk_review":
                    second = board.get(update["notice"]["id"])
            assert again["custom"]["type"] == "risk_review" and isinstance(second, RiskReview)
            assert second.review_id != notice.review_id
            await board.decide(second.id, "S001", "陈静", approve=True)
            filed = await screen.wait_for(lambda m: (m.get("custom") or {}).get("type") == "application",
                                          what="closing filed after approval")
            assert filed["custom"]["kind"] == "closing" and "销户申请已提交" in screen.bot_text()
            assert "工作人员已确认" in screen.bot_text()
        assert [r.decision for r in board.reviews.between(0, 1e12)] == ["refused", "approved"]
    finally:
        await session.close()
