"""A reviewed conversation kept as a conversation test or a training story (bot/story_export.py):
the customer's private data replaced by valid stand-ins, the dialogue's steps as Rasa recorded them.
The first tests read made-up tracker events; the last one keeps a real conversation with the hall
and runs the story it made through `rasa test core --e2e` with the trained model."""
from __future__ import annotations

import pytest
import yaml

from bot import story_check, story_export
from hallbot.settings import ROOT, load
from identity import id_number
from identity.account_number import parse_phone

DOMAIN = {"slots": {"identified": {"type": "bool"}, "customer_name": {"type": "text", "influence_conversation": False},
                    "phone": {"type": "text", "influence_conversation": False}}}
ID = "110105194912310021"   # a demo-shaped number: the stand-in must differ and still validate


def user(text, intent, confidence=0.95, entities=(), ts=1_800_000_000.0):
    return {"event": "user", "text": text, "timestamp": ts,
            "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": list(entities)}}


def entity(text, value, name):
    start = text.index(value)
    return {"entity": name, "start": start, "end": start + len(value), "value": value}


def events():
    said = f"我的身份证号是{ID}"
    return [
        {"event": "action", "name": "action_session_start"},
        user("我想查电费", "query_bill"),
        {"event": "action", "name": "action_query_bill"},
        {"event": "active_loop", "name": "identity_form"},
        {"event": "slot", "name": "requested_slot", "value": "identity_key"},
        {"event": "action", "name": "action_listen"},
        user(said, "provide_id_number", entities=[entity(said, ID, "identity_key")]),
        {"event": "action", "name": "identity_form"},
        {"event": "slot", "name": "requested_slot", "value": "phone"},
        user("手机是13912345678", "provide_phone", 0.41, [entity("手机是13912345678", "13912345678", "phone")]),
        {"event": "slot", "name": "phone", "value": "13912345678"},
        {"event": "action", "name": "identity_form"},
        {"event": "slot", "name": "customer_name", "value": "周女士"},
        {"event": "slot", "name": "identified", "value": True},
        {"event": "active_loop", "name": None},
        {"event": "action", "name": "action_greet_customer"},
        {"event": "bot", "text": "周女士您好！13912345678"},
        user("周女士就是我，再发一次到13912345678", "resend_code", 0.9),
        {"event": "action", "name": "action_resend"},
    ]


def test_private_numbers_become_valid_stand_ins_and_the_steps_are_kept():
    story = story_export.build("web-1", events(), DOMAIN)
    text = story.yaml()
    for private in (ID, "13912345678", "周女士"):
        assert private not in text
    doc = yaml.safe_load("stories:\n" + text)
    steps = doc["stories"][0]["steps"]
    said = steps[4]["user"]
    stand_in = said.split("[")[1].split("]")[0]
    assert said == f"我的身份证号是[{stand_in}](identity_key)" and id_number.is_valid(stand_in) and stand_in != ID
    phone = steps[7]["user"].split("[")[1].split("]")[0]
    assert parse_phone(phone) == phone
    assert phone in steps[-2]["user"] and "王先生" in steps[-2]["user"]   # same number, same stand-in; the name replaced
    assert {"active_loop": "identity_form"} in steps and {"active_loop": None} in steps
    assert {"slot_was_set": [{"identified": True}]} in steps                     # steers the dialogue
    assert all("customer_name" not in s.get("slot_was_set", [{}])[0] for s in steps)   # steers nothing: left out
    assert [s.get("action") for s in steps if "action" in s] == [
        "action_query_bill", "identity_form", "identity_form", "action_greet_customer", "action_resend"]
    assert story.unsure == 1 and "check the intent" in text                      # the 0.41 turn


