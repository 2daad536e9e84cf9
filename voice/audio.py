"""Audio utilities: PCM16 <-> float, fixed-size framing, resampling, G.711, decoding files and
browser uploads, and checks that turn bad audio into clear errors.

Internally the pipeline works on mono float32 in [-1, 1] at 16 kHz (what Whisper and Silero
expect); transports convert at the edge (PCM16 over WebSocket, G.711 8 kHz from the phone).
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SUPPORTED_RATES = (8000, 16000, 22050, 24000, 44100, 48000)
PIPELINE_RATE = 16000


class AudioError(ValueError):
    """Audio that cannot be used; the message says why and what is expected."""


class EmptyAudioError(AudioError):
    pass


class CorruptAudioError(AudioError):
    pass


class UnsupportedRateError(AudioError):
    pass


class ClippedAudioError(AudioError):
    pass


# --- PCM16 ------------------------------------------------------------------------------------

def pcm16_to_float(data: bytes | bytearray | memoryview) -> np.ndarray:
    if len(data) % 2:
        raise CorruptAudioError(f"PCM16 data has an odd number of bytes ({len(data)}): frames must be whole 16-bit samples")
    return np.frombuffer(bytes(data), dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(audio: np.ndarray) -> bytes:
    """The inverse of pcm16_to_float (same 32768 scale), so a round trip returns the same samples:
    with 32767 every hop over the wire shrank the audio, and Whisper's last token could flip."""
    scaled = np.asarray(audio, dtype=np.float32) * 32768.0
    return np.clip(scaled.round(), -32768, 32767).astype("<i2").tobytes()


def to_mono(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    return audio.mean(axis=1) if audio.ndim == 2 else audio


class Framer:
    """Cuts a stream of arbitrary-size chunks into fixed frames (e.g. 512 samples for Silero),
    keeping the remainder for the next call."""

    def __init__(self, frame_samples: int) -> None:
        if frame_samples <= 0:
            raise ValueError("frame_samples must be positive")
        self.frame_samples = frame_samples
        self._buf = np.zeros(0, dtype=np.float32)

    def push(self, audio: np.ndarray) -> list[np.ndarray]:
        self._buf = np.concatenate([self._buf, np.asarray(audio, dtype=np.float32)])
        n = len(self._buf) // self.frame_samples
        frames = [self._buf[i * self.frame_samples:(i + 1) * self.frame_samples] for i in range(n)]
        self._buf = self._buf[n * self.frame_samples:]
        return frames

    def flush(self) -> np.ndarray | None:
        """The last partial frame, zero-padded (None when nothing is pending)."""
        if not len(self._buf):
            return None
        frame = np.zeros(self.frame_samples, dtype=np.float32)
        frame[: len(self._buf)] = self._buf
        self._buf = np.zeros(0, dtype=np.float32)
        return frame


# --- resampling -------------------------------------------------------------------------------

def check_rate(rate: int) -> int:
    if int(rate) not in SUPPORTED_RATES:
        raise UnsupportedRateError(f"sample rate {rate} Hz is not supported; use one of {SUPPORTED_RATES}")
    return int(rate)


def resample(audio: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Whole-buffer resampling (soxr, high quality)."""
    check_rate(src_rate)
    check_rate(dst_rate)
    audio = np.asarray(audio, dtype=np.float32)
    if src_rate == dst_rate or not len(audio):
        return audio
    import soxr

    return soxr.resample(audio, src_rate, dst_rate, quality="HQ").astype(np.float32)


class StreamResampler:
    """Chunk-by-chunk resampling without clicks at chunk borders (phone 8 kHz, browser 48 kHz)."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        import soxr

        self.src_rate, self.dst_rate = check_rate(src_rate), check_rate(dst_rate)
        self._stream = None if src_rate == dst_rate else soxr.ResampleStream(src_rate, dst_rate, 1, dtype="float32")

    def push(self, audio: np.ndarray, last: bool = False) -> np.ndarray:
        audio = np.asarray(audio, dtype=np.float32)
        if self._stream is None:
            return audio
        return self._stream.resample_chunk(audio, last=last)


# --- G.711 (ITU-T) ----------------------------------------------------------------------------

def _ulaw_decode_table() -> np.ndarray:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)


def _alaw_decode_table() -> np.ndarray:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    seg = (a & 0x70) >> 4
    t = (a & 0x0F) << 4
    t = np.where(seg == 0, t + 8, np.where(seg == 1, t + 0x108, (t + 0x108) << (seg - 1)))
    return np.where(a & 0x80, t, -t).astype(np.int16)


_ULAW_DEC = _ulaw_decode_table()
_ALAW_DEC = _alaw_decode_table()
def _ulaw_encode(pcm: np.ndarray) -> np.ndarray:
    # CCITT g711.c linear2ulaw on the 14-bit magnitude (same output as CPython's audioop).
    val = pcm.astype(np.int32) >> 2
    mask = np.where(val < 0, 0x7F, 0xFF)
    val = np.minimum(np.abs(val), 8159) + 0x21
    seg = np.searchsorted(np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]), val)
    uval = (np.minimum(seg, 7) << 4) | ((val >> (np.minimum(seg, 7) + 1)) & 0x0F)
    uval = np.where(seg >= 8, 0x7F, uval)
    return ((uval ^ mask) & 0xFF).astype(np.uint8)


