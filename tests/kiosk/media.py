"""Camera frames and speech clips for kiosk tests, made from real photos and real synthesis."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import numpy as np


def in_frame(portrait: np.ndarray, width: int = 640, height: int = 480, dx: int = 0) -> np.ndarray:
    """A camera frame: the portrait centred (shifted by dx) on a plain wall."""
    frame = np.full((height, width, 3), (188, 192, 196), np.uint8)
    h, w = portrait.shape[:2]
    y, x = (height - h) // 2, (width - w) // 2 + dx
    frame[y:y + h, x:x + w] = portrait
    return frame


def empty_frame(width: int = 640, height: int = 480) -> np.ndarray:
    return np.full((height, width, 3), (188, 192, 196), np.uint8)


def astronaut_portrait() -> np.ndarray:
    from vision.sample_faces import identities

    return identities()["astronaut"]


def live_frames(n: int = 12, seed: int = 0, fps: float = 4.0) -> list[np.ndarray]:
    """The enrolled face (astronaut = 李娜) as a live head: the portrait rendered as a textured 3D
    mesh turning a few degrees and blinking, with camera noise (vision/liveness/synthetic.py).
    A still photo (in_frame) is refused by the liveness check; this passes it."""
    from vision.liveness.synthetic import live_sequence

    return live_sequence(astronaut_portrait(), n=n, seed=seed, fps=fps)


def live_head(portrait: np.ndarray, n: int = 24, seed: int = 0, fps: float = 8.0) -> list[np.ndarray]:
    """Any portrait as a live head (see live_frames), by default 3 s at the page's judging rate."""
    from vision.liveness.synthetic import live_sequence

    return live_sequence(portrait, n=n, seed=seed, fps=fps)


@contextlib.asynccontextmanager
async def showing(session, frames: Sequence[np.ndarray], every_s: float = 0.125) -> AsyncIterator[None]:
    """The camera keeps sending `frames` (looped) to the session while the block runs, as the page
    does during the ID-card check's liveness request."""
    from vision.image_io import encode_jpeg

    jpegs = [encode_jpeg(f) for f in frames]

    async def play() -> None:
        i = 0
        while True:
            session.frame(jpegs[i % len(jpegs)])
            i += 1
            await asyncio.sleep(every_s)
    task = asyncio.create_task(play())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def write_face_video(path: Path) -> Path:
    """The fake camera: the enrolled face as a live head (live_frames, 4 s), looped by Chromium at
    8 fps (the page samples every 125 ms while a face is judged, every 250 ms before)."""
    from tests.browser_support import write_y4m

    return write_y4m(path, live_frames(32, fps=8), fps=8)


def write_spoken(path: Path, speech_url: str, text: str, lead_s: float, tail_s: float,
                 token: str) -> tuple[Path, float]:
    """The fake microphone: `lead_s` of silence, then `text` synthesised by the speech service
    (token: its var/speech.token), then `tail_s` of silence. Returns the file and the length of
    the speech alone (s)."""
    from tests.browser_support import write_wav
    from voice.remote import RemoteTTS

    engine = RemoteTTS(speech_url, token=token).engine_for(text)
    voice = engine.synthesize(text)
    rate = engine.sample_rate
    samples = np.concatenate([np.zeros(int(lead_s * rate), np.float32), voice])
    return write_wav(path, samples, rate, pad_silence_s=tail_s), len(voice) / rate
