"""Numbers said as words reach the trained NLU as digits (rasa_addons/spoken_numbers.py): the right
entity with the digits as its value, its span on what the customer said."""
import httpx
import pytest


def parse(hall, text: str) -> dict:
    response = httpx.post(f"{hall.settings.rasa_url}/model/parse", params={"token": hall.rasa_token},
                          json={"text": text}, timeout=30)
    response.raise_for_status()
    return response.json()


@pytest.mark.parametrize("text, entity, value, said, intent", [
    ("户号是幺二零幺九七四四零三", "account_no", "1201974403", "幺二零幺九七四四零三", "provide_account_number"),
    ("我的手机号是一三八 一二三四 五六七八", "phone", "13812345678", "一三八 一二三四 五六七八", "provide_phone"),
])
def test_spoken_digits_become_the_right_entity(hall, text, entity, value, said, intent):
    parsed = parse(hall, text)
    assert parsed["text"] == text                       # the customer's own words, not the rewrite
    assert parsed["intent"]["name"] == intent
    found = [e for e in parsed["entities"] if e["entity"] == entity]
    assert [e["value"] for e in found] == [value]
    assert text[found[0]["start"]:found[0]["end"]] == said


def test_words_that_only_look_like_numbers_are_no_entity(hall):
    parsed = parse(hall, "等一下，我一直想问万一停电了怎么办")
    assert not [e for e in parsed["entities"] if e["entity"] in {"account_no", "phone", "sms_code", "id_number"}]
