"""FaceService: the one object the app server talks to.

    svc = FaceService()                                  # dlib backend, SQLite gallery under var/
    events = svc.process_frame(session_id, jpeg_bytes_or_rgb, ts)
    svc.record_consent(customer_id)                      # before any template is stored
    events = svc.enrol_with_id_card(session_id, card, live_frame, customer_id, face_id)
    svc.delete_customer(customer_id)                     # removes every trace

Every bad input comes back as an event (InvalidImage, NoFace, QualityRejected, IdCardError...),
never as an exception."""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from identity.idcard.base import IdCardData, IdCardReader, IdCardReadError, PhotoDecoder
from identity.idcard.photo import ImageBytesDecoder

from .config import VisionConfig
from .crypto import TemplateCipher, load_or_create_key
from .emotion import EmotionClassifier, EmotionTimeline, EmotionUnavailable
from .engines import DetectedFace, FaceEngine, create_engine
from .events import (
    EmotionSample,
    EnrolmentResult,
    FaceRecognized,
    IdCardError,
    InvalidImage,
    LivenessChallenge,
    LivenessRefused,
    MultipleFaces,
    NoFace,
    QualityRejected,
    StaffIntervention,
    UnknownFace,
    VisionEvent,
)
from .gallery import ConsentRequired, Decision, Gallery
from .image_io import BadImage, to_rgb
from .liveness import LivenessEngine, LivenessJudge, LivenessResult, create_liveness
from .quality import QualityLimits, QualityReport, assess, enhance
from .recent import RecentlyServed
from .store import FaceStore
from .tracker import FaceTracker, iou

log = logging.getLogger(__name__)
GOOD_ENOUGH = 0.8      # a frame this good is used at once, without waiting for more
MAX_UNKNOWN_TRIES = 3  # re-try an unknown track this many times (the person may turn)
MAX_CARD_ERRORS = 3    # ID-card read failures in a session before staff is called
MAX_SIDE = 1280        # larger frames are scaled down before detection
REFRESH_S = 5.0        # how often the gallery checks SQL for other processes' changes
SESSION_IDLE_S = 3600  # session state unused this long is dropped


@dataclass
class LiveCheck:
    """A liveness judgement started on demand (the ID-card 1:1 check): frames from now on only, so
    the face compared with the card proves live at that moment, not minutes earlier on a track a
    held-up photo may have joined since. `frame` is the frame that decided it (the one to compare)."""
    judge: LivenessJudge
    result: LivenessResult | None = None
    frame: np.ndarray | None = None


@dataclass
class _Session:
    last_seen: float = field(default_factory=time.monotonic)
    check: LiveCheck | None = None
    tracker: FaceTracker = field(default_factory=FaceTracker)
    emotions: EmotionTimeline = field(default_factory=EmotionTimeline)
    enrol_failures: int = 0
    card_errors: int = 0
    customers: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class FaceObservation:
    """The face chosen in a frame, its quality and the (possibly enhanced) image it is in."""
    rgb: np.ndarray
    face: DetectedFace
    quality: QualityReport
    count: int


