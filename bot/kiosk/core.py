"""What the parts of a kiosk session share: the kiosks' common dependencies (`KioskDeps`), the
screen (`Outbox`) and the session core each part calls back into (`SessionCore`: state machine
moves, speech, the staff board, task ownership). The parts (presence.py, speech.py, dialogue.py)
import this module, never session.py, so no part depends on the class that assembles them."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.rasa_client import RasaClient
from vision.emotion_risk import EmotionThresholds

from .departures import Departures
from .fsm import SessionFSM, Timeouts
from .visit_record import VisitRecorder

if TYPE_CHECKING:  # the kiosk runs text-only without them: typed, not imported
    from bot.privacy import FaceErasure
    from bot.staff.kiosk_board import StaffBoard
    from bot.visits import VisitLog
    from business.adapter import Customer
    from identity.idcard.base import IdCardReader
    from vision.recognizer import FaceRecognizer
    from voice.pipeline import VoicePipeline


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
    actions_probe: Callable[[], Awaitable[bool]] | None = None  # is the action server up? (a silent turn)
    rasa_retry_s: float = 1.0      # how often a pending message is retried while Rasa is down
    rasa_give_up_s: float = 120.0
    frame_gate: asyncio.Semaphore | None = None   # camera frames decoded at once, all kiosks (bot.kiosk.limits)
    sensor_key: str | None = None  # var/sensor.key: signs what the camera and card reader saw;
                                   # None = sensor events identify nobody (actions/trust.py)
    resume_s: float = 60.0         # a dropped page may come back to its conversation this long (0 = never)
    departures: Departures = field(default_factory=Departures)
    erase_face: Callable[[str], FaceErasure] | None = None   # bot.privacy.eraser (blocking); None = no deletion here
    risk: EmotionThresholds = field(default_factory=EmotionThresholds)   # when an emotion pauses an operation
    visits: VisitLog | None = None   # the visit record (bot/visits.py); None = not recorded


class SessionCore(Protocol):
    """The session as its parts see it (bot.kiosk.session.KioskSession implements it)."""
    kiosk_id: str
    key: str                       # voice + vision session key (one connection)
    deps: KioskDeps
    out: Outbox
    fsm: SessionFSM
    conversation_id: str
    customer_name: str | None
    latest_frame: bytes | None     # the camera's newest frame (ID-card check, face enrolment)
    face_at: float | None          # first sight of this customer (face -> greeting timing)
    closed: bool
    visit: VisitRecorder           # the visit's record (bot/kiosk/visit_record.py)

    @property
    def awaiting_dialogue(self) -> bool:
        """A turn is kept for a Rasa that is down: the customer waits for us, so silence is not theirs."""
        ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task: ...
    async def move(self, trigger: str, cause: str, note: str = "", **kwargs: Any) -> bool: ...
    async def after(self, trigger: str) -> None: ...
    async def assist(self, reason: str, customer_id: str | None) -> None: ...
    async def tell_board(self, what: str, call: Callable[[StaffBoard], Awaitable[object]]) -> None: ...
    def say(self, texts: list[str]) -> None: ...
    async def ask_rating(self) -> None: ...
