"""Messages the vision pipeline emits. Plain dataclasses so the app server can turn them
into FSM triggers / Rasa external events without knowing the engine behind them."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class VisionEvent:
    session_id: str
    ts: float

    @property
    def type(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True)
class InvalidImage(VisionEvent):
    """The frame could not be decoded (corrupt JPEG, wrong shape...)."""
    reason: str = ""


@dataclass(frozen=True)
class NoFace(VisionEvent):
    pass


@dataclass(frozen=True)
class MultipleFaces(VisionEvent):
    """Several faces in view; the largest (nearest) one, `chosen_bbox`, is the one served."""
    count: int = 0
    chosen_bbox: tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass(frozen=True)
class QualityRejected(VisionEvent):
    """The face is not usable for recognition yet; `reason` is one of
    too_small / not_frontal / blurry / too_dark / too_bright."""
    reason: str = ""
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FaceRecognized(VisionEvent):
    customer_id: str = ""
    face_id: str = ""
    score: float = 0.0
    margin: float = 0.0
    track_id: int = 0
    # True when this customer was served within the configured window: no new greeting,
    # no new staff notice (seed 001). The FSM still knows who is there.
    recently_served: bool = False


@dataclass(frozen=True)
class UnknownFace(VisionEvent):
    """A good face that matches nobody confidently (score below threshold or margin too small)."""
    best_score: float = 0.0
    margin: float = 0.0
    track_id: int = 0


@dataclass(frozen=True)
class EnrolmentResult(VisionEvent):
    ok: bool = False
    customer_id: str = ""
    face_id: str = ""
    score: float = 0.0
    attempt: int = 0
    # "" on success; else no_consent / id_invalid / id_photo_no_face / live_no_face /
    # live_quality / mismatch / card_error
    reason: str = ""
    retry: bool = False  # ask for a second live capture


@dataclass(frozen=True)
class StaffIntervention(VisionEvent):
    reason: str = ""
    customer_id: str = ""


@dataclass(frozen=True)
class IdCardError(VisionEvent):
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class EmotionSample(VisionEvent):
    label: str = ""
    confidence: float = 0.0
    probabilities: dict[str, float] = field(default_factory=dict)
