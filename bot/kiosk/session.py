"""One kiosk's session: camera frames, microphone audio, touches and typed text in; screen
messages and reply audio out. It owns the state machine (bot.kiosk.fsm), turns sensor events
into Rasa external events, Rasa replies into screen content and speech, and tells the staff
board who arrived and who needs help. Transport-free: the WebSocket handler (bot.kiosk.routes)
gives it an `Outbox` and forwards what the browser sends."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.buttons import KIOSK_MENU, OfferedButtons
from bot.rasa_client import BotMessage, RasaClient, RasaUnavailable, Turn, clean_text
from hallbot import payloads as P
from identity.masking import mask_for_slot, mask_text
from identity.proof import ProofError, check_seal, signed_entities
from voice.events import Stage

from . import messages as M
from .fsm import SessionFSM, Timeouts
from .limits import FrameWorker

if TYPE_CHECKING:  # the kiosk runs text-only without them: typed, not imported
    from bot.staff.kiosk_board import StaffBoard
    from bot.staff.notices import Notice
    from business.adapter import Customer
    from identity.idcard.base import IdCardReader
    from vision.recognizer import FaceRecognizer
    from voice.pipeline import VoicePipeline, VoiceSession

log = logging.getLogger(__name__)

RASA_DOWN = "对话服务暂时不可用（可能正在重启），您说的话我记下了，恢复后马上为您办理。"
RASA_BACK = "对话服务已恢复。"
SPEECH_DOWN = {"asr": "语音识别暂时不可用（可能正在重启），请稍后再说，或直接点屏幕、用键盘输入。",
               "tts": "语音播报暂时不可用，回复会显示在屏幕上。"}
# a failed NLU step leaves the customer's speech unanswered: the same advice as ASR (tap or type)
NOTICE_FOR: dict[Stage, str] = {"asr": "asr", "nlu": "asr", "tts": "tts"}
SPEECH_BACK = "语音服务已恢复。"
FAREWELL = "感谢您的光临，再见！"
STALE_BUTTON = "这个按钮已失效，请重新选择，或者直接说出、输入您要办理的业务。"
PRESENCE_EVENTS = {"FaceRecognized", "UnknownFace", "QualityRejected", "EmotionSample", "MultipleFaces"}


class Outbox(Protocol):
    async def send_json(self, data: dict[str, Any]) -> None: ...
    async def send_audio(self, pcm: bytes) -> None: ...


class FindCustomer(Protocol):
    def __call__(self, *, id_number: str) -> Customer | None: ...


@dataclass
class KioskDeps:
    """What every kiosk of one app server shares."""
    rasa: RasaClient
    faces: FaceRecognizer | None = None    # None = no camera processing
    voice: VoicePipeline | None = None     # None = text only
    board: StaffBoard | None = None        # None = no staff console
    id_reader: IdCardReader | None = None
    find_customer: FindCustomer | None = None       # business lookup by ID number (ID-card check)
    timeouts: Timeouts = field(default_factory=Timeouts)
    clock: Callable[[], float] = time.monotonic
    speech_probe: Callable[[], Awaitable[bool]] | None = None  # is the speech service back?
    rasa_retry_s: float = 1.0      # how often a pending message is retried while Rasa is down
    rasa_give_up_s: float = 120.0
    frame_gate: asyncio.Semaphore | None = None   # camera frames decoded at once, all kiosks (bot.kiosk.limits)
    sensor_key: str | None = None  # var/sensor.key: signs what the camera and card reader saw;
                                   # None = sensor events identify nobody (actions/trust.py)


class KioskSession:
    def __init__(self, kiosk_id: str, deps: KioskDeps, out: Outbox) -> None:
        self.kiosk_id, self.deps, self.out = kiosk_id, deps, out
        self.key = f"{kiosk_id}-{uuid.uuid4().hex[:6]}"   # voice + vision session key (one connection)
        self.fsm = SessionFSM(kiosk_id, deps.timeouts)
        self.conversation_id = self._new_conversation_id()
        self.customer_name: str | None = None
        self.latest_frame: bytes | None = None
        self.voice: VoiceSession | None = deps.voice.session(self.key) if deps.voice else None
        self._frames = FrameWorker(self._analyse, deps.frame_gate, kiosk_id)
        self._keypad_slot: str | None = None  # the form slot the keypad asks for (how to mask its entry)
        self._tasks: set[asyncio.Task] = set()
        self._pending: list[tuple[str, Callable[[], Awaitable[Turn]]]] = []
        self._recovering: asyncio.Task | None = None
        self._speech_down: set[str] = set()
        self._lock = asyncio.Lock()          # one dialogue turn at a time, in arrival order
        self._closed = False
        self._unsubscribe: Callable[[], None] | None = None
        self._face_at: float | None = None   # first sight of this customer (face -> greeting timing)
        self.buttons = OfferedButtons(fixed=KIOSK_MENU)   # what a tap may press (ids, not payloads)
        self._consent_asked_in: str | None = None        # conversation whose ID-card panel was shown

    # -- life cycle -----------------------------------------------------------------------------
    def _new_conversation_id(self) -> str:
        return f"{self.kiosk_id}-{uuid.uuid4().hex[:10]}"

    async def start(self) -> None:
        if self.voice:
            self.spawn(self._pump_voice(self.voice))
        self.spawn(self._ticker())
        if self.deps.faces is not None:
            self.spawn(self._frames.run())
        if self.deps.board is not None:
            self._unsubscribe = self.deps.board.on_ack(self._staff_acknowledged)
        await self._send_state("connected")

    async def close(self) -> None:
        self._closed = True
        if self._unsubscribe:
            self._unsubscribe()
        if self.fsm.present:
            await self._leave("kiosk disconnected", speak=False)
        if self.voice:
            await self.voice.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.deps.faces:
            self.deps.faces.end_session(self.key)

    def spawn(self, coro) -> asyncio.Task:
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
        while not self._closed:
            await asyncio.sleep(0.5)
            fired = self.fsm.tick(self.deps.clock())
            if fired:
                await self._after(fired)

    # -- inputs from the page ---------------------------------------------------------------------
    def hello(self, camera: bool, mic: bool) -> None:
        self.fsm.camera = camera

    async def audio(self, samples) -> None:
        """Microphone samples (float32 at 16 kHz, already resampled by the transport)."""
        if self.voice:
            await self.voice.feed_audio(samples)

    def frame(self, jpeg: bytes) -> None:
        """A camera frame: analysed by this kiosk's one frame worker, newest first (older ones dropped)."""
        self.latest_frame = jpeg
        if self.deps.faces is not None:
            self._frames.offer(jpeg)

    async def text(self, text: str, source: str = "keyboard", display: str | None = None) -> None:
        """Typed text or a keypad entry: always text for the NLU, whatever it looks like."""
        text = clean_text(text)
        if not text:
            return
        if self.voice and self.voice.playing:
            await self.voice.cancel_playback("superseded")
        shown = clean_text(display or "") or text
        if source in ("keypad", "keyboard"):   # bystanders see the screen: ID numbers, phones, codes masked
            shown = mask_for_slot(self._keypad_slot, shown) if source == "keypad" else mask_text(shown)
        await self.out.send_json(M.UserText(shown, source).to_dict())
        log.debug("kiosk %s: %s input %r", self.kiosk_id, source, mask_text(text[:60]))
        await self._input(f"{source} input")   # the cause is logged at INFO and shown: never the text
        await self._dialogue(text, lambda: self.deps.rasa.send_turn(self.conversation_id, text), speak=True)

    async def button(self, button_id: str, display: str | None = None) -> None:
        """A tap: the id of a button this session offered (or of the fixed menu)."""
        pressed = self.buttons.press(self.conversation_id, button_id)
        if pressed is None:
            await self.out.send_json(M.Notice("error", STALE_BUTTON, "button").to_dict())
            return
        if self.voice and self.voice.playing:
            await self.voice.cancel_playback("superseded")
        title = pressed.title or clean_text(display or "") or pressed.payload
        await self.out.send_json(M.UserText(title, "button").to_dict())
        await self._input(f"button: {title[:30]}")
        conversation_id = self.conversation_id
        await self._dialogue(title, lambda: self.deps.rasa.press_turn(conversation_id, pressed.payload), speak=True)

    def playback_finished(self) -> None:
        if self.voice:
            self.voice.playback_finished()

    async def id_card_placed(self, consent: bool) -> None:
        """The customer put the card on the reader: read it, compare with the live face. Consent
        counts only when this conversation showed the panel that asks it (the box is per visit)."""
        from .id_card import verify_with_id_card

        consent = consent and self._consent_asked_in == self.conversation_id
        try:
            intent, entities, notes = await verify_with_id_card(self, consent)
        except Exception:  # fail closed: an error in any step is a failed check, never a pass
            log.exception("kiosk %s: ID-card check failed", self.kiosk_id)
            intent, entities, notes = "EXTERNAL_id_card_failed", {"reason": "check_error"}, ["id_card_check_error"]
        for reason in notes:
            await self._assist(reason, self.fsm.customer_id)
        await self._external(intent, entities)

    # -- speech -----------------------------------------------------------------------------------
    async def respond_to_speech(self, text: str) -> list[str]:
        """The voice pipeline's NLU step: a final transcript becomes a dialogue turn; the texts
        returned are spoken by the pipeline, everything else goes to the screen here."""
        await self.out.send_json(M.UserText(text, "voice").to_dict())
        log.debug("kiosk %s: speech input %r", self.kiosk_id, mask_text(text[:60]))
        await self._input("speech input")
        replies = await self._dialogue(text, lambda: self.deps.rasa.send_turn(self.conversation_id, text), speak=False)
        return [m.text for m in replies if m.text]

    async def _pump_voice(self, voice: VoiceSession) -> None:
        from voice import events as V

        while True:
            event = await voice.events.get()
            try:
                await self._voice_event(event, V)
            except Exception:  # one bad event must not stop the audio
                log.exception("kiosk %s: voice event %s failed", self.kiosk_id, event.type)

    async def _voice_event(self, event, V) -> None:
        if isinstance(event, V.BotAudio):
            await self._speech_ok("tts")
            if event.seq == 0 and event.turn_id == 0 and self._face_at is not None:
                ms = round((self.deps.clock() - self._face_at) * 1000, 1)
                self._face_at = None
                await self.out.send_json(M.Timings(0, {"face_seen_to_greeting_audio": ms}, event.text).to_dict())
            await self.out.send_json(M.Audio(event.sample_rate, event.turn_id, event.seq, event.text, event.last,
                                             len(event.pcm)).to_dict())
            await self.out.send_audio(event.pcm)
        elif isinstance(event, V.Transcript):
            await self._speech_ok("asr")
            await self.out.send_json(M.Transcript(event.text, event.final).to_dict())
        elif isinstance(event, V.SpeechStarted):
            self.fsm.input_seen(self.deps.clock())
            await self.out.send_json(M.Listening(True).to_dict())
        elif isinstance(event, V.SpeechStopped):
            await self.out.send_json(M.Listening(False).to_dict())
        elif isinstance(event, V.PlaybackCancelled):
            await self.out.send_json(M.StopAudio(event.reason).to_dict())
        elif isinstance(event, V.Reprompt):
            await self.out.send_json(M.Bot(event.text).to_dict())
        elif isinstance(event, V.SilenceTimeout):
            if self.fsm.fire("silence_timeout", now=self.deps.clock(), cause="no answer after re-prompts"):
                await self._after("silence_timeout")   # _after sends the state
        elif isinstance(event, V.VoiceError):
            await self._speech_failed(event.component, event.message)
        elif isinstance(event, V.StageTimings) and event.ms:
            await self.out.send_json(M.Timings(event.turn_id, event.ms, event.text).to_dict())

    async def _speech_failed(self, stage: Stage, message: str) -> None:
        component = NOTICE_FOR[stage]
        if component not in self._speech_down:
            self._speech_down.add(component)
            log.warning("kiosk %s: %s failed: %s", self.kiosk_id, component, message)
            await self.out.send_json(M.Notice("error", SPEECH_DOWN[component], component).to_dict())
            if self.deps.speech_probe:
                self.spawn(self._watch_speech(self.deps.speech_probe))

    async def _watch_speech(self, probe: Callable[[], Awaitable[bool]]) -> None:
        """Poll the speech service until it answers, then tell the customer speech works again."""
        while self._speech_down and not self._closed:
            await asyncio.sleep(1.0)
            if await probe():
                for component in list(self._speech_down):
                    await self._speech_ok(component)

    async def _speech_ok(self, component: str) -> None:
        if component in self._speech_down:
            self._speech_down.discard(component)
            if not self._speech_down:
                await self.out.send_json(M.Notice("info", SPEECH_BACK, component).to_dict())

    def _say(self, texts: list[str]) -> None:
        text = " ".join(t for t in texts if t)
        if self.voice and text:
            self.spawn(self._say_now(self.voice, text))

    async def _say_now(self, voice: VoiceSession, text: str) -> None:
        try:
            await voice.say(text)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the text is on the screen already: nothing is lost
            await self._speech_failed("tts", f"{type(exc).__name__}: {exc}")

    # -- vision -----------------------------------------------------------------------------------
    async def _analyse(self, jpeg: bytes) -> None:
        faces = self.deps.faces
        if faces is None:   # frames are offered only with a face service
            return
        now = self.deps.clock()
        events = await faces.process_frame_async(self.key, jpeg)
        for event in events:
            await self._vision_event(event, now)

    async def _vision_event(self, event, now: float) -> None:
        kind = event.type
        if kind in PRESENCE_EVENTS:
            self.fsm.face_seen(now)
            if self.fsm.fire("person_seen", now=now, cause=f"camera: {kind}"):
                self._face_at = now
                await self._after("person_seen")
        if kind == "FaceRecognized":
            cause = f"face {event.face_id} score {event.score:.2f}" + (" (recently served)" if event.recently_served else "")
            if self.fsm.fire("face_recognized", now=now, cause=cause, customer_id=event.customer_id):
                await self._greet_known(event.customer_id, event.recently_served)
        elif kind == "UnknownFace":
            if self.fsm.fire("face_unknown", now=now, cause=f"no gallery match (best {event.best_score:.2f})"):
                await self._greet_unknown("EXTERNAL_face_unknown")
        elif kind == "StaffIntervention":
            await self._assist(event.reason, event.customer_id or None)

    async def _greet_known(self, customer_id: str, recently_served: bool) -> None:
        if not recently_served:  # the staff notice looks up the profile: it must not delay the greeting
            conversation_id = self.conversation_id
            self.spawn(self._tell_board("customer_arrived",
                                        lambda board: board.customer_arrived(self.kiosk_id, conversation_id, customer_id)))
        else:
            self._face_at = None  # no greeting to time
        # recently served (seed 001): identify quietly, no spoken greeting, no new staff notice
        await self._external("EXTERNAL_face_recognized", {"customer_id": customer_id}, speak=not recently_served)
        await self._move("greeted", "greeting done", "greeted")

    async def _greet_unknown(self, intent: str) -> None:
        await self._external(intent, {})
        await self._move("greeted", "greeting done", "greeted")

    # -- dialogue ---------------------------------------------------------------------------------
    async def _external(self, intent: str, entities: dict, speak: bool = True) -> list[BotMessage]:
        """A sensor result for the dialogue, with the app's proof that it saw it for this conversation."""
        conversation_id = self.conversation_id

        def report() -> Awaitable[Turn]:   # signed when sent (a retry signs anew)
            signed = signed_entities(self.deps.sensor_key, conversation_id, intent, entities) \
                if self.deps.sensor_key else dict(entities)
            return self.deps.rasa.trigger_turn(conversation_id, intent, signed)

        return await self._dialogue(f"/{intent}", report, speak=speak)

    async def _dialogue(self, label: str, call: Callable[[], Awaitable[Turn]],
                        speak: bool) -> list[BotMessage]:
        async with self._lock:
            try:
                turn = await call()
            except RasaUnavailable as exc:
                # the customer's words stay out of the log: what kind of turn, and its length
                kind = label.split("{", 1)[0] if label.startswith("/") else f"a message of {len(label)} characters"
                log.warning("kiosk %s: Rasa unavailable (%s); keeping %s for later", self.kiosk_id, exc, kind)
                self._pending.append((label, call))
                await self.out.send_json(M.Notice("error", RASA_DOWN, "rasa").to_dict())
                if self._recovering is None or self._recovering.done():
                    self._recovering = self.spawn(self._recover())
                return []
        await self._present(turn, speak)
        return turn.messages

    async def _recover(self) -> None:
        """Replay what the customer said while Rasa was down, once it answers again. The tracker
        store keeps the conversation, so it continues where it was."""
        deadline = self.deps.clock() + self.deps.rasa_give_up_s
        while self._pending and self.deps.clock() < deadline:
            await asyncio.sleep(self.deps.rasa_retry_s)
            try:
                status = await self.deps.rasa.status()
            except RasaUnavailable:
                continue
            if not status.get("model_file"):
                continue
            await self.out.send_json(M.Notice("info", RASA_BACK, "rasa").to_dict())
            pending, self._pending = self._pending, []
            for label, call in pending:
                await self._dialogue(label, call, speak=True)
            return
        if self._pending:
            self._pending.clear()
            await self.out.send_json(M.Notice("error", "对话服务仍未恢复，已通知工作人员。", "rasa").to_dict())
            await self._assist("dialogue_service_down", None)

    async def _present(self, turn: Turn, speak: bool) -> None:
        replies, prompted = turn.messages, False
        for reply in replies:
            payload = self._payload(reply.custom)
            if isinstance(payload, P.Prompt):   # a screen instruction, not content
                prompted = True
                if reply.text:
                    await self.out.send_json(M.Bot(reply.text, self._offer(reply)).to_dict())
                await self._prompt(payload)
                continue
            await self.out.send_json(M.Bot(reply.text, self._offer(reply), reply.custom).to_dict())
            if payload is not None:
                await self._custom(payload)
        if speak:
            self._say([r.text for r in replies if r.text])
        if replies:
            self.spawn(self._sync_with_tracker(prompted, turn.tracker))

    def _offer(self, reply: BotMessage) -> list[dict]:
        return self.buttons.offer(self.conversation_id, reply)

    def _payload(self, custom: dict | None) -> P.Payload | None:
        """The reply's custom payload per the contract (hallbot.payloads); one that does not parse
        still goes to the page as it is, but the session acts on none of it."""
        if not custom:
            return None
        try:
            return P.payload_from_dict(custom)
        except P.PayloadError as error:
            log.warning("kiosk %s: reply payload outside the contract: %s", self.kiosk_id, error)
            return None

    async def _prompt(self, payload: P.Prompt) -> None:
        if payload.kind == "id_card":
            self._consent_asked_in = self.conversation_id
            await self._move("verification_started", "ID card requested", "verifying")
            await self.out.send_json(M.Prompt("id_card", "请把身份证放在读卡区").to_dict())

    async def _custom(self, payload: P.Payload) -> None:
        if isinstance(payload, P.Handoff):
            await self._move("handoff_requested", f"handoff: {payload.business_type}", "handoff requested")
            conversation_id = self.conversation_id
            self.spawn(self._tell_board("handoff_requested",
                                        lambda board: board.handoff_requested(self.kiosk_id, conversation_id, payload)))
        elif isinstance(payload, P.StaffIntervention):
            await self._assist(payload.reason or "staff_intervention", self.fsm.customer_id)
        elif isinstance(payload, P.FaceEnrolment) and payload.consent:
            self.spawn(self._enrol_face(payload.customer_id))

    async def _enrol_face(self, customer_id: str) -> None:
        from .consent import FACE_CONSENT_VERSION

        faces = self.deps.faces
        if not (faces and customer_id):
            return
        await asyncio.sleep(1.5)  # "please look at the camera for two seconds"
        if customer_id != self.fsm.customer_id:  # only whom this session confirmed, never whoever a reply names
            log.warning("kiosk %s: face enrolment for %s refused (session serves %s)", self.kiosk_id,
                        customer_id, self.fsm.customer_id)
            return
        frame = self.latest_frame
        if frame is None:
            await self.out.send_json(M.Bot("没有拍到您的人脸，请正对摄像头后再说“登记人脸”。").to_dict())
            return
        await asyncio.to_thread(faces.record_consent, customer_id, "kiosk-dialogue", FACE_CONSENT_VERSION)
        result = await asyncio.to_thread(faces.enrol_image, customer_id, frame)
        text = "人脸登记成功，下次来营业厅就可以刷脸办理了。" if result.ok else \
            "这次没有拍清楚您的人脸，请摘下帽子或眼镜，正对摄像头后再试一次。"
        await self.out.send_json(M.Bot(text, [], P.FaceEnrolmentResult(result.ok).to_dict()).to_dict())
        self._say([text])

    async def _sync_with_tracker(self, prompted: bool = False, tracker: dict | None = None) -> None:
        """Read who is identified and what the form asks from Rasa's tracker (as the turn's own answer
        carried it; fetched only when it did not): the screen shows the name, a keypad or the ID-card
        prompt from the dialogue's own state, not from reply texts."""
        if tracker is None:
            try:
                tracker = await self.deps.rasa.tracker(self.conversation_id, include_events="NONE")
            except Exception:  # noqa: BLE001 - Rasa down or a bad answer: the screen extras are best effort
                return
        slots = tracker.get("slots") or {}
        if slots.get("identified") and slots.get("customer_id") and self._sealed(slots):
            name = slots.get("customer_name")
            if (slots["customer_id"], name) != (self.fsm.customer_id, self.customer_name):
                self.customer_name = name
                await self._move("verified", "identity confirmed in dialogue", "verified",
                                 customer_id=slots["customer_id"])
                self.fsm.customer_id = slots["customer_id"]
                await self.out.send_json(M.Customer(slots["customer_id"], name).to_dict())
        loop = (tracker.get("active_loop") or {}).get("name")
        requested = slots.get("requested_slot")
        if loop == "identity_form":
            await self._move("verification_started", "identity form", "verifying")
        if prompted:  # the reply itself asked for the ID card
            return
        self._keypad_slot = requested if loop and requested in M.KEYPAD_SLOTS else None
        if loop and requested in M.KEYPAD_SLOTS:
            label, digits = M.KEYPAD_SLOTS[requested]
            await self.out.send_json(M.Prompt("keypad", label, requested, digits).to_dict())
        else:
            if not loop:
                await self._move("verification_failed", "identity form ended", "verification ended")
            await self.out.send_json(M.Prompt("none").to_dict())

    def _sealed(self, slots: dict) -> bool:
        """Show a customer only if the actions sealed that identity (slots can be written through
        Rasa's API; the seal cannot be made without the key)."""
        if not self.deps.sensor_key:
            return False
        try:
            check_seal(self.deps.sensor_key, self.conversation_id, str(slots["customer_id"]),
                       str(slots.get("identity_method")), slots.get("identity_seal"))
        except ProofError as error:
            log.warning("kiosk %s: identity in the tracker without a valid seal: %s", self.kiosk_id, error)
            return False
        return True

    # -- state machine effects ----------------------------------------------------------------------
    async def _move(self, trigger: str, cause: str, note: str = "", **kwargs) -> bool:
        """Fire a trigger; when the state changed, tell the page (note: what the session does)."""
        moved = self.fsm.fire(trigger, now=self.deps.clock(), cause=cause, **kwargs)
        if moved:
            await self._send_state(note or cause)
        return moved

    async def _input(self, cause: str) -> None:
        """Speech or a touch: the customer is being served (a form or a handoff keeps its state)."""
        self.fsm.input_seen(self.deps.clock())
        await self._move("user_input", cause)

    async def _after(self, trigger: str) -> None:
        """Effects of transitions fired by timeouts and the voice pipeline."""
        await self._send_state(trigger)
        if trigger == "face_unknown":      # face seen but never good enough: greet without a name
            await self._greet_unknown("EXTERNAL_person_detected")
        elif trigger in ("person_left", "silence_timeout"):
            await self._leave(trigger, speak=trigger == "silence_timeout")
        elif trigger == "farewell_done":
            await self._reset()

    async def _leave(self, cause: str, speak: bool) -> None:
        conversation_id = self.conversation_id
        await self._tell_board("customer_left", lambda board: board.customer_left(self.kiosk_id, conversation_id))
        if speak:
            await self.out.send_json(M.Bot(FAREWELL).to_dict())
            self._say([FAREWELL])
        try:  # the dialogue forgets the customer (slots reset, conversation restarted)
            await self.deps.rasa.trigger_intent(self.conversation_id, "EXTERNAL_person_left", {})
        except RasaUnavailable:
            pass
        await self._move("person_left", cause)

    async def _reset(self) -> None:
        if self.deps.faces:
            self.deps.faces.end_session(self.key)
        self.buttons.forget(self.conversation_id)
        self.conversation_id = self._new_conversation_id()
        self.customer_name = None
        self._consent_asked_in = None
        self._pending.clear()
        await self.out.send_json(M.Customer(None, None).to_dict())
        await self.out.send_json(M.Prompt("none").to_dict())
        await self._send_state("reset")

    async def _send_state(self, note: str) -> None:
        cause = self.fsm.history[-1].cause if self.fsm.history else ""
        await self.out.send_json(M.State(self.fsm.state, cause, self.conversation_id, note).to_dict())

    async def _assist(self, reason: str, customer_id: str | None) -> None:
        """Ask staff to come and help this conversation's customer."""
        conversation_id = self.conversation_id
        await self._tell_board("enrolment_assist", lambda board: board.enrolment_assist(
            self.kiosk_id, conversation_id, reason, customer_id))

    async def _tell_board(self, what: str, call: Callable[[StaffBoard], Awaitable[object]]) -> None:
        board = self.deps.board
        if board is None:
            return
        try:
            await call(board)
        except Exception:  # the console is a helper: the customer is served regardless
            log.exception("kiosk %s: staff board %s failed", self.kiosk_id, what)

    async def _staff_acknowledged(self, notice: Notice) -> None:
        if notice.session_id != self.conversation_id or self._closed:
            return
        who = notice.acked_by_name or ""
        text = f"工作人员{who}已收到，马上过来为您服务。"
        await self.out.send_json(M.Bot(text, [], P.StaffComing(who or "工作人员").to_dict()).to_dict())
        self._say([text])
