"""What the kiosk asks of the face service, as a Protocol: `vision.service.FaceService` is the one
implementation; the kiosk is typed against this (and tests can hand it a fake) without the
kiosk depending on how recognition, the gallery or the ID-card match work inside."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from identity.idcard.base import IdCardData, IdCardReader

from .events import EnrolmentResult, VisionEvent

if TYPE_CHECKING:
    from .emotion import EmotionTimeline
    from .service import LiveCheck


@runtime_checkable
class FaceRecognizer(Protocol):
    async def process_frame_async(self, session_id: str, frame: Any, ts: float | None = None) -> list[VisionEvent]:
        """One camera frame (encoded bytes or an image array) -> what was seen in it."""
        ...

    def emotion_timeline(self, session_id: str) -> EmotionTimeline:
        """The session's emotion samples so far, stamped with this process's clock (time.time)."""
        ...

    def end_session(self, session_id: str) -> dict[str, object] | None:
        """Forget the session's tracking state; returns its emotion summary."""
        ...

    def start_liveness_check(self, session_id: str) -> None:
        """Judge liveness afresh on the session's frames from now on (the ID-card check)."""
        ...

    def liveness_check(self, session_id: str) -> LiveCheck | None:
        """The check's result once decided (result None while unsure) and the frame that decided it."""
        ...

    def end_liveness_check(self, session_id: str) -> None: ...

    def record_consent(self, customer_id: str, channel: str = "kiosk", text_version: str = "v1") -> None: ...

    def enrol_image(self, customer_id: str, image: Any, face_id: str | None = None,
                    source: str = "live") -> EnrolmentResult:
        """Keep one template of a consenting customer's face."""
        ...

    def read_id_card(self, session_id: str, reader: IdCardReader,
                     ts: float | None = None) -> tuple[IdCardData | None, list[VisionEvent]]: ...

    def enrol_with_id_card(self, session_id: str, card: IdCardData, live_frame: Any, customer_id: str,
                           face_id: str | None = None, ts: float | None = None,
                           keep_template: bool = True) -> list[VisionEvent]:
        """The card photo against the live face, 1:1."""
        ...

    def delete_customer(self, customer_id: str) -> dict[str, int]:
        """Forget the customer's face everywhere this service keeps it (SQL, index, memory): counts."""
        ...
