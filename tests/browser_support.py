"""Real-browser test support: Debian's chromium driven by Playwright, with a fake camera and microphone.

Chromium reads the fake camera from a YUV4MPEG2 file and the fake microphone from a WAV file
(`--use-file-for-fake-*-capture`); `write_y4m` turns test images into such a file. The WAV gets the
`%noloop` suffix, so the microphone plays the recording once, like a customer who speaks and stops
(the video loops: a camera keeps seeing the same scene). Chromium 156 keeps repeating the file's LAST
10 ms chunk after the end, so a recording must end in silence: `write_wav` pads 0.5 s of it.
Pages should ask for raw audio ({echoCancellation, noiseSuppression, autoGainControl: false}):
with Chrome's default processing a steady test tone is suppressed to a fraction of its level.

Usage (sync API; the async API works the same with `async_playwright`):

    pytest_skip_without_chromium()
    with sync_playwright() as pw:
        browser = launch_chromium(pw, fake_video=y4m, fake_audio=wav)
        page = browser.new_page()
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

CHROMIUM = Path(os.environ.get("HALLBOT_CHROMIUM", "/usr/bin/chromium"))

BASE_ARGS = (
    "--no-sandbox",                            # root in containers; there is no user namespace to sandbox with
    "--disable-gpu",
    "--disable-dev-shm-usage",                 # small /dev/shm in containers
    "--use-fake-ui-for-media-stream",          # grant camera/microphone without the permission prompt
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--mute-audio",                            # TTS playback stays silent on the test machine
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-timer-throttling",   # other test processes load the machine; keep timers honest
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
)


def chromium_missing_reason() -> str | None:
    """Why a browser test cannot run here, or None when it can."""
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} not found: run scripts/setup.sh (it installs Debian's chromium) or "
                "'apt-get install chromium chromium-driver'")
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Python playwright not installed: run scripts/setup.sh (requirements/app-browser.txt)"
    return None


def pytest_skip_without_chromium() -> None:
    """Call at the top of a test or fixture: skips with a clear reason when no browser can run."""
    import pytest

    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)


def chromium_args(*, fake_video: Path | None = None, fake_audio: Path | None = None,
                  extra_args: Iterable[str] = ()) -> list[str]:
    args = list(BASE_ARGS)
    if fake_video is not None:
        fake_video = Path(fake_video).resolve()
        if not fake_video.is_file():
            raise FileNotFoundError(f"fake camera file not found: {fake_video}")
        args.append(f"--use-file-for-fake-video-capture={fake_video}")
    if fake_audio is not None:
        fake_audio = Path(fake_audio).resolve()
        if not fake_audio.is_file():
            raise FileNotFoundError(f"fake microphone file not found: {fake_audio}")
        args.append(f"--use-file-for-fake-audio-capture={fake_audio}%noloop")
    args.extend(extra_args)
    return args


def launch_chromium(playwright: Any, *, fake_video: Path | None = None, fake_audio: Path | None = None,
                    extra_args: Sequence[str] = (), headless: bool = True) -> Any:
    """A headless Debian chromium (Playwright Browser; sync or async, as `playwright` is).
    With the async API, await the result."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=headless,
        args=chromium_args(fake_video=fake_video, fake_audio=fake_audio, extra_args=extra_args))


def write_y4m(path: Path, frames_rgb: Sequence[np.ndarray], fps: int = 10) -> Path:
    """Write RGB frames (H x W x 3 uint8, all the same even size) as a YUV4MPEG2 C420 file:
    the format Chromium's fake camera reads."""
    import cv2

    if not frames_rgb:
        raise ValueError("write_y4m needs at least one frame")
    height, width = frames_rgb[0].shape[:2]
    if height % 2 or width % 2:
        raise ValueError(f"frame size must be even for 4:2:0, got {width}x{height}")
    if fps <= 0:
        raise ValueError("fps must be positive")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{int(fps)}:1 Ip A1:1 C420jpeg\n".encode())
        for i, given in enumerate(frames_rgb):
            frame = np.asarray(given)
            if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
                raise ValueError(f"frame {i}: expected {height}x{width}x3 uint8, got {frame.shape} {frame.dtype}")
            f.write(b"FRAME\n")
            f.write(cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


def write_wav(path: Path, samples: np.ndarray, rate: int = 16000, *, pad_silence_s: float = 0.5) -> Path:
    """Write mono audio (float in [-1, 1] or int16) as 16-bit PCM WAV for the fake microphone, with
    trailing silence so that %noloop ends in silence (see the module docstring)."""
    import wave

    samples = np.asarray(samples)
    if samples.ndim != 1:
        raise ValueError(f"write_wav needs mono samples (1-D), got shape {samples.shape}")
    if samples.dtype != np.int16:
        samples = (np.clip(samples.astype(np.float64), -1.0, 1.0) * 32767).astype(np.int16)
    samples = np.concatenate([samples, np.zeros(int(pad_silence_s * rate), np.int16)])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


def which_chromedriver() -> str | None:
    """chromium-driver, for tools that want WebDriver instead of Playwright."""
    return shutil.which("chromedriver")
