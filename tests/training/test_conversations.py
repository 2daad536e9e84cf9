"""`hallbot conversations`: real tracker rows (SQLite, encrypted like Rasa's store writes them) listed
for trainers with private data masked and the filters a trainer needs."""
from __future__ import annotations

import json
import sqlite3

import pytest
from cryptography.fernet import Fernet

from bot.cli import main
from bot.conversations import Filters, channel_of, mask_message, review
from identity import keys

ID_NUMBER = "110101199003074514"
PHONE = "13812345678"


def _user(t: float, text: str, intent: str, confidence: float, entities=()) -> dict:
    return {"event": "user", "timestamp": t, "text": text,
            "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": list(entities)}}


def _action(t: float, name: str) -> dict:
    return {"event": "action", "timestamp": t, "name": name}


def _bot(t: float, text: str) -> dict:
    return {"event": "bot", "timestamp": t, "text": text}


DAY = 1_800_000_000.0     # a fixed instant: the tests do not read the clock
KIOSK_EVENTS = [
    _action(DAY, "action_session_start"),
    _user(DAY + 1, f"我的身份证号是{ID_NUMBER}", "provide_id", 0.93,
          [{"entity": "id_number", "value": ID_NUMBER, "start": 7, "end": 25}]),
    _action(DAY + 2, "identity_form"), _bot(DAY + 2, "李娜您好，请输入验证码"),
    _user(DAY + 3, "验证码 482913", "provide_sms_code", 0.88),
    _user(DAY + 4, "那个啥东西怎么弄", "nlu_fallback", 0.21), _action(DAY + 5, "action_two_stage_fallback"),
]
WEB_EVENTS = [
    _user(DAY + 2 * 86400, f"手机{PHONE}找人工", "request_human", 0.97,
          [{"entity": "phone", "value": PHONE, "start": 2, "end": 13}]),
    _action(DAY + 2 * 86400 + 1, "action_handoff"),
]


def write_tracker(var_dir) -> None:
    """var_dir/tracker.sqlite with a kiosk and a web conversation, sealed with var/tracker.key as
    rasa_addons/encrypted_tracker_store.py writes them."""
    fernet = Fernet(keys.fernet_key(keys.secret(keys.TRACKER_KEY, var_dir)))
    db = sqlite3.connect(var_dir / "tracker.sqlite")
    db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp REAL, "
               "intent_name TEXT, action_name TEXT, data TEXT)")
    for sender, events in (("K1-0a1b2c3d4e", KIOSK_EVENTS), ("web-5f6a7b", WEB_EVENTS)):
        for event in events:
            db.execute("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
                       (sender, event["event"], event["timestamp"], fernet.encrypt(json.dumps(event).encode()).decode()))
    db.commit()
    db.close()


@pytest.fixture
def tracker_var(tmp_path, monkeypatch):
    write_tracker(tmp_path)
    monkeypatch.setenv("HALLBOT_VAR_DIR", str(tmp_path))
    return tmp_path


def test_a_conversation_is_reviewed_with_its_private_data_masked():
    conversation = review("K1-0a1b2c3d4e", KIOSK_EVENTS)
    assert conversation.channel == "K1"
    first, code, lost = conversation.messages
    assert first.text == "我的身份证号是" + "*" * 14 + "4514"
    assert first.entities == (("id_number", "*" * 14 + "4514"),)
    assert first.actions == ("identity_form",)
    assert code.text == "验证码 ******"
    assert lost.fallback and lost.actions == ("action_two_stage_fallback",)
    assert conversation.fallback and not conversation.handoff
    assert conversation.lowest_confidence == pytest.approx(0.21)


def test_hidden_entities_and_stray_numbers_are_masked():
    text = "地址是长安街8号 电话13812345678"
    masked = mask_message(text, [{"entity": "address", "start": 3, "end": 8}])
    assert masked == "地址是***** 电话*******5678"


def test_filters():
    kiosk, web = review("K1-0a1b2c3d4e", KIOSK_EVENTS), review("web-5f6a7b", WEB_EVENTS)
    assert [f.accepts(kiosk) for f in (Filters(fallback=True), Filters(handoff=True), Filters(below=0.5),
                                       Filters(channel="web"), Filters(since=DAY + 86400))] == [True, False, True, False, False]
    assert [f.accepts(web) for f in (Filters(fallback=True), Filters(handoff=True), Filters(below=0.5),
                                     Filters(channel="web"), Filters(since=DAY + 86400))] == [False, True, False, True, True]
    assert Filters(intent="provide_id").accepts(kiosk) and not Filters(intent="provide_id").accepts(web)
    assert Filters(search="找人工").accepts(web) and not Filters(search=PHONE).accepts(web)   # masked text only
    assert [channel_of(s) for s in ("web-1", "chat-ab", "K2-x", "abc")] == ["web", "terminal", "K2", "other"]


def test_the_command_lists_masked_conversations_newest_first(tracker_var, capsys):
    assert main(["conversations"]) == 0
    out = capsys.readouterr().out
    assert ID_NUMBER not in out and PHONE not in out and "482913" not in out and "李娜" not in out
    assert out.index("web-5f6a7b") < out.index("K1-0a1b2c3d4e")
    assert "[handoff]" in out and "[fallback]" in out and "2 conversation(s)" in out
    assert main(["conversations", "--fallback", "--channel", "K1"]) == 0
    out = capsys.readouterr().out
    assert "K1-0a1b2c3d4e" in out and "web-5f6a7b" not in out and "1 conversation(s)" in out
