"""Runs INSIDE the Rasa venv (tests/dialogue/test_dialogue_tracker_encryption.py starts it):
a store written by stock Rasa (clear JSON) is read by the encrypted store, new events are written
encrypted, and a row that is neither clear JSON nor decrypts with the key fails loudly."""
import asyncio
import json
import sqlite3
import sys

from cryptography.fernet import InvalidToken
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.encrypted_tracker_store import EncryptedSQLTrackerStore

db, key_file = sys.argv[1], sys.argv[2]
domain = Domain.from_yaml("version: '3.1'\nslots:\n  phone:\n    type: text\n    mappings: [{type: custom}]\n")


async def main() -> None:
    stock = SQLTrackerStore(domain=domain, dialect="sqlite", db=db)
    tracker = DialogueStateTracker.from_events("old", [UserUttered("13800138000"), SlotSet("phone", "13800138000")])
    await stock.save(tracker)

    store = EncryptedSQLTrackerStore(domain=domain, key_file=key_file, dialect="sqlite", db=db)
    old = await store.retrieve("old")
    assert old is not None and old.get_slot("phone") == "13800138000", "clear rows from before stay readable"
    old.update(UserUttered("我的验证码是 654321"))
    await store.save(old)
    with sqlite3.connect(db) as conn:
        rows = [data for (data,) in conn.execute("SELECT data FROM events WHERE sender_id='old' ORDER BY id")]
    assert rows[0].startswith("{") and not rows[-1].startswith("{") and "654321" not in rows[-1]
    again = await store.retrieve("old")
    assert again.latest_message.text == "我的验证码是 654321"

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE events SET data = 'gAAAAAtampered' WHERE id = (SELECT max(id) FROM events)")
    try:
        await store.retrieve("old")
    except InvalidToken:
        print(json.dumps({"ok": True}))
        return
    raise AssertionError("a tampered row was accepted")


asyncio.run(main())