def test_a_relabel_replaces_the_predicted_intent_and_a_sensor_event_keeps_no_text():
    evs = [user("EXTERNAL: EXTERNAL_face_recognized", "EXTERNAL_face_recognized",
                entities=[{"entity": "customer_id", "value": "C000001"}, {"entity": "sensor_proof", "value": "1.ab"}]),
           {"event": "action", "name": "action_greet_customer"},
           user("那个钱的事", "nlu_fallback", 0.3), {"event": "action", "name": "action_two_stage_fallback"}]
    story = story_export.build("K1-x", evs, DOMAIN, relabel={2: "query_bill"})
    steps = yaml.safe_load("stories:\n" + story.yaml())["stories"][0]["steps"]
    assert steps[0] == {"intent": "EXTERNAL_face_recognized"} and "C000001" not in story.yaml()
    assert steps[2] == {"user": "那个钱的事", "intent": "query_bill"} and story.unsure == 0
    with pytest.raises(story_export.StoryRefused, match="no customer turn 5"):
        story_export.build("K1-x", evs, DOMAIN, relabel={5: "greet"})
    with pytest.raises(story_export.StoryRefused, match="no customer turn"):
        story_export.build("K1-x", [{"event": "action", "name": "action_listen"}], DOMAIN)


def test_training_stories_hold_intents_only_and_saving_appends_under_a_free_name(tmp_path):
    story = story_export.build("web-1", events(), DOMAIN, kind="training", name="查电费")
    first = story_export.save(tmp_path, story, "training")
    second = story_export.save(tmp_path, story, "training")
    doc = yaml.safe_load(first.path.read_text(encoding="utf-8"))
    assert first.path == tmp_path / "stories" / "reviewed.yml"
    assert [s["story"] for s in doc["stories"]] == ["查电费", "查电费 (2)"] and second.name == "查电费 (2)"
    assert not any("user" in step for step in doc["stories"][0]["steps"])
    assert {"intent": "provide_id_number"} in doc["stories"][0]["steps"]


@pytest.mark.rasa
def test_a_real_conversation_kept_as_a_test_passes_rasa_test(hall, trained_model, tmp_path):
    """A conversation with the hall (query, ID number, phone, SMS code, the bill), kept: its story
    holds none of the customer's data and the trained model passes it, step by step."""
    import asyncio

    customer = hall.walk_in(3)
    conversation = hall.conversation()
    conversation.say("我想查一下电费")
    conversation.say(customer.id_number)
    conversation.say(customer.phone)
    conversation.say(hall.sms_code(customer.phone))
    conversation.say("谢谢")

    async def tracker():
        client = hall.rasa_client()
        try:
            return await client.tracker(conversation.sender)
        finally:
            await client.close()
    events = asyncio.run(tracker())["events"]
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    saved = story_export.save(tmp_path, story_export.build(conversation.sender, events, domain, name="kept"))
    text = saved.path.read_text(encoding="utf-8")
    for private in (customer.id_number, customer.phone, customer.name):
        assert private not in text, private
    result = story_check.run(load(), trained_model, saved.path.parent, out_dir=tmp_path / "out")
    assert result.ran, result.output[-3000:]
    assert result.evaluated == 1, "Rasa must read the kept file as a conversation test (test_*.yml)"
    assert result.passed, f"the kept conversation fails as a test: {result.failed}\n--- story:\n{text}"


def test_the_command_keeps_a_tracked_conversation_with_a_relabel(tmp_path, monkeypatch, capsys):
    from bot import conversations_cli
    from bot.cli import main
    from hallbot.settings import Settings
    from tests.training.test_conversations import ID_NUMBER, write_tracker

    var_dir, root = tmp_path / "var", tmp_path / "checkout"
    var_dir.mkdir()
    root.mkdir()
    (root / "domain.yml").write_text((ROOT / "domain.yml").read_text(encoding="utf-8"), encoding="utf-8")
    write_tracker(var_dir)
    monkeypatch.setattr(conversations_cli, "load", lambda: Settings(root=root, var_dir=var_dir))
    assert main(["story", "K1-0a1b2c3d4e", "--relabel", "3=ask_how_to_pay"]) == 0
    assert "tests/e2e/test_reviewed_stories.yml" in capsys.readouterr().out
    kept = (root / "tests/e2e/test_reviewed_stories.yml").read_text(encoding="utf-8")
    assert ID_NUMBER not in kept and "482913" not in kept
    steps = yaml.safe_load(kept)["stories"][0]["steps"]
    assert steps[-2] == {"user": "那个啥东西怎么弄", "intent": "ask_how_to_pay"}
    assert main(["story", "K1-nobody"]) == 1 and "no conversation" in capsys.readouterr().out
    assert main(["story", "K1-0a1b2c3d4e", "--relabel", "9=greet"]) == 1
    assert "no customer turn 9" in capsys.readouterr().out
