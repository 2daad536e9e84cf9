"""The visit record a kiosk session keeps (bot/kiosk/visit_record.py -> bot/visits.py), with a scripted
Rasa and a real SQLite log: a visit starts with the customer, each turn's intent is kept (fallbacks
marked, sensor events left out), staff who take the handoff are named, and the farewell asks a
one-tap rating that is stored once, for the visit it asked about, and can be skipped."""
from __future__ import annotations

from bot.kiosk.session import RATING_QUESTION, RATING_THANKS, KioskDeps, KioskSession
from bot.rasa_client import BotMessage, Turn
from bot.staff.notices import Handoff
from bot.visits import VisitLog
from hallbot import payloads as P


def state(intent: str, action: str = "action_listen") -> dict:
    return {"slots": {}, "active_loop": {}, "latest_message": {"intent": {"name": intent}}, "latest_action_name": action}


class ScriptedRasa:
    """Answers each text with the next scripted (reply, intent, last action)."""

    def __init__(self, script: list[tuple[BotMessage, str, str]]) -> None:
        self.script = list(script)

    async def send_turn(self, sender, text, message_id=None, retry=False, metadata=None):
        reply, intent, action = self.script.pop(0)
        return Turn([reply], state(intent, action))

    async def trigger_turn(self, sender, intent, entities=None):
        return Turn([BotMessage("您好")], state(intent))

    async def trigger_intent(self, sender, intent, entities=None):
        return []

    async def tracker(self, sender, include_events="NONE"):
        return {"slots": {}, "active_loop": {}}


async def test_a_visit_is_recorded_and_rated_once(screen, tmp_path):
    log = VisitLog(tmp_path / "visits.sqlite")
    rasa = ScriptedRasa([
        (BotMessage("您可以查电费、交电费。"), "query_bill", "action_query_bill"),
        (BotMessage("抱歉，我没有听懂。"), "nlu_fallback", "action_default_fallback"),
        (BotMessage("好的，马上为您转人工。", custom=P.Handoff(business_type="consult").to_dict()), "request_human",
         "action_handoff"),
        (BotMessage("感谢您的光临，再见！", custom=P.RatingRequest().to_dict()), "goodbye", "action_farewell"),
    ])
    session = KioskSession("k-visit", KioskDeps(rasa=rasa, visits=log), screen)   # type: ignore[arg-type]
    await session.start()
    try:
        conversation = session.conversation_id
        for text in ("查电费", "天气怎么样", "转人工"):
            await session.text(text)
        handoff = Handoff("k-visit", conversation, status="acknowledged", acked_by={"staff_id": "S001", "name": "陈静"})
        await session._staff_acknowledged(handoff)
        await session.text("再见")
        prompt = screen.of("prompt")[-1]
        assert (prompt["kind"], prompt["label"]) == ("rating", RATING_QUESTION)
        await session.rate(3)
        await session.rate(1)                      # a second tap: not asked again, not stored
        assert screen.of("prompt")[-1]["kind"] == "none" and screen.bot_text().count(RATING_THANKS) == 1
        visit = log.get(conversation)
        assert visit is not None and visit.kiosk_id == "k-visit"
        assert (visit.handed_off, visit.handled_by, visit.rating, visit.recognised) == (True, "S001", 3, False)
        turns = log.turns_between(0, 1e12)
        assert [(t.intent, t.fallback) for t in turns] == [("query_bill", False), ("nlu_fallback", True),
                                                           ("request_human", False), ("goodbye", False)]
    finally:
        await session.close()


async def test_a_skipped_rating_stores_nothing(screen, tmp_path):
    log = VisitLog(tmp_path / "visits.sqlite")
    rasa = ScriptedRasa([(BotMessage("再见！", custom=P.RatingRequest().to_dict()), "goodbye", "action_farewell")])
    session = KioskSession("k-skip", KioskDeps(rasa=rasa, visits=log), screen)   # type: ignore[arg-type]
    await session.start()
    try:
        await session.text("再见")
        await session.rate(None)
        await session.rate(2)                      # after skipping, a late tap is not taken either
        visit = log.get(session.conversation_id)
        assert visit is not None and visit.rating is None
        assert RATING_THANKS not in screen.bot_text()
    finally:
        await session.close()
