"""dlib backend and quality gate on real photos (shipped by insightface / scikit-image),
with synthetic transformations for the gate; image decoding of bad input."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from vision.config import VisionConfig
from vision.image_io import BadImage, encode_jpeg, to_rgb
from vision.quality import QualityLimits, assess, enhance, pose
from vision.sample_faces import blur, captures, darken, group_photo

LIMITS = QualityLimits()


def largest(engine, rgb):
    faces = engine.detect(rgb)
    assert faces, "no face detected"
    return max(faces, key=lambda f: f.area)


def test_group_photo_has_six_faces(dlib_engine):
    faces = dlib_engine.detect(group_photo())
    assert len(faces) == 6
    for f in faces:
        assert f.left_eye[0] < f.right_eye[0]
        x1, y1, x2, y2 = f.bbox
        assert x1 < f.nose[0] < x2 and y1 < f.nose[1] < y2


def test_same_person_matches_and_others_do_not(dlib_engine, portraits):
    cfg = VisionConfig()
    emb = {}
    for name, rgb in portraits.items():
        emb[name] = dlib_engine.embed(rgb, largest(dlib_engine, rgb))
        assert emb[name].shape == (128,) and np.isclose(np.linalg.norm(emb[name]), 1.0, atol=1e-5)
    for i, (name, rgb) in enumerate(sorted(portraits.items())):
        for other_capture in captures(rgb, seed=100 + i)[2:4]:  # blurred JPEG; mirrored
            probe = dlib_engine.embed(other_capture, largest(dlib_engine, other_capture))
            assert float(probe @ emb[name]) >= cfg.match_threshold, name
            others = [float(probe @ v) for n, v in emb.items() if n != name]
            assert max(others) < cfg.match_threshold, name


def test_good_portrait_passes_the_gate(dlib_engine, portraits):
    rgb = portraits["astronaut"]
    report = assess(rgb, largest(dlib_engine, rgb), LIMITS)
    assert report.ok and report.reason == "" and 0.5 < report.score <= 1.0


def test_tiny_face_is_rejected(dlib_engine, portraits):
    small = cv2.resize(portraits["astronaut"], (100, 100), interpolation=cv2.INTER_AREA)
    report = assess(small, largest(dlib_engine, small), LIMITS)
    assert report.reason == "too_small"


def test_turned_head_is_not_frontal(dlib_engine, portraits):
    rgb = portraits["t1-e"]  # looks over her shoulder in the group photo
    face = largest(dlib_engine, rgb)
    yaw, _ = pose(face)
    assert abs(yaw) > LIMITS.max_yaw
    assert assess(rgb, face, LIMITS).reason == "not_frontal"


def test_roll_is_measured_from_the_eye_line(dlib_engine, portraits):
    rgb = portraits["astronaut"]
    h, w = rgb.shape[:2]
    rolled = cv2.warpAffine(rgb, cv2.getRotationMatrix2D((w / 2, h / 2), 40, 1.0), (w, h),
                            borderMode=cv2.BORDER_REFLECT)
    faces = dlib_engine.detect(rolled)
    if faces:  # HOG may miss a face rolled 40 degrees; if it finds it, the gate must catch it
        report = assess(rolled, max(faces, key=lambda f: f.area), LIMITS)
        assert report.reason == "not_frontal" and abs(report.metrics["roll"]) > 30


def test_dark_face_is_rejected_then_enhanced(dlib_engine, portraits):
    dark = darken(portraits["astronaut"], 0.25)
    report = assess(dark, largest(dlib_engine, dark), LIMITS)
    assert report.reason == "too_dark"
    fixed = enhance(dark, report.reason)
    again = assess(fixed, largest(dlib_engine, fixed), LIMITS)
    assert again.ok and again.metrics["brightness"] > report.metrics["brightness"] + 30


def test_blurred_face_is_rejected_and_sharpened(dlib_engine, portraits):
    soft = blur(portraits["astronaut"], 4.0)
    report = assess(soft, largest(dlib_engine, soft), LIMITS)
    assert report.reason == "blurry"
    fixed = enhance(soft, "blurry")
    assert assess(fixed, largest(dlib_engine, fixed), LIMITS).metrics["sharpness"] > report.metrics["sharpness"]


def test_overexposed_face_is_rejected(dlib_engine, portraits):
    bright = np.clip(portraits["astronaut"].astype(int) + 110, 0, 255).astype(np.uint8)
    assert assess(bright, largest(dlib_engine, bright), LIMITS).reason == "too_bright"


def test_image_decoding_of_good_and_bad_input(portraits):
    rgb = portraits["astronaut"]
    assert to_rgb(encode_jpeg(rgb)).shape == rgb.shape
    assert to_rgb(rgb[:, :, 0]).shape == rgb.shape                  # grey -> RGB
    assert to_rgb(rgb.astype(np.float32) / 255.0).dtype == np.uint8  # float in [0, 1]
    jpeg = encode_jpeg(rgb)
    for bad in (b"", b"not an image", jpeg[:40], np.zeros((0, 0, 3), np.uint8), np.zeros((4, 4, 5), np.uint8), 42):
        with pytest.raises(BadImage):
            to_rgb(bad)
    with pytest.raises(BadImage):
        to_rgb("/nonexistent/photo.jpg")
