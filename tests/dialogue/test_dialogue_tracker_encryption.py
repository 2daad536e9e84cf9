"""Conversations are encrypted at rest in Rasa's tracker store (SQLite here; PostgreSQL in
test_dialogue_scale_out.py): no ID number, customer id, name or typed text in clear, every row
decrypts with var/tracker.key, and Rasa still reads its conversations back (it answers in context)."""
from __future__ import annotations

import json
import sqlite3

import pytest
from cryptography.fernet import Fernet

from bot.rasa_service import ENCRYPTED_TRACKER_STORE, tracker_store_config
from identity import keys

pytestmark = pytest.mark.rasa

ID_NUMBER = "110101199003074514"


def stored_rows(hall, sender: str) -> list[tuple[str, str]]:
    with sqlite3.connect(hall.settings.var_dir / "tracker.sqlite") as db:
        return db.execute("SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()


def test_tracker_store_holds_no_personal_data_in_clear(hall):
    assert tracker_store_config(hall.settings)["type"] == ENCRYPTED_TRACKER_STORE
    conversation = hall.conversation()
    conversation.event("EXTERNAL_face_recognized", customer_id="C000001")
    conversation.say(f"我的身份证号是{ID_NUMBER}")
    reply = conversation.say("我想查一下电费")
    assert "3100000001" in reply.text      # Rasa read its own (encrypted) tracker back: still identified

    rows = stored_rows(hall, conversation.sender)
    assert {"user", "bot", "slot"} <= {kind for kind, _ in rows}
    everything = "\n".join(data for _, data in rows)
    for secret in (ID_NUMBER, "C000001", "3100000001", "电费", "张"):
        assert secret not in everything
    fernet = Fernet(keys.fernet_key(keys.secret(keys.TRACKER_KEY, hall.settings.var_dir)))
    events = [json.loads(fernet.decrypt(data.encode())) for _, data in rows]
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["customer_id"] == "C000001"
    assert any(ID_NUMBER in (e.get("text") or "") for e in events if e["event"] == "user")


def test_tracker_key_lives_outside_the_store_and_is_private(hall):
    key_file = hall.settings.var_dir / keys.TRACKER_KEY
    assert key_file.stat().st_mode & 0o077 == 0
    assert tracker_store_config(hall.settings)["key_file"] == str(key_file)


def test_existing_clear_conversations_stay_readable_and_tampering_fails(tmp_path):
    """Switching encryption on keeps a robot's conversations; a tampered row is an error, not a gap."""
    import subprocess

    from hallbot.settings import ROOT, load
    key_file = keys.secret_path(keys.TRACKER_KEY, tmp_path)
    result = subprocess.run([str(load().rasa_python), str(ROOT / "tests/dialogue/encrypted_store_check.py"),
                             str(tmp_path / "tracker.sqlite"), str(key_file)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"ok": True}
