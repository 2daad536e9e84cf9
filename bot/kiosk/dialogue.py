"""The kiosk session's dialogue: one Rasa turn at a time, in arrival order; what the customer said
while Rasa or the action server was down kept and replayed when they are back; replies to the
screen and to speech; their payloads (hallbot.payloads) dispatched; and the screen's state (who
is identified, which keypad) taken from the dialogue's own state after each turn, never from
reply texts.

Replays are idempotent: every turn has a message id, and a turn whose answer was lost (Rasa
restarting, a timeout) is sent again with the same id, which Rasa's channel handles once
(rasa_addons/turn_ledger.py). A turn that Rasa answered with silence because the action server
was down was handled (its action failed), so it is replayed as a new turn once the actions are back."""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.buttons import KIOSK_MENU, OfferedButtons
from bot.rasa_client import BotMessage, RasaUnavailable, Turn
from hallbot import payloads as P
from identity.proof import ProofError, check_seal, signed_entities

from . import messages as M
from .core import SessionCore
from .evidence import turn_metadata, verdict

log = logging.getLogger(__name__)

RASA_DOWN = "对话服务暂时不可用（可能正在重启），您说的话我记下了，恢复后马上为您办理。"
RASA_BACK = "对话服务已恢复。"
RASA_GONE = "对话服务仍未恢复，已通知工作人员。"
ACTIONS_DOWN = "业务服务暂时不可用（可能正在重启），您说的话我记下了，恢复后马上为您办理。"
ACTIONS_BACK = "业务服务已恢复。"
ACTIONS_GONE = "业务服务仍未恢复，已通知工作人员。"
Send = Callable[[str, bool], Awaitable[Turn]]   # (message id, retry) -> the turn's answer


def turn_id() -> str:
    return uuid.uuid4().hex


@dataclass
class KeptTurn:
    """One turn of the customer's, as often as it must be sent: same id, so Rasa handles it once."""
    label: str        # what the customer did, for the log (never their words: only a kind and length)
    send: Send
    message_id: str = field(default_factory=turn_id)
    retry: bool = False

    def again(self) -> KeptTurn:
        """Its answer was lost: the same turn once more (Rasa may have handled it)."""
        return KeptTurn(self.label, self.send, self.message_id, retry=True)

    def anew(self) -> KeptTurn:
        """Rasa handled it but could not act on it (action server down): a new turn, the same words."""
        return KeptTurn(self.label, self.send)

    @property
    def kind(self) -> str:
        label = self.label
        return label.split("{", 1)[0] if label.startswith("/") else f"a message of {len(label)} characters"
FACE_DELETED = "您的人脸信息已删除，人脸识别授权已撤回。下次办理业务请刷身份证或使用手机验证码。"
FACE_DELETED_BUSINESS_PENDING = "您的人脸信息已从机器人删除。业务系统中的人脸记录暂时无法清除，我已通知工作人员处理。"
FACE_DELETION_REFUSED = "只能删除已确认身份的本人的人脸信息，这次没有删除。请先确认身份，或找工作人员办理。"
FACE_DELETION_FAILED = "人脸信息这次没有删除成功，我已通知工作人员为您处理。"


