"""Facial-expression classifier (fer's mini-Xception TFLite) and the session timeline."""
from __future__ import annotations

import numpy as np
import pytest

from vision.emotion import LABELS, EmotionClassifier, EmotionTimeline, EmotionUnavailable


def test_probabilities_over_seven_classes(dlib_engine, portraits, shared_emotion):
    rgb = portraits["astronaut"]
    face = max(dlib_engine.detect(rgb), key=lambda f: f.area)
    emo = shared_emotion.classify(rgb, face)
    assert set(emo.probabilities) == set(LABELS)
    assert sum(emo.probabilities.values()) == pytest.approx(1.0, abs=0.01)
    assert emo.label == max(emo.probabilities, key=emo.probabilities.get)


def test_smiles_read_as_happy(dlib_engine, portraits, shared_emotion):
    # The astronaut portrait and two laughing people of the group photo smile broadly.
    for name in ("astronaut", "t1-b", "t1-d"):
        rgb = portraits[name]
        emo = shared_emotion.classify(rgb, max(dlib_engine.detect(rgb), key=lambda f: f.area))
        assert emo.label == "happy", (name, emo)
    # ...and a face without a smile does not
    rgb = portraits["t1-a"]
    emo = shared_emotion.classify(rgb, max(dlib_engine.detect(rgb), key=lambda f: f.area))
    assert emo.label != "happy"


def test_output_depends_on_the_input(shared_emotion):
    a = shared_emotion.classify_gray(np.zeros((64, 64), np.uint8))
    b = shared_emotion.classify_gray(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8))
    assert a.probabilities != b.probabilities


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(EmotionUnavailable):
        EmotionClassifier(tmp_path / "none.tflite")


def test_timeline_summary(shared_emotion):
    t = EmotionTimeline()
    happy = shared_emotion.classify_gray(np.full((64, 64), 128, np.uint8))
    for ts in range(5):
        t.add(float(ts), happy)
    s = t.summary()
    assert s["samples"] == 5 and s["dominant"] == happy.label and s["start"] == 0.0 and s["end"] == 4.0
    assert [x["ts"] for x in t.to_list()] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert EmotionTimeline().summary()["dominant"] is None