def _alaw_encode(pcm: np.ndarray) -> np.ndarray:
    # Sun/CCITT g711.c linear2alaw (13-bit magnitude).
    val = pcm.astype(np.int32) >> 3
    mask = np.where(val >= 0, 0xD5, 0x55)
    val = np.where(val >= 0, val, -val - 1)
    seg = np.searchsorted(np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]), val)
    shift = np.where(seg < 2, 1, seg)
    aval = (np.minimum(seg, 7) << 4) | ((val >> shift) & 0x0F)
    aval = np.where(seg >= 8, 0x7F, aval)
    return ((aval ^ mask) & 0xFF).astype(np.uint8)


def ulaw_decode(data: bytes) -> bytes:
    """G.711 mu-law bytes -> PCM16 little-endian bytes."""
    return _ULAW_DEC[np.frombuffer(data, dtype=np.uint8)].astype("<i2").tobytes()


def alaw_decode(data: bytes) -> bytes:
    return _ALAW_DEC[np.frombuffer(data, dtype=np.uint8)].astype("<i2").tobytes()


def ulaw_encode(pcm16: bytes) -> bytes:
    """PCM16 little-endian bytes -> G.711 mu-law bytes."""
    return _ulaw_encode(np.frombuffer(pcm16, dtype="<i2")).tobytes()


def alaw_encode(pcm16: bytes) -> bytes:
    return _alaw_encode(np.frombuffer(pcm16, dtype="<i2")).tobytes()


# --- decoding files / uploads -----------------------------------------------------------------

@dataclass
class Audio:
    samples: np.ndarray  # mono float32 [-1, 1]
    rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0


def _decode_soundfile(data: bytes) -> Audio | None:
    import soundfile as sf

    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=False)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return None
    return Audio(to_mono(samples), int(rate))


def _decode_av(data: bytes) -> Audio | None:
    """Browser formats (WebM/Ogg Opus, MP4/AAC, MP3) through FFmpeg (PyAV)."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=PIPELINE_RATE)
            chunks = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except (av.error.FFmpegError, ValueError, IndexError):
        return None
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return Audio(samples, PIPELINE_RATE)


def decode(data: bytes, *, name: str = "audio") -> Audio:
    """Decode WAV/FLAC/OGG (libsndfile) or WebM/MP4/MP3 (FFmpeg) bytes. Raises AudioError."""
    if not data:
        raise EmptyAudioError(f"{name}: no data (0 bytes)")
    audio = _decode_soundfile(data) or _decode_av(data)
    if audio is None:
        raise CorruptAudioError(
            f"{name}: not a readable audio file (supported: WAV, FLAC, OGG, WebM/Opus, MP4/AAC, MP3)"
        )
    return audio


def load(path: str | Path) -> Audio:
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such audio file")
    return decode(path.read_bytes(), name=str(path))


def validate(audio: Audio, *, name: str = "audio", min_seconds: float = 0.1,
             max_clipped_fraction: float = 0.02) -> Audio:
    """Reject audio the recogniser cannot use, with a message a person can act on."""
    check_rate(audio.rate)
    if not len(audio.samples):
        raise EmptyAudioError(f"{name}: contains no samples")
    if audio.duration < min_seconds:
        raise EmptyAudioError(f"{name}: only {audio.duration * 1000:.0f} ms of audio (need >= {min_seconds * 1000:.0f} ms)")
    if not np.all(np.isfinite(audio.samples)):
        raise CorruptAudioError(f"{name}: contains NaN/inf samples")
    peak = float(np.max(np.abs(audio.samples)))
    if peak < 1e-4:
        raise EmptyAudioError(f"{name}: is digital silence (peak {peak:.1e})")
    clipped = float(np.mean(np.abs(audio.samples) >= 0.999))
    if clipped > max_clipped_fraction:
        raise ClippedAudioError(
            f"{name}: {clipped:.1%} of samples are clipped at full scale (limit {max_clipped_fraction:.0%}); lower the input gain"
        )
    return audio


def to_pipeline(audio: Audio) -> np.ndarray:
    """Mono float32 at 16 kHz."""
    return resample(audio.samples, audio.rate, PIPELINE_RATE)


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> None:
    import soundfile as sf

    sf.write(str(path), np.asarray(samples, dtype=np.float32), rate, subtype="PCM_16")


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.asarray(samples, dtype=np.float32), rate, subtype="PCM_16", format="WAV")
    return buf.getvalue()
