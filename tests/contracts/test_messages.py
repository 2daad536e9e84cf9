"""One message convention (hallbot/messages.py) for the four families: screen messages, vision and
voice events, staff notices. Each class reads back what it writes, the wire `type` values stay
what the page, the console and the tests know, and the pages switch on those types."""
from __future__ import annotations

import dataclasses
import re
from typing import ClassVar

import pytest

from bot.kiosk.messages import SCREEN
from bot.staff.notices import NOTICES
from hallbot.messages import Family, Message, MessageError, MissingField, UnexpectedField, UnknownType
from hallbot.payloads import PAYLOADS
from hallbot.settings import ROOT
from tests.contracts.samples import sample
from vision.events import VISION
from voice.events import VOICE, BotAudio

FAMILIES = {"screen": SCREEN, "vision": VISION, "voice": VOICE, "notice": NOTICES, "payload": PAYLOADS}
STATIC = ROOT / "bot" / "static"

# what travels today: a renamed class must not change these
WIRE = {
    "screen": {"state", "customer", "bot", "user_text", "transcript", "listening", "prompt", "notice", "audio",
               "stop_audio", "timings", "resume"},
    "vision": {"InvalidImage", "NoFace", "MultipleFaces", "QualityRejected", "FaceRecognized", "UnknownFace",
               "EnrolmentResult", "StaffIntervention", "IdCardError", "EmotionSample",
               "LivenessChallenge", "LivenessRefused"},
    "voice": {"SpeechStarted", "SpeechStopped", "Transcript", "EchoIgnored", "BotText", "BotAudio",
              "PlaybackCancelled", "Reprompt", "SilenceTimeout", "VoiceError", "StageTimings"},
    "notice": {"arrival", "handoff", "enrolment_assist", "departure", "risk_review"},
}


@pytest.mark.parametrize("family, type_name", [(f, t) for f, fam in FAMILIES.items() for t in sorted(fam.classes)])
def test_round_trip(family, type_name):
    family_ = FAMILIES[family]
    message = sample(family_.classes[type_name])
    data = message.to_dict()
    assert data[family_.type_key] == type_name
    assert type(message).from_dict(data) == message
    assert family_.from_dict(data) == message


@pytest.mark.parametrize("family", sorted(WIRE))
def test_wire_types_unchanged(family):
    assert set(FAMILIES[family].classes) == WIRE[family]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_unknown_type_rejected(family):
    family_ = FAMILIES[family]
    with pytest.raises(UnknownType):
        family_.from_dict({family_.type_key: "NoSuchMessage"})
    with pytest.raises(MessageError):
        family_.from_dict(["not", "an", "object"])  # type: ignore[arg-type]


def test_wrong_class_missing_and_extra_fields_rejected():
    data = sample(VISION.classes["NoFace"]).to_dict()
    with pytest.raises(UnknownType):
        VISION.classes["FaceRecognized"].from_dict(data)
    with pytest.raises(MissingField):
        VISION.from_dict({"type": "NoFace", "session_id": "s"})
    with pytest.raises(UnexpectedField):
        VISION.from_dict({**data, "tss": 1.0})
    assert issubclass(MessageError, ValueError)


def test_derived_keys_are_written_and_skipped():
    handoff = sample(NOTICES.classes["handoff"])
    data = handoff.to_dict()
    assert data["kind"] == "handoff" and data["kind_name"] == "转人工" and "reason_text" in data
    audio = BotAudio("s", b"\x00\x01" * 4, 16000, 1, 0, "你好", True)
    data = audio.to_dict()
    assert data["bytes"] == 8 and "pcm" not in data
    assert BotAudio.from_dict(data, pcm=audio.pcm) == audio


def test_a_class_must_declare_its_type():
    family = Family("test")

    @dataclasses.dataclass(frozen=True)
    class Base(Message):
        type: ClassVar[str] = "base"

    @dataclasses.dataclass(frozen=True)
    class Inherits(Base):
        pass

    family.register(Base)
    with pytest.raises(TypeError):
        family.register(Inherits)

    @dataclasses.dataclass(frozen=True)
    class Twin(Message):
        type: ClassVar[str] = "base"

    with pytest.raises(TypeError):
        family.register(Twin)


def _cases(js: str, start: str, end: str) -> set[str]:
    body = js[js.index(start):js.index(end, js.index(start))]
    return set(re.findall(r'case "(\w+)"', body))


def test_kiosk_js_handles_every_screen_message():
    js = (STATIC / "kiosk.js").read_text(encoding="utf-8")
    assert _cases(js, "function handle(m)", "\n  }\n") == set(SCREEN.classes)


def test_staff_js_handles_every_notice():
    js = (STATIC / "staff.js").read_text(encoding="utf-8")
    cases = _cases(js, "function apply(update)", "\n}\n")
    assert set(NOTICES.classes) <= cases
    assert cases - set(NOTICES.classes) == {"snapshot", "ack", "review", "error"}   # the board's other updates
