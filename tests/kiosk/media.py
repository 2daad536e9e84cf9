"""Camera frames and speech clips for kiosk tests, made from real photos and real synthesis."""
from __future__ import annotations

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


def write_face_video(path: Path) -> Path:
    """The fake camera: the enrolled face (astronaut = 李娜) moving a little, looped by Chromium."""
    from tests.browser_support import write_y4m

    portrait = astronaut_portrait()
    return write_y4m(path, [in_frame(portrait, dx=dx) for dx in (0, 2, 4, 2, 0, -2, -4, -2)], fps=8)


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
