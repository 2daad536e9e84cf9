"""Withdrawing face consent (issue 12, "Fail closed everywhere"): bot.privacy.erase_face, the one
deletion the kiosk, the staff console and `hallbot privacy delete` share, reaches the templates and
consents in SQL, the running face service's ANN index, its recently-served memory and sessions, and
the business record's face id; a new enrolment after it asks consent again. A real FaceService and
gallery (a stand-in engine: these tests need no face models) and the real SQL business system."""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass

import numpy as np
import pytest

from bot import privacy
from business import db, seed
from business.adapter import ServiceUnavailable
from business.demo import DEMO_CUSTOMERS
from business.sql_adapter import SqlBusiness
from vision.config import VisionConfig
from vision.gallery import ConsentRequired
from vision.service import FaceService

ZW, LN, _ = DEMO_CUSTOMERS
DIM = 128


@dataclass
class StandInEngine:
    """Only what the gallery needs (name, dim): the tests store and search embeddings directly."""
    name: str = "stand-in"
    dim: int = DIM


def unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIM)
    return (v / np.linalg.norm(v)).astype(np.float32)


def face_service(var_dir) -> FaceService:
    return FaceService(VisionConfig(var_dir=var_dir), engine=StandInEngine(), emotion=False)  # type: ignore[arg-type]


def enrol(faces: FaceService, customer_id: str, face_id: str, seed: int) -> np.ndarray:
    vec = unit(seed)
    faces.record_consent(customer_id, "kiosk-id-card", "face-template-2026-12-v1")
    faces.gallery.add(customer_id, face_id, vec)
    faces.mark_served(customer_id)
    return vec


def identified(faces: FaceService, vec: np.ndarray) -> str | None:
    return faces.gallery.identify(vec, 0.9, 0.05).customer_id


@pytest.fixture(scope="module")
def business_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("erasure-business") / "business.sqlite"
    biz = SqlBusiness(f"sqlite:///{path}")
    db.upgrade(biz.engine)
    seed.seed(biz.engine, 20)
    biz.engine.dispose()
    return path


@pytest.fixture
def business(business_template, tmp_path):
    path = tmp_path / "business.sqlite"
    shutil.copy(business_template, path)
    biz = SqlBusiness(f"sqlite:///{path}")
    yield biz
    biz.engine.dispose()


@pytest.fixture
def faces(tmp_path):
    svc = face_service(tmp_path)
    yield svc
    svc.close()


def test_erase_reaches_every_store_and_only_that_customer(faces, business):
    lina, zhang = enrol(faces, LN.customer_id, LN.face_id, 1), enrol(faces, ZW.customer_id, ZW.face_id, 2)
    assert identified(faces, lina) == LN.customer_id

    erased = privacy.erase_face(LN.customer_id, faces, business)

    assert erased == privacy.FaceErasure(templates=1, consents=1, index=1, recent=1, sessions=0, business_face_id=1)
    assert erased.complete
    assert identified(faces, lina) is None                                  # ANN index
    assert faces.store.template_ids(LN.customer_id) == []                  # SQL templates
    assert not faces.store.has_consent(LN.customer_id)                     # SQL consents
    assert not faces.recent.is_recent(LN.customer_id, time.time())         # recently served
    assert business.find_customer(customer_id=LN.customer_id).face_id is None   # business record
    # nobody else's
    assert identified(faces, zhang) == ZW.customer_id and faces.recent.is_recent(ZW.customer_id, time.time())
    assert business.find_customer(customer_id=ZW.customer_id).face_id == ZW.face_id
    # twice: nothing left to remove, not an error
    assert privacy.erase_face(LN.customer_id, faces, business) == privacy.FaceErasure()


def test_after_withdrawal_a_new_enrolment_asks_consent_again(faces, business):
    enrol(faces, LN.customer_id, LN.face_id, 1)
    privacy.erase_face(LN.customer_id, faces, business)
    with pytest.raises(ConsentRequired):
        faces.gallery.add(LN.customer_id, LN.face_id, unit(1))
    assert faces.enrol_image(LN.customer_id, b"not even an image").reason == "no_consent"
    faces.record_consent(LN.customer_id, "kiosk-dialogue", "face-template-2026-12-v1")   # asked and given anew
    faces.gallery.add(LN.customer_id, LN.face_id, unit(1))
    assert identified(faces, unit(1)) == LN.customer_id
    assert faces.store.describe_customer(LN.customer_id)["consents"][0]["channel"] == "kiosk-dialogue"


def test_business_system_down_leaves_the_local_erasure_done_and_says_so(faces):
    class Down:
        def clear_face_id(self, customer_id: str) -> bool:
            raise ServiceUnavailable()

    vec = enrol(faces, LN.customer_id, LN.face_id, 1)
    erased = privacy.erase_face(LN.customer_id, faces, Down())
    assert (erased.templates, erased.index, erased.business_error) == (1, 1, "unavailable")
    assert not erased.complete and identified(faces, vec) is None


def test_a_deletion_by_another_process_reaches_the_running_service(faces, business, tmp_path, monkeypatch):
    """`hallbot privacy delete` runs in its own process: the app's face service drops the index
    entries and the recently-served memory at its next gallery refresh."""
    import vision.service

    vec = enrol(faces, LN.customer_id, LN.face_id, 1)
    elsewhere = privacy.StoredFaces(VisionConfig(var_dir=tmp_path).database_url())
    try:
        erased = privacy.erase_face(LN.customer_id, elsewhere, business)
    finally:
        elsewhere.close()
    assert (erased.templates, erased.consents, erased.business_face_id) == (1, 1, 1)
    monkeypatch.setattr(vision.service, "REFRESH_S", 0.0)
    faces._maybe_refresh()
    assert identified(faces, vec) is None and not faces.recent.is_recent(LN.customer_id, time.time())


def test_hallbot_privacy_delete_uses_the_same_erasure(faces, business, tmp_path):
    enrol(faces, LN.customer_id, LN.face_id, 1)
    counts = privacy.delete(LN.customer_id, var_dir=tmp_path, tracker_db=None,
                            face_db_url=VisionConfig(var_dir=tmp_path).database_url(), business=business)
    assert (counts["face_templates"], counts["face_consents"], counts["business_face_id"]) == (1, 1, 1)
    assert business.find_customer(customer_id=LN.customer_id).face_id is None


def test_erase_needs_a_customer(faces, business):
    with pytest.raises(ValueError):
        privacy.erase_face("", faces, business)
