"""The speech models' session fixtures of tests/voice, shared with the phone's real-call tests
(pytest finds fixtures by name in this module)."""
from tests.voice.conftest import kokoro_engine, transcriber

__all__ = ["kokoro_engine", "transcriber"]
