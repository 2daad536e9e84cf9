"""The kiosk session's presence: who stands in front of the kiosk. Camera frames (one worker,
newest first) become arrivals, recognised or unknown faces and staff calls; a recognised face
is greeted through the dialogue as a signed sensor event; the ID card on the reader is checked
against the live face (bot.kiosk.id_card) and its result goes to the dialogue the same way."""
from __future__ import annotations

import logging

from hallbot import payloads as P

from . import messages as M
from .core import SessionCore
from .dialogue import Dialogue
from .id_card import verify_with_id_card
from .limits import FrameWorker

log = logging.getLogger(__name__)

PRESENCE_EVENTS = {"FaceRecognized", "UnknownFace", "QualityRejected", "EmotionSample", "MultipleFaces",
                   "LivenessChallenge", "LivenessRefused"}
# What the screen shows and the robot says when the face must prove it is live (vision/liveness).
CHALLENGE_TEXT = {"blink": "请眨眨眼", "turn_left": "请向左转头"}


class Presence:
    def __init__(self, core: SessionCore, dialogue: Dialogue) -> None:
        self.core, self.dialogue = core, dialogue
        self.latest_frame: bytes | None = None
        self.frames = FrameWorker(self._analyse, core.deps.frame_gate, core.kiosk_id)

    def frame(self, jpeg: bytes) -> None:
        """A camera frame: analysed by this kiosk's one frame worker, newest first (older ones dropped)."""
        self.latest_frame = jpeg
        if self.core.deps.faces is not None:
            self.frames.offer(jpeg)

    async def _analyse(self, jpeg: bytes) -> None:
        core = self.core
        faces = core.deps.faces
        if faces is None:   # frames are offered only with a face service
            return
        now = core.deps.clock()
        for event in await faces.process_frame_async(core.key, jpeg):
            await self.on_vision_event(event, now)

    async def on_vision_event(self, event, now: float) -> None:
        core, kind = self.core, event.type
        if kind in PRESENCE_EVENTS:
            core.fsm.face_seen(now)
            if core.fsm.fire("person_seen", now=now, cause=f"camera: {kind}"):
                core.face_at = now
                await core.after("person_seen")
        if kind == "FaceRecognized":
            cause = f"face {event.face_id} score {event.score:.2f}" + (" (recently served)" if event.recently_served else "")
            if core.fsm.fire("face_recognized", now=now, cause=cause, customer_id=event.customer_id):
                await self._greet_known(event.customer_id, event.recently_served)
        elif kind == "UnknownFace":
            if core.fsm.fire("face_unknown", now=now, cause=f"no gallery match (best {event.best_score:.2f})"):
                await self.greet_unknown("EXTERNAL_face_unknown")
        elif kind == "LivenessChallenge":
            text = CHALLENGE_TEXT.get(event.challenge, "请眨眨眼")
            await core.out.send_json(M.Notice("info", text, "liveness").to_dict())
            core.say([text])
        elif kind == "LivenessRefused":  # a picture or a replay: verify like an unknown face (ID card, account)
            log.warning("kiosk %s: face not live (%s)", core.kiosk_id, event.reason)
            if core.fsm.fire("face_unknown", now=now, cause=f"face not live ({event.reason})"):
                await self.greet_unknown("EXTERNAL_face_unknown")
        elif kind == "StaffIntervention":
            await core.assist(event.reason, event.customer_id or None)

    async def _greet_known(self, customer_id: str, recently_served: bool) -> None:
        core = self.core
        kiosk_id, conversation_id = core.kiosk_id, core.conversation_id
        if recently_served:
            core.face_at = None  # no greeting to time
        # recently served (seed 001): identify quietly, no spoken greeting, no new staff notice
        replies = await self.dialogue.external("EXTERNAL_face_recognized", {"customer_id": customer_id},
                                               speak=not recently_served)
        if not recently_served:  # after the greeting (never delaying it), with the services it offered
            offered = next((p.items for p in map(self.dialogue.payload_of, (r.custom for r in replies))
                            if isinstance(p, P.Recommendations) and p.customer_id == customer_id), None)
            core.spawn(core.tell_board("customer_arrived", lambda board: board.customer_arrived(
                kiosk_id, conversation_id, customer_id, recommendations=offered)))
        await core.move("greeted", "greeting done", "greeted")

    async def greet_unknown(self, intent: str) -> None:
        await self.dialogue.external(intent, {})
        await self.core.move("greeted", "greeting done", "greeted")

    async def _ask_live(self, text: str) -> None:
        """The ID-card check's liveness request: on screen (the page samples the camera fast while a
        liveness notice shows) and spoken."""
        await self.core.out.send_json(M.Notice("info", text, "liveness").to_dict())
        self.core.say([text])

    async def id_card_placed(self, consent: bool) -> None:
        """The customer put the card on the reader: read it, compare with the live face. Consent
        counts only when this conversation showed the panel that asks it (the box is per visit)."""
        core = self.core
        consent = consent and self.dialogue.consent_asked_in == core.conversation_id
        try:
            intent, entities, notes = await verify_with_id_card(core.deps, core.key, self._ask_live, consent)
        except Exception:  # fail closed: an error in any step is a failed check, never a pass
            log.exception("kiosk %s: ID-card check failed", core.kiosk_id)
            intent, entities, notes = "EXTERNAL_id_card_failed", {"reason": "check_error"}, ["id_card_check_error"]
        for reason in notes:
            await core.assist(reason, core.fsm.customer_id)
        await self.dialogue.external(intent, entities)
