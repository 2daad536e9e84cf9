"""The kiosk session's dialogue: one Rasa turn at a time, in arrival order; what the customer said
while Rasa was down kept and replayed when it is back; replies to the screen and to speech; their
payloads (hallbot.payloads) dispatched; and the screen's state (who is identified, which keypad)
taken from the dialogue's own state after each turn, never from reply texts."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.buttons import KIOSK_MENU, OfferedButtons
from bot.rasa_client import BotMessage, RasaUnavailable, Turn
from hallbot import payloads as P
from identity.proof import ProofError, check_seal, signed_entities

from . import messages as M
from .core import SessionCore

log = logging.getLogger(__name__)

RASA_DOWN = "对话服务暂时不可用（可能正在重启），您说的话我记下了，恢复后马上为您办理。"
RASA_BACK = "对话服务已恢复。"
RASA_GONE = "对话服务仍未恢复，已通知工作人员。"


class Dialogue:
    def __init__(self, core: SessionCore) -> None:
        self.core = core
        self.buttons = OfferedButtons(fixed=KIOSK_MENU)   # what a tap may press (ids, not payloads)
        self.keypad_slot: str | None = None     # the form slot the keypad asks for (how to mask its entry)
        self.consent_asked_in: str | None = None   # conversation whose ID-card panel was shown
        self.pending: list[tuple[str, Callable[[], Awaitable[Turn]]]] = []
        self.lock = asyncio.Lock()          # one dialogue turn at a time, in arrival order
        self._recovering: asyncio.Task | None = None

    # -- turns ------------------------------------------------------------------------------------
    async def say(self, text: str, speak: bool = True) -> list[BotMessage]:
        """What the customer typed or said: text for the NLU."""
        core = self.core
        return await self.turn(text, lambda: core.deps.rasa.send_turn(core.conversation_id, text), speak)

    async def press(self, title: str, payload: str) -> list[BotMessage]:
        conversation_id = self.core.conversation_id
        return await self.turn(title, lambda: self.core.deps.rasa.press_turn(conversation_id, payload), speak=True)

    async def external(self, intent: str, entities: dict, speak: bool = True) -> list[BotMessage]:
        """A sensor result for the dialogue, with the app's proof that it saw it for this conversation."""
        core, conversation_id = self.core, self.core.conversation_id

        def report() -> Awaitable[Turn]:   # signed when sent (a retry signs anew)
            signed = signed_entities(core.deps.sensor_key, conversation_id, intent, entities) \
                if core.deps.sensor_key else dict(entities)
            return core.deps.rasa.trigger_turn(conversation_id, intent, signed)

        return await self.turn(f"/{intent}", report, speak=speak)

    async def turn(self, label: str, call: Callable[[], Awaitable[Turn]], speak: bool) -> list[BotMessage]:
        core = self.core
        async with self.lock:
            try:
                turn = await call()
            except RasaUnavailable as exc:
                # the customer's words stay out of the log: what kind of turn, and its length
                kind = label.split("{", 1)[0] if label.startswith("/") else f"a message of {len(label)} characters"
                log.warning("kiosk %s: Rasa unavailable (%s); keeping %s for later", core.kiosk_id, exc, kind)
                self.pending.append((label, call))
                await core.out.send_json(M.Notice("error", RASA_DOWN, "rasa").to_dict())
                if self._recovering is None or self._recovering.done():
                    self._recovering = core.spawn(self._recover())
                return []
        await self._present(turn, speak)
        return turn.messages

    async def _recover(self) -> None:
        """Replay what the customer said while Rasa was down, once it answers again. The tracker
        store keeps the conversation, so it continues where it was."""
        core = self.core
        deadline = core.deps.clock() + core.deps.rasa_give_up_s
        while self.pending and core.deps.clock() < deadline:
            await asyncio.sleep(core.deps.rasa_retry_s)
            try:
                status = await core.deps.rasa.status()
            except RasaUnavailable:
                continue
            if not status.get("model_file"):
                continue
            await core.out.send_json(M.Notice("info", RASA_BACK, "rasa").to_dict())
            pending, self.pending = self.pending, []
            for label, call in pending:
                await self.turn(label, call, speak=True)
            return
        if self.pending:
            self.pending.clear()
            await core.out.send_json(M.Notice("error", RASA_GONE, "rasa").to_dict())
            await core.assist("dialogue_service_down", None)

    def forget(self) -> None:
        """A new customer: nothing of the last conversation may be pressed, replayed or consented to."""
        self.buttons.forget(self.core.conversation_id)
        self.consent_asked_in = None
        self.pending.clear()

    # -- replies ----------------------------------------------------------------------------------
    async def _present(self, turn: Turn, speak: bool) -> None:
        out = self.core.out
        replies, prompted = turn.messages, False
        for reply in replies:
            payload = self.payload_of(reply.custom)
            if isinstance(payload, P.Prompt):   # a screen instruction, not content
                prompted = True
                if reply.text:
                    await out.send_json(M.Bot(reply.text, self._offer(reply)).to_dict())
                await self._prompt(payload)
                continue
            await out.send_json(M.Bot(reply.text, self._offer(reply), reply.custom).to_dict())
            if payload is not None:
                await self.custom(payload)
        if speak:
            self.core.say([r.text for r in replies if r.text])
        if replies:
            self.core.spawn(self.sync_with_tracker(prompted, turn.tracker))

    def _offer(self, reply: BotMessage) -> list[dict]:
        return self.buttons.offer(self.core.conversation_id, reply)

    def payload_of(self, custom: dict | None) -> P.Payload | None:
        """The reply's custom payload per the contract (hallbot.payloads); one that does not parse
        still goes to the page as it is, but the session acts on none of it."""
        if not custom:
            return None
        try:
            return P.payload_from_dict(custom)
        except P.PayloadError as error:
            log.warning("kiosk %s: reply payload outside the contract: %s", self.core.kiosk_id, error)
            return None

    async def _prompt(self, payload: P.Prompt) -> None:
        if payload.kind == "id_card":
            self.consent_asked_in = self.core.conversation_id
            await self.core.move("verification_started", "ID card requested", "verifying")
            await self.core.out.send_json(M.Prompt("id_card", "请把身份证放在读卡区").to_dict())

    async def custom(self, payload: P.Payload) -> None:
        core = self.core
        if isinstance(payload, P.Handoff):
            await core.move("handoff_requested", f"handoff: {payload.business_type}", "handoff requested")
            kiosk_id, conversation_id = core.kiosk_id, core.conversation_id
            core.spawn(core.tell_board("handoff_requested",
                                       lambda board: board.handoff_requested(kiosk_id, conversation_id, payload)))
        elif isinstance(payload, P.StaffIntervention):
            await core.assist(payload.reason or "staff_intervention", core.fsm.customer_id)
        elif isinstance(payload, P.FaceEnrolment) and payload.consent:
            core.spawn(self.enrol_face(payload.customer_id))

    async def enrol_face(self, customer_id: str) -> None:
        """The customer agreed in the dialogue to keep their face: the latest frame, only for whom this
        session confirmed."""
        from .consent import FACE_CONSENT_VERSION

        core = self.core
        faces = core.deps.faces
        if not (faces and customer_id):
            return
        await asyncio.sleep(1.5)  # "please look at the camera for two seconds"
        if customer_id != core.fsm.customer_id:  # never whoever a reply names
            log.warning("kiosk %s: face enrolment for %s refused (session serves %s)", core.kiosk_id,
                        customer_id, core.fsm.customer_id)
            return
        frame = core.latest_frame
        if frame is None:
            await core.out.send_json(M.Bot("没有拍到您的人脸，请正对摄像头后再说“登记人脸”。").to_dict())
            return
        await asyncio.to_thread(faces.record_consent, customer_id, "kiosk-dialogue", FACE_CONSENT_VERSION)
        result = await asyncio.to_thread(faces.enrol_image, customer_id, frame)
        text = "人脸登记成功，下次来营业厅就可以刷脸办理了。" if result.ok else \
            "这次没有拍清楚您的人脸，请摘下帽子或眼镜，正对摄像头后再试一次。"
        await core.out.send_json(M.Bot(text, [], P.FaceEnrolmentResult(result.ok).to_dict()).to_dict())
        core.say([text])

    # -- the dialogue's state on the screen ---------------------------------------------------------
    async def sync_with_tracker(self, prompted: bool = False, tracker: dict | None = None) -> None:
        """Read who is identified and what the form asks from Rasa's tracker (as the turn's own answer
        carried it; fetched only when it did not): the screen shows the name, a keypad or the ID-card
        prompt from the dialogue's own state, not from reply texts."""
        core = self.core
        if tracker is None:
            try:
                tracker = await core.deps.rasa.tracker(core.conversation_id, include_events="NONE")
            except Exception:  # noqa: BLE001 - Rasa down or a bad answer: the screen extras are best effort
                return
        slots = tracker.get("slots") or {}
        if slots.get("identified") and slots.get("customer_id") and self._sealed(slots):
            name = slots.get("customer_name")
            if (slots["customer_id"], name) != (core.fsm.customer_id, core.customer_name):
                core.customer_name = name
                await core.move("verified", "identity confirmed in dialogue", "verified",
                                customer_id=slots["customer_id"])
                core.fsm.customer_id = slots["customer_id"]
                await core.out.send_json(M.Customer(slots["customer_id"], name).to_dict())
        loop = (tracker.get("active_loop") or {}).get("name")
        requested = slots.get("requested_slot")
        if loop == "identity_form":
            await core.move("verification_started", "identity form", "verifying")
        if prompted:  # the reply itself asked for the ID card
            return
        self.keypad_slot = requested if loop and requested in M.KEYPAD_SLOTS else None
        if loop and requested in M.KEYPAD_SLOTS:
            label, digits = M.KEYPAD_SLOTS[requested]
            await core.out.send_json(M.Prompt("keypad", label, requested, digits).to_dict())
        else:
            if not loop:
                await core.move("verification_failed", "identity form ended", "verification ended")
            await core.out.send_json(M.Prompt("none").to_dict())

    def _sealed(self, slots: dict) -> bool:
        """Show a customer only if the actions sealed that identity (slots can be written through
        Rasa's API; the seal cannot be made without the key)."""
        core = self.core
        if not core.deps.sensor_key:
            return False
        try:
            check_seal(core.deps.sensor_key, core.conversation_id, str(slots["customer_id"]),
                       str(slots.get("identity_method")), slots.get("identity_seal"))
        except ProofError as error:
            log.warning("kiosk %s: identity in the tracker without a valid seal: %s", core.kiosk_id, error)
            return False
        return True
