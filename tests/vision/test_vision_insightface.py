"""The insightface backend for real (insightface.model_zoo + onnxruntime) on tiny ONNX
models with SCRFD / ArcFace signatures built here, and the backend comparison harness."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.vision.tiny_onnx import KPS_REL, arcface_weights, build_arcface, build_pack, build_scrfd
from vision.compare import agreement
from vision.engines import EngineUnavailable, create_engine
from vision.engines.insightface_engine import InsightFaceEngine

ARCFACE_EYES = np.array([[38.2946, 51.6963], [73.5318, 51.5014]])


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    return build_pack(tmp_path_factory.mktemp("pack"))


@pytest.fixture(scope="module")
def engine(pack):
    return create_engine("insightface", pack_dir=pack, det_size=(160, 160))


def square_image(size=160, cell=(2, 1)):
    """Black image with one white (red channel) square filling a stride-32 cell of the
    160x160 detector input; `cell` counts in those cells."""
    img = np.zeros((size, size, 3), np.uint8)
    side = 32 * size // 160
    x, y = cell[0] * side, cell[1] * side
    img[y:y + side, x:x + side, 0] = 255
    return img


def test_pack_is_loaded_through_insightface_model_zoo(engine):
    assert type(engine.detector).__name__ == "SCRFD" and engine.detector.use_kps
    assert type(engine.recogniser).__name__ == "ArcFaceONNX"
    assert engine.name == "insightface-w600k_tiny" and engine.dim == 512
    assert (engine.recogniser.input_mean, engine.recogniser.input_std) == (127.5, 127.5)


def test_missing_or_broken_packs_are_clear_errors(tmp_path):
    with pytest.raises(EngineUnavailable, match="pack dir"):
        InsightFaceEngine(None)
    with pytest.raises(EngineUnavailable, match="does not exist"):
        InsightFaceEngine(tmp_path / "nope")
    only_det = tmp_path / "only_det"
    only_det.mkdir()
    build_scrfd(only_det / "det_x.onnx")
    with pytest.raises(EngineUnavailable, match="recogniser"):
        InsightFaceEngine(only_det)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "det_x.onnx").write_bytes(b"not an onnx file")
    build_arcface(broken / "w600k_x.onnx")
    with pytest.raises(EngineUnavailable, match="cannot load"):
        InsightFaceEngine(broken)
    swapped = tmp_path / "swapped"
    swapped.mkdir()
    build_arcface(swapped / "det_x.onnx")
    build_arcface(swapped / "w600k_x.onnx")
    with pytest.raises(EngineUnavailable, match="not an SCRFD"):
        InsightFaceEngine(swapped)


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_scrfd_outputs_are_decoded_to_boxes_and_keypoints(engine, scale):
    img = cv2.resize(square_image(), None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    faces = engine.detect(img)
    assert len(faces) == 1
    f = faces[0]
    assert np.allclose(f.bbox, np.array([64, 32, 96, 64]) * scale, atol=1.0)
    kps = (np.array([64, 32]) + KPS_REL * 32) * scale
    assert np.allclose(f.left_eye, kps[0], atol=1.0) and np.allclose(f.right_eye, kps[1], atol=1.0)
    assert np.allclose(f.nose, kps[2], atol=1.0)
    assert 0.5 < f.score <= 1.0


def test_empty_frame_has_no_detection(engine):
    assert engine.detect(np.zeros((160, 160, 3), np.uint8)) == []


def test_alignment_puts_eyes_on_the_arcface_template(engine):
    img = square_image(320, cell=(2, 1))
    img = cv2.resize(img, None, fx=1, fy=1)
    face = engine.detect(img)[0]
    # mark the eyes with green dots, then align the marked image
    marked = img.copy()
    for p in (face.left_eye, face.right_eye):
        cv2.circle(marked, (int(round(p[0])), int(round(p[1]))), 1, (0, 255, 0), -1)
    crop = engine.aligned(marked, face)  # BGR 112x112
    green = crop[:, :, 1].astype(float)
    for eye in ARCFACE_EYES:
        x, y = int(round(eye[0])), int(round(eye[1]))
        window = green[y - 6:y + 7, x - 6:x + 7]
        assert window.max() > 100, "eye mark not where the template puts it"


def test_embedding_preprocessing_matches_arcface_convention(engine):
    rng = np.random.default_rng(3)
    img = square_image()
    img[:, :, 1:] = rng.integers(0, 256, size=(160, 160, 2), dtype=np.uint8)
    face = engine.detect(img)[0]
    got = engine.embed(img, face)
    crop_bgr = engine.aligned(img, face)
    x = (crop_bgr[:, :, ::-1].astype(np.float32) - 127.5) / 127.5  # RGB, [-1, 1]
    pooled = x.reshape(14, 8, 14, 8, 3).mean(axis=(1, 3)).transpose(2, 0, 1).ravel()
    want = pooled @ arcface_weights()
    want /= np.linalg.norm(want)
    assert got.shape == (512,) and np.allclose(np.linalg.norm(got), 1.0, atol=1e-5)
    assert float(got @ want) > 0.999


def test_backends_compared_on_the_same_images(engine, dlib_engine, portraits):
    images = list(portraits.values())[:4] + [square_image(320, cell=(2, 1))]
    same = agreement(dlib_engine, dlib_engine, images[:4])
    assert same.both == 4 and same.mean_iou == pytest.approx(1.0) and same.mean_eye_error == pytest.approx(0.0)
    cross = agreement(dlib_engine, engine, images)
    # real faces: dlib finds all four; the tiny SCRFD only "sees" the white square
    assert cross.found_a == 4 and cross.found_b == 1 and cross.both == 0
    assert len({dlib_engine.name, engine.name}) == 2 and dlib_engine.dim != engine.dim
