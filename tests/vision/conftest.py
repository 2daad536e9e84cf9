from __future__ import annotations

import pytest

from vision.config import VisionConfig
from vision.engines import create_engine


@pytest.fixture(scope="session")
def dlib_engine():
    return create_engine("dlib")


@pytest.fixture(scope="session")
def portraits():
    from vision.sample_faces import identities
    return identities()


@pytest.fixture(scope="session")
def shared_emotion():
    from vision.emotion import EmotionClassifier
    return EmotionClassifier()


@pytest.fixture
def vision_config(tmp_path, monkeypatch):
    monkeypatch.delenv("HALLBOT_FACE_KEY", raising=False)
    monkeypatch.delenv("HALLBOT_FACE_DB", raising=False)
    return VisionConfig(var_dir=tmp_path / "var")


@pytest.fixture
def make_service(vision_config, dlib_engine, shared_emotion):
    from vision.service import FaceService
    made = []

    def factory(config: VisionConfig | None = None, emotion=True, liveness=None):
        svc = FaceService(config or vision_config, engine=dlib_engine,
                          emotion=shared_emotion if emotion else False, liveness=liveness)
        made.append(svc)
        return svc

    yield factory
    for svc in made:
        svc.close()
