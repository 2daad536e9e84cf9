"""One kiosk's session: camera frames, microphone audio, touches and typed text in; screen
messages and reply audio out. Transport-free: the WebSocket handler (bot.kiosk.routes) gives it
an `Outbox` and forwards what the browser sends.

The session assembles three parts, one concern each, and keeps what they share: the state
machine (bot.kiosk.fsm) and its effects, the conversation id, the staff board, task ownership.
- presence (bot.kiosk.presence): camera frames and the ID card -> arrivals, greetings;
- speech (bot.kiosk.speech): the voice pipeline's events, what the robot says, speech outages;
- dialogue (bot.kiosk.dialogue): Rasa turns, replay after an outage, payloads, the screen's state.
The parts see the session only as bot.kiosk.core.SessionCore."""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from bot.rasa_client import RasaUnavailable, clean_text
from hallbot import payloads as P
from identity.masking import mask_for_slot, mask_text
from identity.proof import ProofError, check_resume, sign_resume

from . import messages as M
from .core import FindCustomer, KioskDeps, Outbox
from .dialogue import RASA_BACK, RASA_DOWN, Dialogue
from .fsm import SessionFSM
from .presence import Presence
from .speech import NOTICE_FOR, SPEECH_BACK, SPEECH_DOWN, Speech
from .visit_record import VisitRecorder

if TYPE_CHECKING:
    from bot.staff.kiosk_board import StaffBoard
    from bot.staff.notices import Notice
    from voice.pipeline import VoiceSession

__all__ = ["FAREWELL", "NOTICE_FOR", "RASA_BACK", "RASA_DOWN", "SPEECH_BACK", "SPEECH_DOWN", "STALE_BUTTON",
           "FindCustomer", "KioskDeps", "KioskSession", "Outbox"]

log = logging.getLogger(__name__)

FAREWELL = "感谢您的光临，再见！"
RATING_QUESTION = "您对这次服务满意吗？点一下就好，也可以跳过。"
RATING_THANKS = "谢谢您的评价！"
STALE_BUTTON = "这个按钮已失效，请重新选择，或者直接说出、输入您要办理的业务。"


