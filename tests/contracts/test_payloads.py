"""The custom-payload contract (hallbot/payloads.py) against its writers and readers: every
payload reads back what it wrote, domain.yml's custom responses parse, and the page's JS knows
the same types (the committed bot/static/payload_types.js is current; kiosk.js draws a card for
each `rendered` payload and for nothing outside the contract)."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from hallbot import payloads as P
from hallbot.settings import ROOT
from tests.contracts.samples import sample

STATIC = ROOT / "bot" / "static"


@pytest.mark.parametrize("name", sorted(P.PAYLOAD_TYPES))
def test_round_trip(name):
    payload = sample(P.PAYLOAD_TYPES[name])
    data = payload.to_dict()
    assert data["type"] == name
    assert P.payload_from_dict(data) == payload


def test_json_form_is_plain():
    payload = P.Bills((P.BillLine("3100000001", "2026-11", "120.5", "63.20", False),))
    assert payload.to_dict() == {"type": "bills", "bills": [{"account_no": "3100000001", "period": "2026-11",
                                                             "kwh": "120.5", "amount": "63.20", "paid": False}]}
    assert P.Error("unavailable").to_dict() == {"type": "error", "code": "unavailable"}


@pytest.mark.parametrize("data, error", [
    ({"type": "bill", "bills": []}, P.UnknownPayload),
    ({"code": "x"}, P.UnknownPayload),
    ({"type": "error"}, P.MissingField),
    ({"type": "error", "code": "x", "detail": "renamed?"}, P.UnexpectedField),
    ({"type": "bills", "bills": ["junk"]}, P.PayloadError),
    ({"type": "arrears", "items": [{"account_no": "1"}]}, P.MissingField),
    ("handoff", P.PayloadError),
])
def test_bad_payloads_are_rejected(data, error):
    with pytest.raises(error):
        P.payload_from_dict(data)
    assert issubclass(error, ValueError)


def _customs(node):
    if isinstance(node, dict):
        if isinstance(node.get("custom"), dict):
            yield node["custom"]
        for value in node.values():
            yield from _customs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _customs(value)


def test_domain_custom_responses_follow_the_contract():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert domain["responses"], "domain.yml has no responses: the check would prove nothing"
    for custom in _customs(domain["responses"]):
        P.payload_from_dict(custom)


def test_committed_js_is_generated():
    generated = subprocess.run([sys.executable, "-m", "hallbot.payloads", "--js"], capture_output=True,
                               text=True, check=True, cwd=ROOT).stdout
    assert generated == P.javascript()
    assert (STATIC / "payload_types.js").read_text(encoding="utf-8") == generated, \
        "run: .venv/bin/python -m hallbot.payloads --js > bot/static/payload_types.js"


def test_kiosk_js_handles_the_rendered_payloads():
    js = (STATIC / "kiosk.js").read_text(encoding="utf-8")
    body = js[js.index("function custom(c)"):js.index("function prompt(p)")]
    handled = set(re.findall(r'c\.type === "(\w+)"', body))
    assert handled, "kiosk.js custom(): no payload types found (renamed?)"
    assert handled - set(P.PAYLOAD_TYPES) == set(), "kiosk.js draws a payload type the contract does not have"
    rendered = {name for name, cls in P.PAYLOAD_TYPES.items() if getattr(cls, "rendered", False)}
    assert rendered - handled == set(), "a payload meant for the screen has no card in kiosk.js"


def test_kiosk_page_loads_the_contract_first():
    html = (STATIC / "kiosk.html").read_text(encoding="utf-8")
    assert html.index("/static/payload_types.js") < html.index("/static/kiosk.js")


def test_actions_build_payloads_from_the_contract():
    """No dict literal payloads in the actions: each json_message is one of hallbot.payloads."""
    sent = []
    for path in sorted((ROOT / "actions").glob("*.py")):
        for match in re.finditer(r"json_message=(\S{0,12})", path.read_text(encoding="utf-8")):
            sent.append((path.name, match[1]))
    assert sent, "no json_message in actions/ (renamed?)"
    assert [s for s in sent if not s[1].startswith("P.")] == []


def test_console_shows_payloads_and_flags_the_ones_outside_the_contract():
    from bot.chat import describe_payload

    assert describe_payload({"type": "error", "code": "forbidden"}) == '   [error] {"code": "forbidden"}'
    assert "不符合约定" in describe_payload({"type": "bill"})