class FaceService:
    def __init__(self, config: VisionConfig | None = None, engine: FaceEngine | None = None,
                 emotion: EmotionClassifier | None | bool = True, photo_decoder: PhotoDecoder | None = None,
                 liveness: LivenessEngine | None = None) -> None:
        self.config = cfg = config or VisionConfig.from_env()
        if engine is None:
            kwargs: dict[str, Any] = {"upsample": cfg.detect_upsample} if cfg.backend == "dlib" else \
                {"pack_dir": cfg.insightface_pack}
            engine = create_engine(cfg.backend, **kwargs)
        self.engine = engine
        self.liveness = liveness or create_liveness(cfg.liveness)
        self.store = FaceStore(cfg.database_url())
        self.gallery = Gallery(self.store, TemplateCipher(load_or_create_key(cfg.var_dir, cfg.key)),
                               engine.name, engine.dim)
        self.limits = QualityLimits(cfg.min_face_px, cfg.max_yaw, cfg.max_roll_deg, cfg.min_sharpness,
                                    cfg.min_brightness, cfg.max_brightness)
        self.recent = RecentlyServed(cfg.recent_window_s)
        self.photo_decoder = photo_decoder or ImageBytesDecoder()
        self.emotion: EmotionClassifier | None = None
        if emotion is True and cfg.emotion:
            try:
                self.emotion = EmotionClassifier()
            except EmotionUnavailable as exc:
                log.warning("emotion sampling off: %s", exc)
        elif isinstance(emotion, EmotionClassifier):
            self.emotion = emotion
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()
        self._last_refresh = time.monotonic()

    # -- sessions -------------------------------------------------------------------------
    def _session(self, session_id: str) -> _Session:
        now = time.monotonic()
        with self._lock:
            if len(self._sessions) > 64:  # forget sessions the app never ended
                for sid in [k for k, v in self._sessions.items() if now - v.last_seen > SESSION_IDLE_S]:
                    del self._sessions[sid]
            state = self._sessions.setdefault(session_id, _Session())
            state.last_seen = now
            return state

    def _maybe_refresh(self) -> None:
        """See enrolments/deletions made by another process (CLI, staff console) within seconds."""
        now = time.monotonic()
        if now - self._last_refresh >= REFRESH_S:
            self._last_refresh = now
            before = self.gallery.customers()
            if self.gallery.refresh():
                # deleted elsewhere (`hallbot privacy delete`): the recently-served memory follows
                for customer_id in before - self.gallery.customers():
                    self.recent.forget(customer_id)

    def start_liveness_check(self, session_id: str) -> None:
        """Judge liveness afresh from the next frame on (see LiveCheck); read with liveness_check."""
        self._session(session_id).check = LiveCheck(self.liveness.track())

    def liveness_check(self, session_id: str) -> LiveCheck | None:
        return self._session(session_id).check

    def end_liveness_check(self, session_id: str) -> None:
        self._session(session_id).check = None

    def end_session(self, session_id: str) -> dict[str, object] | None:
        """Drop the session's state; returns its emotion summary."""
        with self._lock:
            state = self._sessions.pop(session_id, None)
        return state.emotions.summary() if state else None

    def emotion_timeline(self, session_id: str) -> EmotionTimeline:
        return self._session(session_id).emotions

    def mark_served(self, customer_id: str, ts: float | None = None) -> None:
        self.recent.mark(customer_id, time.time() if ts is None else ts)

    # -- recognition ----------------------------------------------------------------------
    def observe(self, frame: Any) -> FaceObservation | InvalidImage | NoFace:
        """Decode, detect, choose the largest face, gate it (enhancing fixable frames)."""
        try:
            rgb = to_rgb(frame)
        except BadImage as exc:
            return InvalidImage("", 0.0, reason=str(exc))
        if max(rgb.shape[:2]) > MAX_SIDE:  # bound detection time on oversized frames
            scale = MAX_SIDE / max(rgb.shape[:2])
            rgb = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)),
                             interpolation=cv2.INTER_AREA)
        faces = self.engine.detect(rgb)
        if not faces:
            return NoFace("", 0.0)
        face = max(faces, key=lambda f: f.area)  # nearest = largest
        report = assess(rgb, face, self.limits)
        if not report.ok:
            fixed = enhance(rgb, report.reason)
            if fixed is not None:
                again = [f for f in self.engine.detect(fixed) if iou(f.bbox, face.bbox) > 0.3]
                if again:
                    f2 = max(again, key=lambda f: f.area)
                    r2 = assess(fixed, f2, self.limits)
                    if r2.ok:
                        rgb, face, report = fixed, f2, r2
        return FaceObservation(rgb, face, report, len(faces))

    def process_frame(self, session_id: str, frame: Any, ts: float | None = None) -> list[VisionEvent]:
        ts = time.time() if ts is None else float(ts)
        try:
            return self._process_frame(session_id, frame, ts)
        except Exception as exc:  # a bug or a native-library error must not stop the robot
            log.exception("vision: frame processing failed")
            return [InvalidImage(session_id, ts, reason=f"processing_error: {type(exc).__name__}: {exc}")]

    async def process_frame_async(self, session_id: str, frame: Any, ts: float | None = None) -> list[VisionEvent]:
        """For the aiohttp server: the CPU work runs in a worker thread, the loop stays free."""
        return await asyncio.to_thread(self.process_frame, session_id, frame, ts)

    def _process_frame(self, session_id: str, frame: Any, ts: float) -> list[VisionEvent]:
        self._maybe_refresh()
        obs = self.observe(frame)
        if isinstance(obs, InvalidImage):
            return [InvalidImage(session_id, ts, reason=obs.reason)]
        if isinstance(obs, NoFace):
            return [NoFace(session_id, ts)]
        state = self._session(session_id)
        check = state.check
        if check is not None and check.result is None:
            judged = check.judge.add(obs.rgb, obs.face, ts)
            if judged.state != "unsure":
                check.result, check.frame = judged, obs.rgb
        events: list[VisionEvent] = []
        if obs.count > 1:
            events.append(MultipleFaces(session_id, ts, count=obs.count, chosen_bbox=obs.face.int_bbox()))
        if self.emotion is not None:
            emo = self.emotion.classify(obs.rgb, obs.face)
            state.emotions.add(ts, emo)
            events.append(EmotionSample(session_id, ts, label=emo.label, confidence=emo.confidence,
                                        probabilities=emo.probabilities))
        track = state.tracker.update(obs.face.bbox, ts)
        if track.decided:
            return events
        live = self._liveness(track, obs, ts)
        if live.state == "spoof":
            track.decided = True
            log.warning("vision: face track %s refused as not live (%s, %s)", track.track_id, live.reason, live.cues)
            events.append(LivenessRefused(session_id, ts, reason=live.reason, track_id=track.track_id))
            return events
        if live.challenge is not None and not track.extra.get("challenged"):
            track.extra["challenged"] = True
            events.append(LivenessChallenge(session_id, ts, challenge=live.challenge, track_id=track.track_id))
        held = track.extra.get("held")
        if held is not None:  # a match waiting for liveness
            if live.state == "live" and obs.quality.ok:
                events.append(self._confirm_live(session_id, ts, track, held, obs, state))
            return events
        if not obs.quality.ok:
            events.append(QualityRejected(session_id, ts, reason=obs.quality.reason, metrics=obs.quality.metrics))
            return events
        state.tracker.offer(track, obs.quality.score, (obs.rgb, obs.face))
        if track.good_frames < self.config.frames_per_track and track.best_score < GOOD_ENOUGH:
            return events  # wait for a better frame of this track
        best_rgb, best_face = track.best
        decision = self.gallery.identify(self.engine.embed(best_rgb, best_face),
                                         self.config.match_threshold, self.config.match_margin)
        if decision.customer_id is not None and live.state != "live":
            track.extra["held"] = decision  # identified only once the face proves live
            return events
        if decision.customer_id is not None and best_rgb is not obs.rgb and self.liveness.name != "off":
            # matched on an earlier frame than the one that proved live: the same customer on this one?
            events.append(self._confirm_live(session_id, ts, track, decision, obs, state))
            return events
        events.append(self._decided(session_id, ts, track, decision, state))
        return events

    def _liveness(self, track, obs: FaceObservation, ts: float) -> LivenessResult:
        judge = track.extra.get("liveness")
        if judge is None:
            judge = track.extra["liveness"] = self.liveness.track()
        result: LivenessResult = judge.add(obs.rgb, obs.face, ts)
        return result

    def _confirm_live(self, session_id: str, ts: float, track, held: Decision, obs: FaceObservation,
                      state: _Session) -> VisionEvent:
        """The held match counts only if the face that proved live is the same customer: the
        current frame is searched again, so swapping a photo for one's own moving head within
        one track identifies nobody as the photo's subject."""
        now = self.gallery.identify(self.engine.embed(obs.rgb, obs.face), self.config.match_threshold,
                                    self.config.match_margin)
        track.extra.pop("held", None)
        if now.customer_id != held.customer_id:
            log.warning("vision: face track %s changed identity while proving live", track.track_id)
            track.decided = True
            return LivenessRefused(session_id, ts, reason="identity_changed", track_id=track.track_id)
        return self._decided(session_id, ts, track, now, state)

    def _decided(self, session_id: str, ts: float, track, decision: Decision, state: _Session) -> VisionEvent:
        if decision.customer_id is None:
            tries = track.extra.get("tries", 0) + 1
            track.extra["tries"] = tries
            track.good_frames, track.best_score, track.best = 0, -1.0, None
            track.decided = tries >= MAX_UNKNOWN_TRIES
            return UnknownFace(session_id, ts, best_score=round(decision.score, 4), margin=decision.margin,
                               track_id=track.track_id)
        track.decided = True
        recent = self.recent.is_recent(decision.customer_id, ts)
        self.recent.mark(decision.customer_id, ts)
        state.customers.add(decision.customer_id)
        return FaceRecognized(session_id, ts, customer_id=decision.customer_id, face_id=decision.face_id,
                              score=round(decision.score, 4), margin=decision.margin, track_id=track.track_id,
                              recently_served=recent)

    def identify_image(self, image: Any) -> tuple[list[VisionEvent], Decision | None]:
        """One still image (CLI, tests): gate + 1:N search, no tracking."""
        obs = self.observe(image)
        if isinstance(obs, (InvalidImage, NoFace)):
            return [obs], None
        events: list[VisionEvent] = []
        if obs.count > 1:
            events.append(MultipleFaces("", 0.0, count=obs.count, chosen_bbox=obs.face.int_bbox()))
        decision = self.gallery.identify(self.engine.embed(obs.rgb, obs.face), self.config.match_threshold,
                                         self.config.match_margin)
        if not obs.quality.ok:
            events.append(QualityRejected("", 0.0, reason=obs.quality.reason, metrics=obs.quality.metrics))
        return events, decision

    # -- consent, enrolment, deletion -----------------------------------------------------
    def record_consent(self, customer_id: str, channel: str = "kiosk", text_version: str = "v1") -> None:
        self.store.record_consent(customer_id, channel=channel, text_version=text_version)

    def enrol_image(self, customer_id: str, image: Any, face_id: str | None = None,
                    source: str = "live") -> EnrolmentResult:
        """Store one template from an image (staff enrolment / CLI). Needs recorded consent."""
        face_id = face_id or default_face_id(customer_id)
        if not self.store.has_consent(customer_id):
            return EnrolmentResult("", time.time(), ok=False, customer_id=customer_id, reason="no_consent")
        obs = self.observe(image)
        if isinstance(obs, InvalidImage):
            return EnrolmentResult("", time.time(), ok=False, customer_id=customer_id, reason="invalid_image")
        if isinstance(obs, NoFace):
            return EnrolmentResult("", time.time(), ok=False, customer_id=customer_id, reason="live_no_face")
        if obs.quality.reason == "too_small":
            return EnrolmentResult("", time.time(), ok=False, customer_id=customer_id, reason="live_quality")
        self.gallery.add(customer_id, face_id, self.engine.embed(obs.rgb, obs.face), source=source)
        return EnrolmentResult("", time.time(), ok=True, customer_id=customer_id, face_id=face_id, attempt=1)

    def read_id_card(self, session_id: str, reader: IdCardReader,
                     ts: float | None = None) -> tuple[IdCardData | None, list[VisionEvent]]:
        ts = time.time() if ts is None else ts
        state = self._session(session_id)
        try:
            card = reader.read()
        except IdCardReadError as exc:
            state.card_errors += 1
            events: list[VisionEvent] = [IdCardError(session_id, ts, code=exc.code, message=exc.message)]
            if state.card_errors >= MAX_CARD_ERRORS and exc.code != "no_card":
                events.append(StaffIntervention(session_id, ts, reason=f"id_card_{exc.code}"))
            return None, events
        except Exception as exc:  # a driver bug must not take the robot down
            log.exception("ID card reader failed")
            return None, [IdCardError(session_id, ts, code="device", message=str(exc))]
        state.card_errors = 0
        return card, []

    def enrol_with_id_card(self, session_id: str, card: IdCardData, live_frame: Any, customer_id: str,
                           face_id: str | None = None, ts: float | None = None,
                           keep_template: bool = True) -> list[VisionEvent]:
        """ID photo vs live face 1:1. Failure -> retry=True (second capture); after
        `enrol_max_attempts` failures -> StaffIntervention. Success stores the live template;
        keep_template=False (no consent to keep a face) only checks: nothing is stored."""
        ts = time.time() if ts is None else ts
        face_id = (face_id or default_face_id(customer_id)) if keep_template else ""
        state = self._session(session_id)

        def result(ok: bool, reason: str = "", score: float = 0.0, counts: bool = True) -> list[VisionEvent]:
            if not ok and counts:
                state.enrol_failures += 1
            attempt = state.enrol_failures + (1 if ok else 0)
            give_up = not ok and state.enrol_failures >= self.config.enrol_max_attempts
            out: list[VisionEvent] = [EnrolmentResult(session_id, ts, ok=ok, customer_id=customer_id,
                                                      face_id=face_id if ok else "", score=round(score, 4),
                                                      attempt=attempt, reason=reason,
                                                      retry=not ok and counts and not give_up)]
            if give_up or (not ok and not counts and reason != "no_consent"):
                out.append(StaffIntervention(session_id, ts, reason=f"enrolment_{reason}", customer_id=customer_id))
            if ok:
                state.enrol_failures = 0
            return out

        if keep_template and not self.store.has_consent(customer_id):
            return result(False, "no_consent", counts=False)
        if card.problems():
            return result(False, "id_invalid", counts=False)
        try:
            id_rgb = to_rgb(self.photo_decoder.decode(card.photo, card.photo_format))
        except (IdCardReadError, BadImage):
            return result(False, "id_photo_unreadable", counts=False)
        id_faces = self.engine.detect(id_rgb)
        if not id_faces:
            return result(False, "id_photo_no_face", counts=False)
        id_face = max(id_faces, key=lambda f: f.area)
        obs = self.observe(live_frame)
        if isinstance(obs, (InvalidImage, NoFace)):
            return result(False, "live_no_face")
        if obs.quality.reason in ("too_small", "not_frontal"):
            return result(False, "live_quality")
        live = self.engine.embed(obs.rgb, obs.face)
        score = float(np.dot(self.engine.embed(id_rgb, id_face), live))
        if score < self.config.verify_threshold:
            return result(False, "mismatch", score)
        if keep_template:
            try:
                self.gallery.add(customer_id, face_id, live, source="live")
            except ConsentRequired:  # consent withdrawn meanwhile
                return result(False, "no_consent", score, counts=False)
            state.customers.add(customer_id)
        return result(True, "", score)

    def delete_customer(self, customer_id: str) -> dict[str, int]:
        """Every trace: templates and consents in SQL, index entries, recent-served memory and
        the in-memory state of sessions in which the customer was identified or enrolled.
        Counts of what was removed (bot.privacy.erase_face adds the business record's face id)."""
        templates, consents, index = self.gallery.delete_customer(customer_id)
        recent = self.recent.forget(customer_id)
        with self._lock:
            gone = [sid for sid, s in self._sessions.items() if customer_id in s.customers]
            for sid in gone:
                del self._sessions[sid]
        return {"templates": templates, "consents": consents, "index": index, "recent": int(recent),
                "sessions": len(gone)}

    def close(self) -> None:
        self.store.close()


def default_face_id(customer_id: str) -> str:
    return f"face-{customer_id.lower()}"
