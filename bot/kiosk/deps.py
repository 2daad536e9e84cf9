"""Build what the kiosks share from the settings: Rasa client, face service, voice pipeline
(local models, or the speech service when HALLBOT_SPEECH_URL is set), ID-card reader, staff board.
Each piece can be switched off (HALLBOT_KIOSK_VISION=0, HALLBOT_KIOSK_VOICE=0) for a text-only kiosk."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.rasa_client import RasaClient
from hallbot.settings import KioskSettings, Settings
from identity import keys
from identity.idcard.factory import id_card_reader
from vision.emotion_risk import EmotionThresholds

from .core import KioskDeps
from .fsm import Timeouts

if TYPE_CHECKING:  # imported where built: a text-only kiosk loads no vision or voice code
    from bot.privacy import FaceErasure
    from bot.staff.kiosk_board import StaffBoard
    from bot.visits import VisitLog
    from business.adapter import Customer
    from identity.idcard.base import IdCardReader
    from vision.service import FaceService
    from voice.pipeline import VoicePipeline

log = logging.getLogger(__name__)


def timeouts(kiosk: KioskSettings) -> Timeouts:
    return Timeouts(decide_s=kiosk.decide_s, absent_s=kiosk.absent_s, silence_s=kiosk.silence_s,
                    farewell_s=kiosk.farewell_s)


SpeechProbe = Callable[[], Awaitable[bool]]


def voice_pipeline(settings: Settings) -> tuple[VoicePipeline, SpeechProbe | None]:
    """The pipeline, and how to poll the speech service while it is down: only a service can be
    polled (local models are in this process and fail per turn), so local engines give None.
    No NLU step of its own: each kiosk's voice session answers through that kiosk's dialogue."""
    from voice.pipeline import VoicePipeline

    probe: SpeechProbe | None = None
    if settings.remote_speech:
        from voice.remote import remote_engines

        transcriber, tts = remote_engines(settings.speech_url, keys.secret(keys.SPEECH_TOKEN, settings.var_dir))
        pipeline = VoicePipeline(None, transcriber, tts)

        async def speech_service_up() -> bool:
            return await asyncio.to_thread(transcriber.healthy)

        probe = speech_service_up
    else:
        from voice.asr import get_transcriber
        from voice.tts import get_engine

        pipeline = VoicePipeline(None, get_transcriber(), get_engine())
    try:
        pipeline.warm()
    except Exception as exc:  # noqa: BLE001 - a speech service still starting: the kiosk shows it per turn
        log.warning("voice warm-up failed: %s", exc)
    return pipeline, probe


def actions_probe(settings: Settings) -> Callable[[], Awaitable[bool]]:
    """Is the action server up? Asked only when Rasa answered a turn with silence, which is what
    Rasa does when it cannot reach the actions (it logs the error and says nothing)."""
    import httpx

    url = f"http://{settings.host}:{settings.actions_port}/health"

    async def actions_up() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2.0) as client:
                return (await client.get(url)).status_code == 200
        except httpx.HTTPError:
            return False

    return actions_up


def warm_faces(faces: FaceService) -> None:
    """One detection + embedding + search on a sample portrait before the first customer (the
    first call of each native model is slow). identify_image keeps no state."""
    try:
        from vision.sample_faces import identities
        from vision.service import FaceObservation

        portrait = identities()["astronaut"]
        faces.identify_image(portrait)
        if faces.emotion is not None:
            obs = faces.observe(portrait)
            if isinstance(obs, FaceObservation):
                faces.emotion.classify(obs.rgb, obs.face)
    except Exception as exc:  # noqa: BLE001 - sample photos missing: the first customer waits a little longer
        log.warning("face warm-up skipped: %s", exc)


def build(settings: Settings, rasa: RasaClient, board: StaffBoard | None = None, media: bool = True,
          visits: VisitLog | None = None) -> KioskDeps:
    faces: FaceService | None = None
    voice: VoicePipeline | None = None
    reader: IdCardReader | None = None
    probe: SpeechProbe | None = None
    if media and settings.kiosk.vision:
        from vision.service import FaceService

        faces = FaceService()
        warm_faces(faces)
        reader = id_card_reader(settings.kiosk.id_card, settings.var_dir)
    if media and settings.kiosk.voice:
        voice, probe = voice_pipeline(settings)
    from business.factory import get_business

    def find_customer(*, id_number: str) -> Customer | None:
        return get_business().find_customer(id_number=id_number)

    if media:
        try:  # open (and migrate-check) the business DB now, not on the first customer's arrival
            get_business()
        except Exception as exc:  # noqa: BLE001 - down: the board and the ID-card check report it per customer
            log.warning("business system not reachable at start-up: %s", exc)

    return KioskDeps(rasa=rasa, faces=faces, voice=voice, board=board, id_reader=reader,
                     find_customer=find_customer, timeouts=timeouts(settings.kiosk), speech_probe=probe,
                     actions_probe=actions_probe(settings), resume_s=settings.kiosk.resume_s,
                     sensor_key=keys.secret(keys.SENSOR_KEY, settings.var_dir),
                     erase_face=face_eraser(faces, settings),
                     risk=EmotionThresholds.from_settings(settings.risk), visits=visits)


def face_eraser(faces: FaceService | None, settings: Settings) -> Callable[[str], FaceErasure]:
    """The one face erasure (bot.privacy.erase_face) for the kiosks and the staff console of this
    app: through the running face service (its index, recently-served memory and sessions too),
    or the face store alone for an app without vision."""
    from bot import privacy
    from business.factory import get_business
    from vision.config import VisionConfig

    url = faces.config.database_url() if faces is not None else \
        VisionConfig(var_dir=settings.var_dir, db_url=settings.vision.face_db).database_url()
    return privacy.eraser(faces, url, get_business)
