"""The session state machine alone: transitions, causes, timeouts (driven by a fake clock)."""
from __future__ import annotations

import logging

from bot.kiosk.fsm import SessionFSM, Timeouts


def fsm(**timeouts) -> SessionFSM:
    return SessionFSM("k1", Timeouts(**timeouts) if timeouts else Timeouts())


def test_known_customer_walks_up_is_greeted_served_and_leaves():
    m = fsm()
    assert m.fire("person_seen", now=0.0, cause="camera: QualityRejected")
    assert m.fire("face_recognized", now=0.5, cause="face face-lina", customer_id="C000002")
    assert m.state == "greeting" and m.customer_id == "C000002"
    assert m.fire("greeted", now=0.6)
    assert m.state == "identified"
    assert m.fire("user_input", now=2.0, cause="speech: 我想查一下电费")
    assert m.state == "serving"
    assert m.fire("person_left", now=9.0, cause="no face")
    assert m.fire("farewell_done", now=12.0)
    assert m.state == "idle" and m.customer_id is None
    assert [(t.source, t.dest) for t in m.history] == [
        ("idle", "person_detected"), ("person_detected", "greeting"), ("greeting", "identified"),
        ("identified", "serving"), ("serving", "farewell"), ("farewell", "idle")]
    assert m.history[1].cause == "face face-lina" and m.history[3].cause.startswith("speech")


def test_unknown_face_is_greeted_anonymously_then_verifies():
    m = fsm()
    m.fire("person_seen", now=0.0)
    m.fire("face_unknown", now=1.0, cause="no gallery match")
    m.fire("greeted", now=1.1)
    assert m.state == "anonymous"
    m.fire("user_input", now=3.0)
    assert m.fire("verification_started", now=4.0, cause="identity form")
    assert m.state == "verifying"
    assert m.fire("verified", now=20.0, customer_id="C000003")
    assert (m.state, m.customer_id) == ("serving", "C000003")


def test_events_a_state_does_not_expect_are_ignored_not_errors():
    m = fsm()
    assert not m.fire("greeted", now=0.0)
    assert not m.fire("farewell_done", now=0.0)
    assert not m.fire("no_such_trigger", now=0.0)
    assert m.state == "idle" and m.history == []


def test_timeouts_decide_absence_silence_and_farewell():
    m = fsm(decide_s=4, absent_s=8, silence_s=30, farewell_s=3)
    m.face_seen(0.0)
    m.fire("person_seen", now=0.0)
    assert m.tick(2.0) is None
    assert m.tick(4.0) == "face_unknown"          # seen but never recognised
    assert m.history[-1].cause.startswith("not recognised")
    m.fire("greeted", now=4.1)
    m.face_seen(5.0)
    assert m.tick(12.9) is None
    assert m.tick(13.0) == "person_left"          # nobody in view for 8 s
    assert m.state == "farewell"
    assert m.tick(16.0) == "farewell_done" and m.state == "idle"
    # silence: a person keeps standing there but says nothing for 30 s
    m.fire("person_seen", now=100.0)
    m.fire("face_recognized", now=100.5, customer_id="C1")
    m.fire("greeted", now=100.6)
    for t in range(101, 130):
        m.face_seen(float(t))
        assert m.tick(float(t)) is None
    m.input_seen(120.0)
    m.face_seen(149.0)
    assert m.tick(149.0) is None
    m.face_seen(150.0)
    assert m.tick(150.0) == "silence_timeout"


def test_keyboard_kiosk_without_camera_never_times_out_on_absence():
    m = fsm(absent_s=8, silence_s=60)
    m.camera = False
    assert m.fire("user_input", now=0.0, cause="keyboard: 查电费")
    assert m.tick(30.0) is None and m.state == "serving"
    assert m.tick(61.0) == "silence_timeout"


def test_handoff_from_any_present_state_and_every_transition_is_logged(caplog):
    m = fsm()
    with caplog.at_level(logging.INFO, logger="bot.kiosk.fsm"):
        m.fire("user_input", now=0.0, cause="keyboard: 转人工")
        assert m.fire("handoff_requested", now=1.0, cause="handoff: general")
        assert m.state == "handoff"
        assert not m.fire("user_input", now=2.0)        # staff is coming: stays in handoff
        m.fire("person_left", now=3.0, cause="walked away")
    lines = [r.getMessage() for r in caplog.records]
    assert any("serving -> handoff on handoff_requested (handoff: general)" in line for line in lines)
    assert any("handoff -> farewell" in line for line in lines)
