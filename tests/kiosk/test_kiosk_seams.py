"""The kiosk's seams are Protocols the real implementations satisfy: the staff board, the face
service and the ID-card readers (mypy checks the same in bot/kiosk/deps.py and bot/app.py)."""
from __future__ import annotations

from bot.kiosk.session import SPEECH_DOWN, KioskDeps, KioskSession
from bot.staff.board import HallBoard
from bot.staff.kiosk_board import StaffBoard
from hallbot import payloads
from identity.idcard.base import IdCardReader
from identity.idcard.serial_reader import SamSerialReader
from identity.idcard.simulator import DirectorySimulator
from vision.recognizer import FaceRecognizer
from vision.service import FaceService


def test_hall_board_is_a_staff_board():
    assert isinstance(HallBoard(), StaffBoard)


def test_face_service_is_a_face_recognizer():
    assert isinstance(FaceService.__new__(FaceService), FaceRecognizer)   # the shape, without loading models


def test_id_card_readers_are_readers(tmp_path):
    assert isinstance(DirectorySimulator(tmp_path), IdCardReader)
    assert isinstance(SamSerialReader(transport=None), IdCardReader)


class RecordingBoard:
    """A StaffBoard that remembers what the kiosk told it."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def customer_arrived(self, kiosk_id, session_id, customer_id, recently_served=False):
        self.calls.append(("customer_arrived", kiosk_id, session_id, customer_id))

    async def handoff_requested(self, kiosk_id, session_id, payload):
        self.calls.append(("handoff_requested", kiosk_id, session_id, payload))

    async def enrolment_assist(self, kiosk_id, session_id, reason, customer_id=None):
        self.calls.append(("enrolment_assist", kiosk_id, session_id, reason, customer_id))

    async def customer_left(self, kiosk_id, session_id):
        raise RuntimeError("console down")   # logged, never the customer's problem

    def on_ack(self, callback):
        return lambda: None

    async def risk_review(self, kiosk_id, session_id, payload, evidence):
        self.calls.append(("risk_review", kiosk_id, session_id, payload.review_id, evidence))

    def on_review(self, callback):
        return lambda: None


async def test_speech_notices_follow_the_failed_component_not_the_message(screen):
    from tests.kiosk.test_kiosk_privacy import FakeRasa
    from voice import events as V

    session = KioskSession("k-speech", KioskDeps(rasa=FakeRasa()), screen)
    try:
        await session.speech.on_event(V.VoiceError("k", "RuntimeError: TTS 合成 words in an ASR failure", 1, "asr"))
        await session.speech.on_event(V.VoiceError("k", "RuntimeError: boom", 2, "tts"))
        await session.speech.on_event(V.VoiceError("k", "RuntimeError: respond failed", 3, "nlu"))
        assert [(n["component"], n["text"]) for n in screen.of("notice")] == [
            ("asr", SPEECH_DOWN["asr"]), ("tts", SPEECH_DOWN["tts"])]   # nlu: the ASR advice, already shown
    finally:
        await session.close()


async def test_the_board_is_called_through_its_protocol(screen):
    from tests.kiosk.test_kiosk_privacy import FakeRasa

    board = RecordingBoard()
    assert isinstance(board, StaffBoard)
    session = KioskSession("k-board", KioskDeps(rasa=FakeRasa(), board=board), screen)
    await session.start()
    try:
        await session.dialogue.custom(payloads.StaffIntervention(reason="needs_help"))
        await session.leave("test", speak=False)          # customer_left raises: logged, no error here
        assert board.calls == [("enrolment_assist", "k-board", session.conversation_id, "needs_help", None)]
    finally:
        await session.close()
