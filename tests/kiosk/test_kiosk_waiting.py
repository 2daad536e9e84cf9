"""While a turn waits for a Rasa that is down, the customer is waiting for the robot: neither the
session's silence timeout nor the voice pipeline's says goodbye (which would reset the visit and
drop the kept turn). Fake Rasa that stays down, fake clock, no hall."""
from __future__ import annotations

from bot.kiosk.fsm import Timeouts
from bot.kiosk.session import KioskDeps, KioskSession
from tests.kiosk.test_kiosk_privacy import FakeRasa
from voice import events as V


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def waiting_session(screen, clock: Clock) -> KioskSession:
    deps = KioskDeps(rasa=FakeRasa(down=True), clock=clock, rasa_retry_s=3600,
                     timeouts=Timeouts(silence_s=90.0))
    return KioskSession("k-wait", deps, screen)


async def test_no_silence_goodbye_while_a_turn_waits_for_rasa(screen):
    clock = Clock()
    session = waiting_session(screen, clock)
    try:
        await session.text("我要查电费", "keyboard")
        assert session.awaiting_dialogue and session.fsm.present
        clock.now += 300                      # far past the 90 s silence timeout
        await session._tick()
        await session.speech.on_event(V.SilenceTimeout("k-wait", 2))
        assert session.fsm.present and len(session.dialogue.pending) == 1
        assert not [m for m in screen.of("bot") if "再见" in (m.get("text") or "")]
        session.dialogue.pending.clear()      # nothing kept: the same silence now ends the visit
        clock.now += 300
        await session._tick()
        assert not session.fsm.present or session.fsm.state == "farewell"
    finally:
        await session.close()
