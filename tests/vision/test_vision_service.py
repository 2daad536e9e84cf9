"""FaceService end to end on real photos: frames in, events out."""
from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import cv2
import numpy as np
import pytest

from identity.idcard.simulator import DirectorySimulator
from vision.events import (
    EmotionSample,
    EnrolmentResult,
    FaceRecognized,
    IdCardError,
    InvalidImage,
    MultipleFaces,
    NoFace,
    QualityRejected,
    StaffIntervention,
    UnknownFace,
)
from vision.image_io import encode_jpeg
from vision.liveness.synthetic import live_sequence
from vision.sample_faces import darken, group_photo

CARD_DIR = Path(__file__).parent / "data" / "idcard-sim"


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def live(portrait, n=10, seed=0, each=None):
    """The portrait as a live head (a textured 3D mesh turning and blinking, with camera noise;
    vision/liveness/synthetic.py): still photos are refused by the liveness check."""
    frames = live_sequence(portrait, n=n, seed=seed)
    return [each(f) for f in frames] if each else frames


def run_frames(svc, session, frames, t0=0.0, dt=0.25):
    out = []
    for i, frame in enumerate(frames):
        out += svc.process_frame(session, frame, t0 + i * dt)
    return out


@pytest.fixture
def lina(make_service, portraits):
    """A service with C000002 (face-lina, the astronaut photo) enrolled."""
    svc = make_service()
    svc.record_consent("C000002")
    res = svc.enrol_image("C000002", encode_jpeg(portraits["astronaut"]), face_id="face-lina")
    assert res.ok, res
    return svc


def test_enrolled_customer_is_recognised_once_per_track(lina, portraits):
    frames = [encode_jpeg(f) for f in live(portraits["astronaut"])]
    events = run_frames(lina, "s1", frames)
    rec = of(events, FaceRecognized)
    assert len(rec) == 1
    assert (rec[0].customer_id, rec[0].face_id, rec[0].session_id) == ("C000002", "face-lina", "s1")
    assert rec[0].score >= lina.config.match_threshold and rec[0].margin > 0 and not rec[0].recently_served
    assert not of(events, UnknownFace)
    assert len(of(events, EmotionSample)) == len(frames)
    assert lina.emotion_timeline("s1").summary()["samples"] == len(frames)


def test_recently_served_customer_is_not_greeted_again(lina, portraits):
    frames = live(portraits["astronaut"])
    first = of(run_frames(lina, "a", frames, t0=0), FaceRecognized)[0]
    again = of(run_frames(lina, "b", frames, t0=60), FaceRecognized)[0]
    later = of(run_frames(lina, "c", frames, t0=60 + lina.config.recent_window_s + 1), FaceRecognized)[0]
    assert (first.recently_served, again.recently_served, later.recently_served) == (False, True, False)


def test_unknown_person(lina, portraits):
    events = run_frames(lina, "s", live(portraits["t1-b"]))
    assert of(events, UnknownFace) and not of(events, FaceRecognized)
    assert of(events, UnknownFace)[0].best_score < lina.config.match_threshold


