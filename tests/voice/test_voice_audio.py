import io
import warnings

import numpy as np
import pytest

from voice import audio as A

from .conftest import DATA


def sine(freq: float, rate: int, seconds: float = 0.5, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_freq(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spec)])


def test_pcm16_round_trip_and_odd_length():
    x = sine(440, 16000)
    y = A.pcm16_to_float(A.float_to_pcm16(x))
    assert np.max(np.abs(x - y)) < 1e-4
    with pytest.raises(A.CorruptAudioError, match="odd number of bytes"):
        A.pcm16_to_float(b"\x00\x01\x02")


def test_framer_keeps_remainder():
    f = A.Framer(512)
    frames = f.push(np.ones(700, np.float32)) + f.push(np.ones(400, np.float32))
    assert [len(fr) for fr in frames] == [512, 512]
    last = f.flush()
    assert len(last) == 512 and last[:76].sum() == 76 and last[76:].sum() == 0
    assert f.flush() is None


@pytest.mark.parametrize("src,dst", [(8000, 16000), (16000, 8000), (48000, 16000), (24000, 16000), (16000, 48000)])
def test_resample_keeps_pitch_and_length(src, dst):
    y = A.resample(sine(440, src), src, dst)
    assert abs(len(y) - dst * 0.5) <= 2
    assert abs(dominant_freq(y, dst) - 440) < 5


def test_stream_resampler_matches_whole_buffer_length():
    x = sine(300, 8000, 1.0)
    r = A.StreamResampler(8000, 16000)
    out = np.concatenate([r.push(x[i:i + 160]) for i in range(0, len(x), 160)] + [r.push(np.zeros(0, np.float32), last=True)])
    assert abs(len(out) - 16000) <= 2
    assert abs(dominant_freq(out, 16000) - 300) < 5


def test_unsupported_rate_is_a_clear_error():
    with pytest.raises(A.UnsupportedRateError, match="11025 Hz is not supported"):
        A.resample(np.zeros(10, np.float32), 11025, 16000)


def test_g711_matches_reference_codec_for_every_sample():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")  # CPython's G.711, gone in 3.13
    pcm = np.arange(-32768, 32768, dtype="<i2").tobytes()
    assert A.ulaw_encode(pcm) == audioop.lin2ulaw(pcm, 2)
    assert A.alaw_encode(pcm) == audioop.lin2alaw(pcm, 2)
    codes = bytes(range(256))
    assert A.ulaw_decode(codes) == audioop.ulaw2lin(codes, 2)
    assert A.alaw_decode(codes) == audioop.alaw2lin(codes, 2)


def test_g711_round_trip_is_close():
    x = A.float_to_pcm16(sine(1000, 8000, amp=0.3))
    for enc, dec in ((A.ulaw_encode, A.ulaw_decode), (A.alaw_encode, A.alaw_decode)):
        y = A.pcm16_to_float(dec(enc(x)))
        err = np.sqrt(np.mean((y - A.pcm16_to_float(x)) ** 2))
        assert err < 0.01


def test_decode_wav_flac_and_browser_webm():
    import av
    import soundfile as sf

    x = sine(440, 16000, 1.0)
    buf = io.BytesIO()
    sf.write(buf, x, 16000, format="FLAC")
    flac = A.decode(buf.getvalue())
    assert flac.rate == 16000 and abs(flac.duration - 1.0) < 0.01
    wav = A.decode(A.wav_bytes(x, 48000))
    assert wav.rate == 48000
    # WebM/Opus as MediaRecorder sends it
    out = io.BytesIO()
    with av.open(out, "w", format="webm") as c:
        s = c.add_stream("libopus", rate=48000)
        s.layout = "mono"
        x48 = A.resample(x, 16000, 48000)
        for i in range(0, len(x48), 960):
            frame = av.AudioFrame.from_ndarray(x48[i:i + 960][None, :], format="flt", layout="mono")
            frame.rate = 48000
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    webm = A.decode(out.getvalue())
    assert webm.rate == 16000 and 0.9 < webm.duration < 1.1
    assert abs(dominant_freq(webm.samples[1000:15000], 16000) - 440) < 10


def test_bad_audio_gets_clear_errors(tmp_path):
    with pytest.raises(A.EmptyAudioError, match="0 bytes"):
        A.decode(b"")
    with pytest.raises(A.CorruptAudioError, match="not a readable audio file"):
        A.decode(b"RIFF\x00\x00garbage" * 10)
    with pytest.raises(A.AudioError, match="no such audio file"):
        A.load(tmp_path / "missing.wav")
    with pytest.raises(A.EmptyAudioError, match="digital silence"):
        A.validate(A.Audio(np.zeros(16000, np.float32), 16000))
    with pytest.raises(A.EmptyAudioError, match="only 20 ms"):
        A.validate(A.Audio(sine(440, 16000, 0.02), 16000))
    with pytest.raises(A.ClippedAudioError, match="clipped"):
        A.validate(A.Audio(np.clip(sine(440, 16000) * 10, -1, 1), 16000))
    with pytest.raises(A.UnsupportedRateError):
        A.validate(A.Audio(sine(440, 11025), 11025))
    truncated = (DATA / "domain_01.wav").read_bytes()[:30]
    with pytest.raises(A.CorruptAudioError):
        A.decode(truncated)
    # good audio passes unchanged
    ok = A.load(DATA / "domain_01.wav")
    assert A.validate(ok) is ok
