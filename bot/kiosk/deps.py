"""Build what the kiosks share from the settings: Rasa client, face service, voice pipeline
(local models, or the speech service when HALLBOT_SPEECH_URL is set), ID-card reader, staff board.
Each piece can be switched off (HALLBOT_KIOSK_VISION=0, HALLBOT_KIOSK_VOICE=0; docs/configuration.md) for a text-only kiosk."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiohttp import web

from bot.rasa_client import RasaClient
from hallbot.settings import KioskSettings, Settings
from identity import keys

from .fsm import Timeouts
from .session import KioskDeps

log = logging.getLogger(__name__)


def timeouts(kiosk: KioskSettings) -> Timeouts:
    return Timeouts(decide_s=kiosk.decide_s, absent_s=kiosk.absent_s, silence_s=kiosk.silence_s,
                    farewell_s=kiosk.farewell_s)


def id_card_reader(settings: Settings):
    """HALLBOT_IDCARD=serial:/dev/ttyUSB0[@115200] for a SAM reader; else the file simulator
    in <var>/idcard-sim (a card.json there = a card on the reader)."""
    spec = settings.kiosk.id_card
    if spec.startswith("serial:"):
        from vision.idcard.serial_reader import SamSerialReader, open_serial

        port, _, baud = spec[len("serial:"):].partition("@")
        return SamSerialReader(open_serial(port, int(baud or 115200)))
    from vision.idcard.simulator import DirectorySimulator

    return DirectorySimulator(Path(spec) if spec else settings.var_dir / "idcard-sim")


def voice_pipeline(respond, settings: Settings):
    from voice.pipeline import VoicePipeline

    transcriber = tts = None
    if settings.remote_speech:
        from voice.remote import remote_engines

        transcriber, tts = remote_engines(settings.speech_url, keys.secret(keys.SPEECH_TOKEN, settings.var_dir))
    pipeline = VoicePipeline(respond, transcriber=transcriber, tts=tts)
    try:
        pipeline.warm()
    except Exception as exc:  # noqa: BLE001 - a speech service still starting: the kiosk shows it per turn
        log.warning("voice warm-up failed: %s", exc)
    return pipeline


def warm_faces(faces) -> None:
    """One detection + embedding + search on a sample portrait before the first customer (the
    first call of each native model is slow). identify_image keeps no state."""
    try:
        from vision.sample_faces import identities

        portrait = identities()["astronaut"]
        faces.identify_image(portrait)
        if faces.emotion is not None:
            obs = faces.observe(portrait)
            if hasattr(obs, "face"):
                faces.emotion.classify(obs.rgb, obs.face)
    except Exception as exc:  # noqa: BLE001 - sample photos missing: the first customer waits a little longer
        log.warning("face warm-up skipped: %s", exc)


def build(app: web.Application, settings: Settings, rasa: RasaClient, board=None, media: bool = True) -> KioskDeps:
    from .routes import speech_responder

    faces = voice = reader = None
    if media and settings.kiosk.vision:
        from vision.service import FaceService

        faces = FaceService()
        warm_faces(faces)
        reader = id_card_reader(settings)
    if media and settings.kiosk.voice:
        voice = voice_pipeline(speech_responder(app), settings)
    from business.factory import get_business

    def find_customer(**kwargs):
        return get_business().find_customer(**kwargs)

    if media:
        try:  # open (and migrate-check) the business DB now, not on the first customer's arrival
            get_business()
        except Exception as exc:  # noqa: BLE001 - down: the board and the ID-card check report it per customer
            log.warning("business system not reachable at start-up: %s", exc)

    async def speech_service_up() -> bool:
        return await asyncio.to_thread(voice.transcriber.healthy)

    # only the speech service can be polled while it is down; local models fail per turn
    probe = speech_service_up if voice and hasattr(voice.transcriber, "healthy") else None
    return KioskDeps(rasa=rasa, faces=faces, voice=voice, board=board, id_reader=reader,
                     find_customer=find_customer, timeouts=timeouts(settings.kiosk), speech_probe=probe,
                     sensor_key=keys.secret(keys.SENSOR_KEY, settings.var_dir))