def test_bad_frames_become_events(lina, portraits):
    jpeg = encode_jpeg(portraits["astronaut"])
    assert of(lina.process_frame("s", jpeg[: len(jpeg) // 3][:60], 0), InvalidImage)
    assert of(lina.process_frame("s", b"garbage", 0), InvalidImage)[0].reason
    assert of(lina.process_frame("s", np.zeros((480, 640, 3), np.uint8), 0), NoFace)
    tiny = cv2.resize(portraits["astronaut"], (100, 100))
    rej = of(lina.process_frame("s", tiny, 0), QualityRejected)
    assert rej and rej[0].reason == "too_small" and rej[0].metrics["size"] < lina.config.min_face_px


def test_several_faces_serve_the_largest(lina):
    events = lina.process_frame("s", group_photo(), 0)
    multi = of(events, MultipleFaces)
    assert multi and multi[0].count == 6
    x1, y1, x2, y2 = multi[0].chosen_bbox
    assert 420 < x1 < 480 and 270 < y1 < 330  # the nearest (largest) face, in the middle


def test_dark_frames_are_enhanced_and_recognised(lina, portraits):
    events = run_frames(lina, "s", live(portraits["astronaut"], each=lambda f: darken(f, 0.25)))
    assert of(events, FaceRecognized) and of(events, FaceRecognized)[0].customer_id == "C000002"


def test_gallery_survives_restart(lina, make_service, portraits):
    svc2 = make_service()
    events = run_frames(svc2, "s", live(portraits["astronaut"]))
    assert of(events, FaceRecognized)[0].customer_id == "C000002"


# -- enrolment with the ID card ------------------------------------------------------------
def test_id_card_enrolment_success_then_recognition(make_service, portraits):
    svc = make_service()
    card, events = svc.read_id_card("e", DirectorySimulator(CARD_DIR))
    assert card is not None and events == []
    out = svc.enrol_with_id_card("e", card, portraits["astronaut"], "C000002", "face-lina")
    assert of(out, EnrolmentResult)[0].reason == "no_consent" and not of(out, StaffIntervention)
    assert len(svc.gallery) == 0  # nothing stored before consent
    svc.record_consent("C000002")
    res = of(svc.enrol_with_id_card("e", card, encode_jpeg(portraits["astronaut"]), "C000002", "face-lina"),
             EnrolmentResult)[0]
    assert res.ok and res.score >= svc.config.verify_threshold and res.face_id == "face-lina"
    assert of(run_frames(svc, "later", live(portraits["astronaut"], seed=3)), FaceRecognized)


def test_id_card_check_without_consent_compares_but_keeps_nothing(make_service, portraits):
    svc = make_service()
    card, _ = svc.read_id_card("e", DirectorySimulator(CARD_DIR))
    res = of(svc.enrol_with_id_card("e", card, portraits["astronaut"], "C000002", keep_template=False),
             EnrolmentResult)[0]
    assert res.ok and res.score >= svc.config.verify_threshold and res.face_id == ""
    assert len(svc.gallery) == 0 and not svc.store.has_consent("C000002")
    other = svc.enrol_with_id_card("e", card, portraits["t1-b"], "C000002", keep_template=False)
    assert of(other, EnrolmentResult)[0].reason == "mismatch" and of(other, EnrolmentResult)[0].retry


def test_id_card_mismatch_retries_then_calls_staff(make_service, portraits):
    svc = make_service()
    svc.record_consent("C000002")
    card = DirectorySimulator(CARD_DIR).read()
    first = svc.enrol_with_id_card("e", card, portraits["t1-b"], "C000002")
    r1 = of(first, EnrolmentResult)[0]
    assert (r1.ok, r1.reason, r1.retry, r1.attempt) == (False, "mismatch", True, 1) and not of(first, StaffIntervention)
    second = svc.enrol_with_id_card("e", card, portraits["t1-d"], "C000002")
    r2 = of(second, EnrolmentResult)[0]
    assert (r2.ok, r2.retry, r2.attempt) == (False, False, 2)
    staff = of(second, StaffIntervention)
    assert staff and staff[0].reason == "enrolment_mismatch" and staff[0].customer_id == "C000002"
    assert len(svc.gallery) == 0


def test_live_capture_without_face_is_a_retry(make_service):
    svc = make_service()
    svc.record_consent("C000002")
    card = DirectorySimulator(CARD_DIR).read()
    res = of(svc.enrol_with_id_card("e", card, np.zeros((480, 640, 3), np.uint8), "C000002"), EnrolmentResult)[0]
    assert (res.reason, res.retry) == ("live_no_face", True)


def test_invalid_card_calls_staff(make_service, portraits):
    svc = make_service()
    svc.record_consent("C000002")
    card = dataclasses.replace(DirectorySimulator(CARD_DIR).read(), birth_date="19990101")
    out = svc.enrol_with_id_card("e", card, portraits["astronaut"], "C000002")
    assert of(out, EnrolmentResult)[0].reason == "id_invalid" and of(out, StaffIntervention)
    card = dataclasses.replace(DirectorySimulator(CARD_DIR).read(), photo=b"\x00" * 1024, photo_format="wlt")
    out = svc.enrol_with_id_card("e2", card, portraits["astronaut"], "C000002")
    assert of(out, EnrolmentResult)[0].reason == "id_photo_unreadable" and of(out, StaffIntervention)


def test_card_read_errors_are_events_and_repeat_calls_staff(make_service, tmp_path):
    svc = make_service()
    (tmp_path / "card.json").write_text('{"error": "read_failed"}', encoding="utf-8")
    reader = DirectorySimulator(tmp_path)
    results = [svc.read_id_card("s", reader, ts=i) for i in range(3)]
    assert all(card is None for card, _ in results)
    assert all(of(ev, IdCardError)[0].code == "read_failed" for _, ev in results)
    assert not of(results[1][1], StaffIntervention) and of(results[2][1], StaffIntervention)

    class Broken:
        def read(self):
            raise OSError("USB unplugged")

    card, events = svc.read_id_card("s2", Broken())
    assert card is None and of(events, IdCardError)[0].code == "device"


# -- deletion -------------------------------------------------------------------------------
def test_delete_removes_every_trace(lina, portraits, vision_config):
    run_frames(lina, "s", live(portraits["astronaut"]))
    counts = lina.delete_customer("C000002")
    assert counts == {"templates": 1, "consents": 1, "index": 1, "recent": 1, "sessions": 1}
    db = sqlite3.connect(vision_config.var_dir / "face.db")
    assert db.execute("select count(*) from vision_face_templates").fetchone()[0] == 0
    assert db.execute("select count(*) from vision_face_consents").fetchone()[0] == 0
    assert not lina.recent.is_recent("C000002", 1.0)
    events = run_frames(lina, "s3", [portraits["astronaut"]] * 3)
    assert not of(events, FaceRecognized) and of(events, UnknownFace)
    assert not lina.enrol_image("C000002", portraits["astronaut"]).ok  # consent is gone too


def test_engine_failure_is_an_event_not_a_crash(make_service, portraits):
    svc = make_service(emotion=False)

    class Exploding:
        name, dim = svc.engine.name, svc.engine.dim

        def detect(self, rgb):
            raise RuntimeError("native library fault")

    svc.engine = Exploding()
    events = svc.process_frame("s", portraits["astronaut"], 1.0)
    assert len(events) == 1 and isinstance(events[0], InvalidImage) and "processing_error" in events[0].reason


def test_oversized_frame_is_scaled_for_detection(lina, portraits):
    events = run_frames(lina, "big", live(portraits["astronaut"], each=lambda f: cv2.resize(f, (3200, 2400))))
    assert of(events, FaceRecognized)


async def test_async_wrapper_and_cross_process_enrolment(make_service, portraits, monkeypatch):
    import vision.service as service_mod
    server = make_service(emotion=False)
    cli_side = make_service(emotion=False)  # e.g. `hallbot face enroll` in another process
    frame = encode_jpeg(portraits["astronaut"])
    before = await server.process_frame_async("s", frame, 0.0)
    assert not of(before, FaceRecognized)
    cli_side.record_consent("C000002")
    assert cli_side.enrol_image("C000002", frame, face_id="face-lina").ok
    monkeypatch.setattr(service_mod, "REFRESH_S", 0.0)
    events = []
    for i, f in enumerate(live(portraits["astronaut"])):
        events += await server.process_frame_async("s2", encode_jpeg(f), 10.0 + 0.25 * i)
    assert of(events, FaceRecognized)[0].customer_id == "C000002"
