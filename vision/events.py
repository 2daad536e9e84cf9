"""Messages the vision pipeline emits. Plain dataclasses so the app server can turn them
into FSM triggers / Rasa external events without knowing the engine behind them. The
convention (explicit `type`, to_dict/from_dict, the VISION registry) is hallbot.messages."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from hallbot.messages import Family, Message

VISION = Family("vision event")


@dataclass(frozen=True)
class VisionEvent(Message):
    session_id: str
    ts: float


@VISION.register
@dataclass(frozen=True)
class InvalidImage(VisionEvent):
    """The frame could not be decoded (corrupt JPEG, wrong shape...)."""
    type: ClassVar[str] = "InvalidImage"
    reason: str = ""


@VISION.register
@dataclass(frozen=True)
class NoFace(VisionEvent):
    type: ClassVar[str] = "NoFace"


@VISION.register
@dataclass(frozen=True)
class MultipleFaces(VisionEvent):
    """Several faces in view; the largest (nearest) one, `chosen_bbox`, is the one served."""
    type: ClassVar[str] = "MultipleFaces"
    count: int = 0
    chosen_bbox: tuple[int, int, int, int] = (0, 0, 0, 0)


@VISION.register
@dataclass(frozen=True)
class QualityRejected(VisionEvent):
    """The face is not usable for recognition yet; `reason` is one of
    too_small / not_frontal / blurry / too_dark / too_bright."""
    type: ClassVar[str] = "QualityRejected"
    reason: str = ""
    metrics: dict[str, float] = field(default_factory=dict)


@VISION.register
@dataclass(frozen=True)
class FaceRecognized(VisionEvent):
    type: ClassVar[str] = "FaceRecognized"
    customer_id: str = ""
    face_id: str = ""
    score: float = 0.0
    margin: float = 0.0
    track_id: int = 0
    # True when this customer was served within the configured window: no new greeting,
    # no new staff notice (seed 001). The FSM still knows who is there.
    recently_served: bool = False


@VISION.register
@dataclass(frozen=True)
class UnknownFace(VisionEvent):
    """A good face that matches nobody confidently (score below threshold or margin too small)."""
    type: ClassVar[str] = "UnknownFace"
    best_score: float = 0.0
    margin: float = 0.0
    track_id: int = 0


@VISION.register
@dataclass(frozen=True)
class EnrolmentResult(VisionEvent):
    type: ClassVar[str] = "EnrolmentResult"
    ok: bool = False
    customer_id: str = ""
    face_id: str = ""
    score: float = 0.0
    attempt: int = 0
    # "" on success; else no_consent / id_invalid / id_photo_no_face / live_no_face /
    # live_quality / mismatch / card_error
    reason: str = ""
    retry: bool = False  # ask for a second live capture


@VISION.register
@dataclass(frozen=True)
class StaffIntervention(VisionEvent):
    type: ClassVar[str] = "StaffIntervention"
    reason: str = ""
    customer_id: str = ""


@VISION.register
@dataclass(frozen=True)
class IdCardError(VisionEvent):
    type: ClassVar[str] = "IdCardError"
    code: str = ""
    message: str = ""


@VISION.register
@dataclass(frozen=True)
class EmotionSample(VisionEvent):
    type: ClassVar[str] = "EmotionSample"
    label: str = ""
    confidence: float = 0.0
    probabilities: dict[str, float] = field(default_factory=dict)


@VISION.register
@dataclass(frozen=True)
class LivenessChallenge(VisionEvent):
    """The passive liveness cues are unsure: ask the customer to act (`challenge`: blink |
    turn_left); nobody is identified until the face proves live."""
    type: ClassVar[str] = "LivenessChallenge"
    challenge: str = ""
    track_id: int = 0


@VISION.register
@dataclass(frozen=True)
class LivenessRefused(VisionEvent):
    """The face in view is a picture or a replay (`reason`: frozen_frames / picture_frame /
    no_response): it identifies nobody; the customer can still verify by ID card or account."""
    type: ClassVar[str] = "LivenessRefused"
    reason: str = ""
    track_id: int = 0
