"""Files through the pipeline (tests, batch, benchmarks): decode, resample to 16 kHz, feed in
frames, optionally paced in real time so wall-clock stage timings mean what they say."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np

from .. import audio as A
from ..events import VoiceEvent
from ..pipeline import VoicePipeline, VoiceSession


async def feed_samples(session: VoiceSession, samples: np.ndarray, *, realtime: bool = False,
                       chunk_ms: int = 20) -> None:
    step = int(A.PIPELINE_RATE * chunk_ms / 1000)
    start = time.monotonic()
    for i in range(0, len(samples), step):
        await session.feed_audio(samples[i:i + step])
        if realtime:  # sleep until this chunk's real-time deadline
            await asyncio.sleep(max(0.0, start + (i + step) / A.PIPELINE_RATE - time.monotonic()))
        else:
            await asyncio.sleep(0)


async def run_file(pipeline: VoicePipeline, path: str | Path, *, session_id: str = "file",
                   realtime: bool = False, trailing_silence_s: float = 1.0) -> list[VoiceEvent]:
    """All events of one file's session, after its last turn has finished."""
    samples = A.to_pipeline(A.validate(A.load(path), name=str(path)))
    samples = np.concatenate([samples, np.zeros(int(trailing_silence_s * A.PIPELINE_RATE), np.float32)])
    session = pipeline.session(session_id)
    try:
        await feed_samples(session, samples, realtime=realtime)
        await session.flush()
        await session.drain()
    finally:
        await session.close()
    events = []
    while not session.events.empty():
        events.append(session.events.get_nowait())
    return events
