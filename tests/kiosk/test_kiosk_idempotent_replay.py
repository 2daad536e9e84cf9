"""The kiosk repeats a turn whose answer was lost with the same message id, so the message is
handled once (the channel's side: tests/dialogue/test_dialogue_idempotent_turns.py)."""
from __future__ import annotations

import httpx

from bot.kiosk.session import RASA_BACK, KioskSession
from bot.rasa_client import RasaClient, RasaUnavailable, Turn
from tests.kiosk.test_kiosk_session import deps_for


def user_texts(hall, sender: str) -> list[str]:
    events = httpx.get(f"{hall.settings.rasa_url}/conversations/{sender}/tracker",
                       params={"token": hall.rasa_token, "include_events": "ALL"}, timeout=60).json()["events"]
    return [e["text"] for e in events if e["event"] == "user"]


class LosesTheFirstAnswer(RasaClient):
    """Rasa handles the turn, then the answer is lost on the way back (a timeout, a dropped link)."""
    lost = 0

    async def send_turn(self, sender_id: str, text: str, message_id: str | None = None, retry: bool = False,
                        metadata: dict | None = None) -> Turn:
        turn = await super().send_turn(sender_id, text, message_id, retry, metadata)
        if not self.lost:
            self.lost += 1
            raise RasaUnavailable("answer lost")
        return turn


async def test_the_kiosk_replays_a_lost_answer_with_its_id_and_the_message_counts_once(hall, screen):
    deps = deps_for(hall)
    deps.rasa = LosesTheFirstAnswer(hall.settings.rasa_url, hall.rasa_token)
    session = KioskSession("k-idem", deps, screen)
    await session.start()
    try:
        await session.text("我要交电费", "keyboard")
        await screen.wait_for(lambda m: m["type"] == "notice" and m["text"] == RASA_BACK, what="replay")
        await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "identity_key", what="form")
        assert user_texts(hall, session.conversation_id) == ["我要交电费"]
    finally:
        await session.close()
        await deps.rasa.close()


async def test_a_turn_the_page_sends_again_with_its_own_id_is_handled_once(hall, screen):
    """The app restarted before the page saw the answer: the page (bot/static/kiosk.js) sends its
    unanswered text again with the id it gave it, and the dialogue does not run it twice."""
    deps = deps_for(hall)
    session = KioskSession("k-page-id", deps, screen)
    await session.start()
    try:
        await session.text("我要交电费", "keyboard", message_id="page-turn-0001")
        await screen.wait_for(lambda m: m["type"] == "prompt" and m.get("slot") == "identity_key", what="form")
        answers = len(screen.of("bot"))
        await session.text("我要交电费", "keyboard", message_id="page-turn-0001", retry=True)
        await screen.wait_for(lambda m: len(screen.of("bot")) > answers, what="the answer again")
        assert user_texts(hall, session.conversation_id) == ["我要交电费"]
    finally:
        await session.close()
