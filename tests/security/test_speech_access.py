"""The speech service hears what customers say: only callers with its token may use it."""
from __future__ import annotations

import numpy as np
from aiohttp.test_utils import TestClient, TestServer

from voice.server import make_speech_app

TOKEN = "speech-token-for-this-test-0123456789"


class Silent:
    """Stands in for both models: nothing here is about speech quality."""
    sample_rate, name, languages = 16000, "silent", ("zh",)

    def engine_for(self, text):
        return self

    def synthesize(self, text):
        return np.zeros(160, dtype=np.float32)

    def transcribe(self, audio, language=None):
        raise AssertionError("an unauthorised caller reached the model")


async def test_speech_service_refuses_callers_without_its_token():
    client = TestClient(TestServer(make_speech_app(Silent(), Silent(), warm=False, token=TOKEN)))
    await client.start_server()
    try:
        assert (await client.get("/health")).status == 200
        for headers in ({}, {"Authorization": "Bearer guess"}):
            assert (await client.post("/asr", data=b"\0" * 3200, headers=headers)).status == 401
            assert (await client.post("/tts", json={"text": "你好"}, headers=headers)).status == 401
        ok = await client.post("/tts", json={"text": "你好"}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status == 200
    finally:
        await client.close()
