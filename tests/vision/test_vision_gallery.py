"""Gallery: encrypted templates in SQL, faiss index, add/remove without rebuild, restart,
consent before storage, threshold + margin decisions."""
from __future__ import annotations

import os
import sqlite3
import stat

import numpy as np
import pytest

from vision.ann_index import AnnIndex
from vision.crypto import TemplateCipher, TemplateCipherError, load_or_create_key
from vision.gallery import ConsentRequired, Gallery
from vision.store import FaceStore

DIM = 128


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def make_gallery(tmp_path, key=None, url=None, ivf_min=50_000):
    store = FaceStore(url or f"sqlite:///{tmp_path / 'face.db'}")
    cipher = TemplateCipher(load_or_create_key(tmp_path, key))
    return Gallery(store, cipher, "test-engine", DIM, ivf_min=ivf_min)


def people(n, seed=0):
    return unit(np.random.default_rng(seed).normal(size=(n, DIM)))


def test_key_file_is_created_private_and_reused(tmp_path):
    key = load_or_create_key(tmp_path)
    path = tmp_path / "face.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_key(tmp_path) == key


def test_templates_are_encrypted_at_rest(tmp_path):
    g = make_gallery(tmp_path)
    g.store.record_consent("C1")
    vec = people(1)[0]
    g.add("C1", "face-c1", vec)
    raw = sqlite3.connect(tmp_path / "face.db").execute("select template from vision_face_templates").fetchone()[0]
    assert vec.astype("<f4").tobytes() not in raw
    assert vec.astype("<f4").tobytes()[:16] not in raw
    # another key cannot read it
    other = TemplateCipher(load_or_create_key(tmp_path / "other"))
    with pytest.raises(TemplateCipherError):
        other.decrypt(raw, DIM)
    assert np.allclose(g.cipher.decrypt(raw, DIM), vec)


def test_bad_key_is_a_clear_error(tmp_path):
    with pytest.raises(TemplateCipherError):
        TemplateCipher(b"not-a-key")


def test_consent_is_required_before_storing(tmp_path):
    g = make_gallery(tmp_path)
    with pytest.raises(ConsentRequired):
        g.add("C9", "face-c9", people(1)[0])
    assert len(g) == 0 and g.store.template_ids("C9") == []


def test_identify_threshold_and_margin(tmp_path):
    g = make_gallery(tmp_path)
    vecs = people(3)
    for i, v in enumerate(vecs):
        g.store.record_consent(f"C{i}")
        g.add(f"C{i}", f"face-{i}", v)
    d = g.identify(vecs[1], threshold=0.9, margin=0.05)
    assert d.customer_id == "C1" and d.face_id == "face-1" and d.score == pytest.approx(1.0, abs=1e-5)
    assert d.margin > 0.5
    # a probe between two people: high enough score, but no margin -> unknown
    mid = unit(vecs[0] + vecs[2])
    d = g.identify(mid, threshold=0.5, margin=0.05)
    assert d.customer_id is None and d.reason == "low_margin"
    d = g.identify(people(1, seed=99)[0], threshold=0.9, margin=0.05)
    assert d.customer_id is None and d.reason == "below_threshold"


def test_add_remove_without_rebuild_and_survive_restart(tmp_path):
    g = make_gallery(tmp_path)
    vecs = people(20)
    for i, v in enumerate(vecs):
        g.store.record_consent(f"C{i}")
        g.add(f"C{i}", f"face-{i}", v)
    index_before = g.index
    assert g.delete_customer("C5") == (1, 1, 1)
    assert g.index is index_before  # removed in place, no rebuild
    assert g.identify(vecs[5], 0.9, 0.02).customer_id is None
    assert g.identify(vecs[6], 0.9, 0.02).customer_id == "C6"
    g.store.close()
    g2 = make_gallery(tmp_path)  # "restart": same DB, same key file
    assert len(g2) == 19 and "C5" not in g2.customers()
    assert g2.identify(vecs[7], 0.9, 0.02).customer_id == "C7"


def test_refresh_sees_other_process_changes(tmp_path):
    a, b = make_gallery(tmp_path), make_gallery(tmp_path)
    a.store.record_consent("C1")
    a.add("C1", "face-1", people(1)[0])
    assert len(b) == 0 and b.refresh() and len(b) == 1
    assert not b.refresh()


def test_wrong_dimension_is_rejected(tmp_path):
    g = make_gallery(tmp_path)
    g.store.record_consent("C1")
    with pytest.raises(ValueError):
        g.add("C1", "face-1", np.ones(512, np.float32))


def test_index_switches_to_ivf_and_keeps_recall():
    rng = np.random.default_rng(1)
    centres = unit(rng.normal(size=(3000, DIM)))
    idx = AnnIndex(DIM, ivf_min=2000, nprobe=16)
    idx.add(np.arange(1500), centres[:1500])
    assert idx.kind == "flat"
    idx.add(np.arange(1500, 3000), centres[1500:])
    assert idx.kind == "ivf" and len(idx) == 3000
    probes = unit(centres[:200] + rng.normal(scale=0.02, size=(200, DIM)))
    hits = sum(int(idx.search(p, 1)[1][0] == i) for i, p in enumerate(probes))
    assert hits >= 190
    assert idx.remove([0, 1, 2]) == 3 and len(idx) == 2997
    assert idx.search(centres[0], 1)[1][0] != 0
    idx.add(np.array([5000]), centres[:1])  # add after the switch, no retrain
    assert idx.search(centres[0], 1)[1][0] == 5000


@pytest.mark.postgres
def test_gallery_on_postgresql(tmp_path):
    url = os.environ.get("HALLBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        g = make_gallery(tmp_path, url=url)
    except Exception as exc:  # noqa: BLE001 - pragma: no cover - server missing
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    g.delete_customer("PG1")
    g.store.record_consent("PG1")
    vec = people(1, seed=5)[0]
    g.add("PG1", "face-pg1", vec)
    g2 = make_gallery(tmp_path, url=url)
    assert g2.identify(vec, 0.9, 0.02).customer_id == "PG1"
    assert g2.delete_customer("PG1") == (1, 1, 1)


def test_ivf_repartitions_as_the_gallery_grows():
    rng = np.random.default_rng(2)
    data = unit(rng.normal(size=(4000, DIM)))
    idx = AnnIndex(DIM, ivf_min=500, nprobe=8, retrain_factor=4)
    idx.add(np.arange(600), data[:600])
    first = idx._index.nlist
    idx.remove([3])
    idx.add(np.arange(600, 4000), data[600:])  # >= 4x the trained size: re-partition
    assert idx._index.nlist > first and len(idx) == 3999
    assert idx.search(data[3], 1)[1][0] != 3  # the removed one stays removed
    assert idx.search(data[3999], 1)[1][0] == 3999 and idx.search(data[10], 1)[1][0] == 10