class KioskSession:
    def __init__(self, kiosk_id: str, deps: KioskDeps, out: Outbox) -> None:
        self.kiosk_id, self.deps, self.out = kiosk_id, deps, out
        self.key = f"{kiosk_id}-{uuid.uuid4().hex[:6]}"   # voice + vision session key (one connection)
        self.fsm = SessionFSM(kiosk_id, deps.timeouts)
        self.conversation_id = self._new_conversation_id()
        self.customer_name: str | None = None
        self.face_at: float | None = None   # first sight of this customer (face -> greeting timing)
        self.closed = False
        self._tasks: set[asyncio.Task] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._resume_sent_at = float("-inf")
        # the voice session answers through this session's dialogue: no lookup of who owns it
        self.voice: VoiceSession | None = \
            deps.voice.session(self.key, respond=self._respond_to_speech) if deps.voice else None
        self.dialogue = Dialogue(self)
        self.speech = Speech(self, self.voice)
        self.presence = Presence(self, self.dialogue)
        self.visit = VisitRecorder(deps.visits, kiosk_id)

    # -- life cycle -----------------------------------------------------------------------------
    def _new_conversation_id(self) -> str:
        return f"{self.kiosk_id}-{uuid.uuid4().hex[:10]}"

    async def start(self) -> None:
        if self.voice:
            self.spawn(self.speech.pump(self.voice))
        self.spawn(self._ticker())
        if self.deps.faces is not None:
            self.spawn(self.presence.frames.run())
        if self.deps.board is not None:
            off_ack = self.deps.board.on_ack(self._staff_acknowledged)
            off_review = self.deps.board.on_review(self._review_decided)

            def unsubscribe() -> None:
                off_ack()
                off_review()
            self._unsubscribe = unsubscribe
        await self._send_state("connected")

    async def close(self) -> None:
        """The page is gone. A customer in front of the kiosk is not: the page may come back to this
        conversation (resume), so their departure is only scheduled (bot.kiosk.departures)."""
        self.closed = True
        if self._unsubscribe:
            self._unsubscribe()
        if self.fsm.present and self.deps.resume_s > 0 and self.deps.sensor_key:
            self.deps.departures.later(self.conversation_id, self._departure(), self.deps.resume_s)
        elif self.fsm.present:
            await self.leave("kiosk disconnected", speak=False)
        if self.voice:
            await self.voice.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.deps.faces:
            self.deps.faces.end_session(self.key)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run a task owned by this session: errors are logged, close() cancels it."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception():
            log.error("kiosk %s: background task failed", self.kiosk_id, exc_info=task.exception())

    async def _ticker(self) -> None:
        while not self.closed:
            await asyncio.sleep(0.5)
            await self._tick()

    async def _tick(self) -> None:
        now = self.deps.clock()
        if now - self._resume_sent_at >= self.deps.resume_s / 3:   # the page's token stays fresh
            await self._send_resume()
        if self.awaiting_dialogue:   # no goodbye (and no reset dropping the kept turn) while Rasa is back soon
            self.fsm.input_seen(now)
        fired = self.fsm.tick(now)
        if fired:
            await self.after(fired)

    @property
    def awaiting_dialogue(self) -> bool:
        return bool(self.dialogue.pending)

    @property
    def latest_frame(self) -> bytes | None:
        return self.presence.latest_frame

    @latest_frame.setter
    def latest_frame(self, jpeg: bytes | None) -> None:
        self.presence.latest_frame = jpeg

    # -- inputs from the page ---------------------------------------------------------------------
    def hello(self, camera: bool, mic: bool) -> None:
        self.fsm.camera = camera

    async def resume(self, token: str) -> bool:
        """The page came back (a dropped connection, a reload, an app restart) with the token this
        kiosk gave it: continue that conversation instead of this new, empty one. The screen is
        rebuilt from the dialogue's state (a sealed identity shows the customer again)."""
        if self.fsm.state != "idle" or not self.deps.sensor_key or self.deps.resume_s <= 0:
            return False
        try:
            conversation_id = check_resume(self.deps.sensor_key, self.kiosk_id, token, self.deps.resume_s)
        except ProofError as error:
            log.info("kiosk %s: resume refused: %s", self.kiosk_id, error)
            return False
        if conversation_id == self.conversation_id:
            return False
        self.deps.departures.cancel(conversation_id)
        self.dialogue.forget()
        self.conversation_id = conversation_id
        self.fsm.face_seen(self.deps.clock())   # the absence timeout counts from the return
        await self.move("resumed", "page reconnected", "resumed")
        await self.dialogue.sync_with_tracker()
        return True

    async def audio(self, samples) -> None:
        """Microphone samples (float32 at 16 kHz, already resampled by the transport)."""
        if self.voice:
            await self.voice.feed_audio(samples)

    def frame(self, jpeg: bytes) -> None:
        self.presence.frame(jpeg)

    async def text(self, text: str, source: str = "keyboard", display: str | None = None,
                   message_id: str | None = None, retry: bool = False) -> None:
        """Typed text or a keypad entry: always text for the NLU, whatever it looks like. The page
        may give the turn its id and send it again (retry) when the app restarted before answering."""
        text = clean_text(text)
        if not text:
            return
        await self.speech.interrupt()
        shown = clean_text(display or "") or text
        if source in ("keypad", "keyboard"):   # bystanders see the screen: ID numbers, phones, codes masked
            shown = mask_for_slot(self.dialogue.keypad_slot, shown) if source == "keypad" else mask_text(shown)
        await self.out.send_json(M.UserText(shown, source).to_dict())
        log.debug("kiosk %s: %s input %r", self.kiosk_id, source, mask_text(text[:60]))
        await self._input(f"{source} input")   # the cause is logged at INFO and shown: never the text
        await self.dialogue.say(text, message_id=message_id, retry=retry)

    async def button(self, button_id: str, display: str | None = None) -> None:
        """A tap: the id of a button this session offered (or of the fixed menu)."""
        pressed = self.dialogue.buttons.press(self.conversation_id, button_id)
        if pressed is None:
            await self.out.send_json(M.Notice("error", STALE_BUTTON, "button").to_dict())
            return
        await self.speech.interrupt()
        title = pressed.title or clean_text(display or "") or pressed.payload
        await self.out.send_json(M.UserText(title, "button").to_dict())
        await self._input(f"button: {title[:30]}")
        await self.dialogue.press(title, pressed.payload)

    def playback_finished(self) -> None:
        if self.voice:
            self.voice.playback_finished()

    async def id_card_placed(self, consent: bool) -> None:
        await self.presence.id_card_placed(consent)

    async def ask_rating(self) -> None:
        """Farewell: the one-tap satisfaction question (skippable) for this visit."""
        self.visit.ask_rating(self.conversation_id)
        await self.out.send_json(M.Prompt("rating", RATING_QUESTION).to_dict())

    async def rate(self, rating: int | None) -> None:
        """The customer's tap on the rating panel (None: skipped)."""
        stored = await self.visit.rate(rating)
        await self.out.send_json(M.Prompt("none").to_dict())
        if stored:
            await self.out.send_json(M.Bot(RATING_THANKS).to_dict())

    async def respond_to_speech(self, text: str) -> list[str]:
        """The voice pipeline's NLU step: a final transcript becomes a dialogue turn; the texts
        returned are spoken by the pipeline, everything else goes to the screen here."""
        await self.out.send_json(M.UserText(text, "voice").to_dict())
        log.debug("kiosk %s: speech input %r", self.kiosk_id, mask_text(text[:60]))
        await self._input("speech input")
        replies = await self.dialogue.say(text, speak=False)
        return [m.text for m in replies if m.text]

    async def _respond_to_speech(self, session_key: str, text: str) -> list[str]:
        return await self.respond_to_speech(text)

    def say(self, texts: list[str]) -> None:
        self.speech.say(texts)

    # -- state machine effects ----------------------------------------------------------------------
    async def move(self, trigger: str, cause: str, note: str = "", **kwargs: Any) -> bool:
        """Fire a trigger; when the state changed, tell the page (note: what the session does)."""
        moved = self.fsm.fire(trigger, now=self.deps.clock(), cause=cause, **kwargs)
        if moved:
            await self._send_state(note or cause)
        return moved

    async def _input(self, cause: str) -> None:
        """Speech or a touch: the customer is being served (a form or a handoff keeps its state)."""
        self.fsm.input_seen(self.deps.clock())
        await self.move("user_input", cause)

    async def after(self, trigger: str) -> None:
        """Effects of transitions fired by timeouts and the voice pipeline."""
        await self._send_state(trigger)
        if trigger == "face_unknown":      # face seen but never good enough: greet without a name
            await self.presence.greet_unknown("EXTERNAL_person_detected")
        elif trigger in ("person_left", "silence_timeout"):
            await self.leave(trigger, speak=trigger == "silence_timeout")
        elif trigger == "farewell_done":
            await self._reset()

    async def leave(self, cause: str, speak: bool) -> None:
        if speak:
            await self.out.send_json(M.Bot(FAREWELL).to_dict())
            self.say([FAREWELL])
        await self._departure()()
        await self.move("person_left", cause)

    def _departure(self) -> Callable[[], Awaitable[None]]:
        """Tell the board and the dialogue (slots reset, conversation restarted) that this
        conversation's customer left; it needs nothing of the session, so it can run after it."""
        kiosk_id, conversation_id, deps = self.kiosk_id, self.conversation_id, self.deps

        async def depart() -> None:
            await self.tell_board("customer_left", lambda board: board.customer_left(kiosk_id, conversation_id))
            try:
                await deps.rasa.trigger_intent(conversation_id, "EXTERNAL_person_left", {})
            except RasaUnavailable:
                pass

        return depart

    async def _reset(self) -> None:
        emotion = self.deps.faces.end_session(self.key) if self.deps.faces else None
        await self.visit.ended(self.conversation_id, emotion)   # with the visit's emotion trend (labels only)
        self.dialogue.forget()
        self.conversation_id = self._new_conversation_id()
        self.customer_name = None
        await self.out.send_json(M.Customer(None, None).to_dict())
        await self.out.send_json(M.Prompt("none").to_dict())
        await self._send_state("reset")

    async def _send_state(self, note: str) -> None:
        cause = self.fsm.history[-1].cause if self.fsm.history else ""
        await self.out.send_json(M.State(self.fsm.state, cause, self.conversation_id, note).to_dict())
        await self._send_resume()
        await self.visit.observe(self.conversation_id, self.fsm)

    async def _send_resume(self) -> None:
        """A fresh token while someone is served; an empty one otherwise, so a page that reconnects
        after its customer left never comes back to their conversation."""
        if self.deps.sensor_key and self.deps.resume_s > 0 and not self.closed:
            self._resume_sent_at = self.deps.clock()
            token = sign_resume(self.deps.sensor_key, self.kiosk_id, self.conversation_id) if self.fsm.present else ""
            await self.out.send_json(M.Resume(token).to_dict())

    # -- staff board --------------------------------------------------------------------------------
    async def assist(self, reason: str, customer_id: str | None) -> None:
        """Ask staff to come and help this conversation's customer."""
        kiosk_id, conversation_id = self.kiosk_id, self.conversation_id
        await self.tell_board("enrolment_assist", lambda board: board.enrolment_assist(
            kiosk_id, conversation_id, reason, customer_id))

    async def tell_board(self, what: str, call: Callable[[StaffBoard], Awaitable[object]]) -> None:
        board = self.deps.board
        if board is None:
            return
        try:
            await call(board)
        except Exception:  # the console is a helper: the customer is served regardless
            log.exception("kiosk %s: staff board %s failed", self.kiosk_id, what)

    async def _staff_acknowledged(self, notice: Notice) -> None:
        if notice.session_id != self.conversation_id or self.closed:
            return
        if notice.type == "handoff" and notice.acked_by:
            await self.visit.handled_by(notice.session_id, str(notice.acked_by.get("staff_id")))
        who = notice.acked_by_name or ""
        text = f"工作人员{who}已收到，马上过来为您服务。"
        await self.out.send_json(M.Bot(text, [], P.StaffComing(who or "工作人员").to_dict()).to_dict())
        self.say([text])

    async def _review_decided(self, notice: Notice) -> None:
        """Staff approved or refused this conversation's paused operation: the dialogue is told,
        with the app's proof (the actions resume or refuse it and the customer hears which)."""
        from bot.staff.notices import RiskReview as RiskReviewNotice

        if notice.session_id != self.conversation_id or self.closed or not isinstance(notice, RiskReviewNotice):
            return
        await self.dialogue.external("EXTERNAL_risk_review_decided",
                                     {"review_id": notice.review_id, "decision": notice.decision or "refused"})