class Dialogue:
    def __init__(self, core: SessionCore) -> None:
        self.core = core
        self.buttons = OfferedButtons(fixed=KIOSK_MENU)   # what a tap may press (ids, not payloads)
        self.keypad_slot: str | None = None     # the form slot the keypad asks for (how to mask its entry)
        self.consent_asked_in: str | None = None   # conversation whose ID-card panel was shown
        self.pending: list[KeptTurn] = []
        self.down: set[str] = set()         # services a kept turn waits for: rasa, actions
        self.lock = asyncio.Lock()          # one dialogue turn at a time, in arrival order
        self._recovering: asyncio.Task | None = None

    # -- turns ------------------------------------------------------------------------------------
    async def say(self, text: str, speak: bool = True, message_id: str | None = None,
                  retry: bool = False) -> list[BotMessage]:
        """What the customer typed or said: text for the NLU. message_id: the page's own id of the
        turn, so the page can send it again after a reconnect (retry) and it is handled once."""
        core, rasa, conversation_id = self.core, self.core.deps.rasa, self.core.conversation_id
        kept = KeptTurn(text, lambda mid, again: rasa.send_turn(conversation_id, text, mid, again,
                                                                metadata=turn_metadata(core)), retry=retry)
        if message_id:
            kept.message_id = message_id
        return await self.turn(kept, speak)

    async def press(self, title: str, payload: str) -> list[BotMessage]:
        core, rasa, conversation_id = self.core, self.core.deps.rasa, self.core.conversation_id
        return await self.turn(KeptTurn(title, lambda mid, retry: rasa.press_turn(conversation_id, payload, mid, retry,
                                                                                  metadata=turn_metadata(core))),
                               speak=True)

    async def external(self, intent: str, entities: dict, speak: bool = True) -> list[BotMessage]:
        """A sensor result for the dialogue, with the app's proof that it saw it for this conversation."""
        core, conversation_id = self.core, self.core.conversation_id

        def report(message_id: str, retry: bool) -> Awaitable[Turn]:   # signed when sent (a retry signs anew)
            signed = signed_entities(core.deps.sensor_key, conversation_id, intent, entities) \
                if core.deps.sensor_key else dict(entities)
            return core.deps.rasa.trigger_turn(conversation_id, intent, signed)

        return await self.turn(KeptTurn(f"/{intent}", report), speak=speak)

    async def turn(self, kept: KeptTurn, speak: bool) -> list[BotMessage]:
        core = self.core
        async with self.lock:
            try:
                turn = await kept.send(kept.message_id, kept.retry)
            except RasaUnavailable as exc:
                # the customer's words stay out of the log: what kind of turn, and its length
                log.warning("kiosk %s: Rasa unavailable (%s); keeping %s for later", core.kiosk_id, exc, kept.kind)
                await self._keep(kept.again(), "rasa", RASA_DOWN)
                return []
        if not turn.messages and not turn.repeated and not await self._actions_up():
            log.warning("kiosk %s: silent turn, action server down; keeping %s for later", core.kiosk_id, kept.kind)
            await self._keep(kept.anew(), "actions", ACTIONS_DOWN)
            return []
        await self._present(turn, speak)
        return turn.messages

    async def _actions_up(self) -> bool:
        probe = self.core.deps.actions_probe
        return True if probe is None else await probe()

    async def _keep(self, kept: KeptTurn, service: str, banner: str) -> None:
        core = self.core
        self.pending.append(kept)
        if service not in self.down:
            self.down.add(service)
            await core.out.send_json(M.Notice("error", banner, service).to_dict())
        if self._recovering is None or self._recovering.done():
            self._recovering = core.spawn(self._recover())

    async def _service_up(self, service: str) -> bool:
        if service == "actions":
            return await self._actions_up()
        try:
            status = await self.core.deps.rasa.status()
        except RasaUnavailable:
            return False
        return bool(status.get("model_file"))

    async def _recover(self) -> None:
        """Replay what the customer said while Rasa or the action server was down, once each is
        back. The tracker store keeps the conversation, so it continues where it was."""
        core = self.core
        deadline = core.deps.clock() + core.deps.rasa_give_up_s
        while self.pending and core.deps.clock() < deadline:
            await asyncio.sleep(core.deps.rasa_retry_s)
            for service in sorted(self.down):   # actions before rasa: Rasa is asked last, when it is needed
                if await self._service_up(service):
                    self.down.discard(service)
                    await core.out.send_json(M.Notice("info", RASA_BACK if service == "rasa" else ACTIONS_BACK,
                                                      service).to_dict())
            if self.down:
                continue
            pending, self.pending = self.pending, []
            for kept in pending:
                await self.turn(kept, speak=True)
            if not self.pending:
                return
        if self.pending:
            self.pending.clear()
            down, self.down = self.down, set()
            service = "rasa" if "rasa" in down else "actions"
            await core.out.send_json(M.Notice("error", RASA_GONE if service == "rasa" else ACTIONS_GONE,
                                              service).to_dict())
            await core.assist("dialogue_service_down" if service == "rasa" else "business_service_down", None)

    def forget(self) -> None:
        """A new customer: nothing of the last conversation may be pressed, replayed or consented to."""
        self.buttons.forget(self.core.conversation_id)
        self.consent_asked_in = None
        self.pending.clear()
        self.down.clear()

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
            prompted = prompted or isinstance(payload, P.RatingRequest)   # the rating panel stays up
            if payload is not None:
                await self.custom(payload)
        if speak:
            self.core.say([r.text for r in replies if r.text])
        if replies:
            self.core.spawn(self.sync_with_tracker(prompted, turn.tracker))
        await self.core.visit.turn(self.core.conversation_id, turn.tracker)

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
        elif isinstance(payload, P.FaceDeletion):
            core.spawn(self.delete_face(payload.customer_id))
        elif isinstance(payload, P.RatingRequest):
            await core.ask_rating()
        elif isinstance(payload, P.RiskReview):
            # staff see what this session's camera showed, not what the reply says it showed
            seen = verdict(core)
            evidence = seen.to_dict() if seen is not None else {}
            kiosk_id, conversation_id = core.kiosk_id, core.conversation_id
            core.spawn(core.tell_board("risk_review", lambda board: board.risk_review(
                kiosk_id, conversation_id, payload, evidence)))

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

    async def delete_face(self, customer_id: str) -> None:
        """The customer confirmed withdrawing face consent: erase the face of the customer *this
        session* identified (its own face match or a sealed identity), never whoever a reply names;
        then say what happened. Every store at once (bot.privacy.erase_face)."""
        core = self.core
        served, erase = core.fsm.customer_id, core.deps.erase_face
        if erase is None or not served or customer_id != served:
            log.warning("kiosk %s: face deletion for %s refused (session serves %s)", core.kiosk_id,
                        customer_id, served)
            await self._tell(FACE_DELETION_REFUSED, ok=False)
            return
        try:
            erased = await asyncio.to_thread(erase, served)
        except Exception:  # the face store failed: say so, staff finishes it by hand
            log.exception("kiosk %s: face deletion failed", core.kiosk_id)
            await core.assist("face_deletion_failed", served)
            await self._tell(FACE_DELETION_FAILED, ok=False)
            return
        log.info("kiosk %s: face data of %s erased: %s", core.kiosk_id, served, erased.to_dict())
        if not erased.complete:   # gone from the robot; the business record's face id is left for staff
            await core.assist("face_deletion_business_record", served)
            await self._tell(FACE_DELETED_BUSINESS_PENDING, ok=False)
            return
        await self._tell(FACE_DELETED, ok=True)

    async def _tell(self, text: str, ok: bool) -> None:
        await self.core.out.send_json(M.Bot(text, [], P.FaceDeletionResult(ok).to_dict()).to_dict())
        self.core.say([text])

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
        if loop in ("identity_form", "step_up_form"):   # step_up_form: the second factor (actions/step_up.py)
            await core.move("verification_started", loop.replace("_", " "), "verifying")
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
