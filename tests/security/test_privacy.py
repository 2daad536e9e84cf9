"""Retention and data-subject requests (bot/privacy.py): prune deletes what is past its limit and
keeps the rest (a running SMS lock included); export finds a customer's conversations in the real,
encrypted tracker store; delete erases them with the face data."""
from __future__ import annotations

import json
import os
import sqlite3
import time

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine

from bot import privacy
from bot.cli import main as hallbot
from identity import keys
from vision.store import FaceStore

NOW = time.time()   # the data is laid out relative to now: the CLI below prunes on the real clock
DAY = privacy.DAY_S


def rasa_events_table(path):
    """The `events` table as Rasa 3.6's SQLTrackerStore creates it."""
    engine = create_engine(f"sqlite:///{path}")
    events = Table("events", MetaData(), Column("id", Integer, primary_key=True),
                   Column("sender_id", String(255), nullable=False, index=True),
                   Column("type_name", String(255), nullable=False), Column("timestamp", Float),
                   Column("intent_name", String(255)), Column("action_name", String(255)), Column("data", Text))
    events.metadata.create_all(engine)
    return engine, events


@pytest.fixture
def var_dir(tmp_path):
    fernet = Fernet(keys.fernet_key(keys.secret(keys.TRACKER_KEY, tmp_path)))
    engine, events = rasa_events_table(tmp_path / "tracker.sqlite")
    with engine.begin() as conn:
        for sender, age_days in (("old", 40), ("old", 35), ("recent", 40), ("recent", 1)):
            data = {"event": "user", "text": "13800138000", "timestamp": NOW - age_days * DAY}
            conn.execute(events.insert().values(sender_id=sender, type_name="user", timestamp=NOW - age_days * DAY,
                                                data=fernet.encrypt(json.dumps(data).encode()).decode()))
    engine.dispose()
    with sqlite3.connect(tmp_path / "hall.sqlite") as db:
        db.execute("CREATE TABLE sms_state (phone TEXT PRIMARY KEY, code_hash TEXT, salt TEXT, sent_at REAL, "
                   "attempts INTEGER NOT NULL, locked_until REAL, day TEXT NOT NULL, day_attempts INTEGER NOT NULL, "
                   "day_sends INTEGER NOT NULL)")
        db.executemany("INSERT INTO sms_state VALUES (?,?,?,?,0,?,'d',0,0)", [
            ("13800000001", None, None, NOW - 30 * DAY, None),              # stale: goes
            ("13800000002", None, None, NOW - 30 * DAY, NOW + 3600),        # stale but locked now: stays
            ("13800000003", "h", "s", NOW - 60, None)])                     # fresh: stays
    (tmp_path / "sms_outbox.jsonl").write_text(
        json.dumps({"phone": "***0001", "ts": NOW - 30 * DAY}) + "\n" + "not json\n"
        + json.dumps({"phone": "***0003", "ts": NOW - 60}) + "\n", encoding="utf-8")
    logs = tmp_path / "logs"
    logs.mkdir()
    for name, age_days in (("app.log", 90), ("app.log.1", 90), ("app.log.2", 2)):
        (logs / name).write_text("x")
        os.utime(logs / name, (NOW - age_days * DAY, NOW - age_days * DAY))
    return tmp_path


def test_prune_deletes_only_what_is_past_retention(var_dir):
    report = privacy.prune(var_dir, None, privacy.Retention(30, 7, 30), now=NOW)
    assert report == privacy.PruneReport(conversations=1, events=2, sms_states=1, sms_outbox_lines=2, log_files=1)
    with sqlite3.connect(var_dir / "tracker.sqlite") as db:
        assert [s for (s,) in db.execute("SELECT DISTINCT sender_id FROM events")] == ["recent"]
        assert db.execute("SELECT count(*) FROM events").fetchone() == (2,)   # a live conversation keeps its past
    with sqlite3.connect(var_dir / "hall.sqlite") as db:
        assert sorted(p for (p,) in db.execute("SELECT phone FROM sms_state")) == ["13800000002", "13800000003"]
    assert [json.loads(line)["phone"] for line in (var_dir / "sms_outbox.jsonl").read_text().splitlines()] == ["***0003"]
    assert sorted(p.name for p in (var_dir / "logs").iterdir()) == ["app.log", "app.log.2"]
    assert privacy.prune(var_dir, None, privacy.Retention(30, 7, 30), now=NOW) == privacy.PruneReport()


def test_prune_on_a_fresh_robot_finds_nothing_to_do(tmp_path):
    assert privacy.prune(tmp_path, None) == privacy.PruneReport()


def test_hallbot_privacy_prune_command(var_dir, monkeypatch, capsys):
    monkeypatch.setenv("HALLBOT_VAR_DIR", str(var_dir))
    assert hallbot(["privacy", "prune", "--conversations-days", "30"]) == 0
    assert json.loads(capsys.readouterr().out) == {"conversations": 1, "events": 2, "sms_states": 1,
                                                   "sms_outbox_lines": 2, "log_files": 1}


@pytest.mark.rasa
def test_export_and_delete_a_customers_data_in_the_real_tracker_store(hall, tmp_path):
    conversation = hall.conversation()
    conversation.event("EXTERNAL_face_recognized", customer_id="C000004")
    conversation.say("我想查一下电费")
    other = hall.conversation()
    other.event("EXTERNAL_face_recognized", customer_id="C000005")
    face_db = f"sqlite:///{tmp_path / 'face.db'}"
    faces = FaceStore(face_db)
    faces.record_consent("C000004", channel="kiosk-id-card", text_version="v2")
    faces.close()
    settings = hall.settings

    record = privacy.export("C000004", var_dir=settings.var_dir, tracker_db=None, face_db_url=face_db,
                            business=hall.business())
    ours = [c for c in record["conversations"] if c["conversation"] == conversation.sender]
    assert ours and any(t["who"] == "user" and t["text"] == "我想查一下电费" for t in ours[0]["turns"])
    assert other.sender not in [c["conversation"] for c in record["conversations"]]
    assert record["face"]["consents"][0]["text_version"] == "v2" and record["face"]["templates"] == []
    assert record["business_file"]["customer_id"] == "C000004"

    counts = privacy.delete("C000004", var_dir=settings.var_dir, tracker_db=None, face_db_url=face_db)
    assert counts["conversations"] >= 1 and counts["face_consents"] == 1
    with sqlite3.connect(settings.var_dir / "tracker.sqlite") as db:
        left = {s for (s,) in db.execute("SELECT DISTINCT sender_id FROM events")}
    assert conversation.sender not in left and other.sender in left
    assert privacy.export("C000004", var_dir=settings.var_dir, tracker_db=None, face_db_url=face_db)["conversations"] == []
