"""The call's conversation (phone/conversation.py) on the real voice pipeline with stand-in speech
engines (a tone per sentence, an ASR that hears nothing): the greeting reaches the caller at 8 kHz,
keys become the caller's text or the human menu item and interrupt the robot, and a hang-up in the
middle of a sentence stops the audio and frees every task. The real engines: test_phone_dialogue.py."""
from __future__ import annotations

import asyncio
import time

import numpy as np

from phone.conversation import HUMAN_PAYLOAD, PhoneConversation
from phone.service import phone_pipeline
from voice.asr import ASRResult


class ToneVoice:
    sample_rate = 16000

    def synthesize(self, text: str) -> np.ndarray:
        time.sleep(0.02)
        return (np.sin(np.arange(int(0.08 * len(text) * 16000)) * 0.2) * 0.3).astype(np.float32)


class ToneTTS:
    def engine_for(self, text: str) -> ToneVoice:
        return ToneVoice()

    def warm(self, texts: list[str]) -> None: ...

    def healthy(self) -> bool:
        return True


class DeafASR:
    def transcribe(self, audio, *, language=None) -> ASRResult:
        return ASRResult("", "", "zh", len(audio) / 16000, 0.0)

    def warm(self) -> None: ...

    def healthy(self) -> bool:
        return True


class Out:
    def __init__(self) -> None:
        self.pcm = bytearray()
        self.cancelled = 0

    def play(self, pcm16: bytes) -> None:
        self.pcm += pcm16

    def finish_playback(self) -> None: ...

    def cancel_playback(self) -> None:
        self.cancelled += 1


class Brain:
    def __init__(self) -> None:
        self.heard: list[tuple[str, str]] = []

    async def say(self, conversation_id: str, text: str) -> list[str]:
        self.heard.append(("text", text))
        return ["好的，请稍等。"]

    async def press(self, conversation_id: str, payload: str) -> list[str]:
        self.heard.append(("press", payload))
        return ["正在为您转接人工服务。"]


async def until(condition, timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def test_greeting_keys_and_a_hang_up_in_the_middle_of_a_sentence():
    out, brain = Out(), Brain()
    conversation = PhoneConversation(phone_pipeline(DeafASR(), ToneTTS()), brain, "phone:test", out)
    conversation.start()
    await until(lambda: len(out.pcm) > 0)
    assert conversation.record.first_audio_at
    # 8 kHz PCM16: the greeting's first sentences arrive as telephone audio, not 16 kHz
    await until(lambda: len(out.pcm) >= 2 * 8000)
    conversation.caller_key("0")
    await until(lambda: ("press", HUMAN_PAYLOAD) in brain.heard)
    assert out.cancelled >= 1                                  # the key interrupted the greeting
    for digit in "3301#":
        conversation.caller_key(digit)
    await until(lambda: ("text", "3301") in brain.heard)
    await until(lambda: "好的，请稍等。" in conversation.record.replies)
    conversation.caller_audio(b"\x00" * 320)                  # the caller's audio keeps flowing meanwhile
    await conversation.close()                                 # hang-up while the robot speaks
    played = len(out.pcm)
    await asyncio.sleep(0.3)
    assert len(out.pcm) == played                              # not one more frame after the hang-up
    assert all(task.done() for task in conversation._tasks)
    conversation.caller_audio(b"\x00" * 320)                  # late RTP after the BYE: ignored
    conversation.caller_key("5")
    assert brain.heard == [("press", HUMAN_PAYLOAD), ("text", "3301")]
