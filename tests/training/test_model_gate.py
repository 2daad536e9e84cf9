"""The held-out before/after check that decides whether a new model may go into service."""
from __future__ import annotations

from bot.model_gate import judge, render_svg, render_text
from bot.model_versions import HeldOutScores

BEFORE = HeldOutScores(0.80, 0.75, {"greet": 0.90, "pay_bill": 0.70, "outage": 0.60}, 200)


def test_a_drop_beyond_the_threshold_blocks_the_switch():
    after = HeldOutScores(0.78, 0.76, {"greet": 0.90, "pay_bill": 0.50, "outage": 0.85}, 200)
    verdict = judge(BEFORE, after, max_drop=0.01)
    assert verdict.blocked
    assert verdict.reasons == ("held-out accuracy drops 0.800 -> 0.780 (more than 0.010)",)
    assert verdict.intents[0].intent == "pay_bill"      # worst first
    assert verdict.intents[-1].intent == "outage"


def test_a_drop_within_the_threshold_passes():
    after = HeldOutScores(0.795, 0.745, BEFORE.per_intent_f1, 200)
    assert not judge(BEFORE, after, max_drop=0.01).blocked
    assert judge(BEFORE, after, max_drop=0.0).blocked


def test_nothing_in_service_lets_the_first_model_in():
    verdict = judge(None, BEFORE, max_drop=0.0)
    assert not verdict.blocked
    assert all(c.before is None for c in verdict.intents)


def test_the_report_lists_changed_intents_and_the_verdict():
    after = HeldOutScores(0.70, 0.70, {"greet": 0.90, "pay_bill": 0.40, "new_intent": 0.5}, 200)
    verdict = judge(BEFORE, after, max_drop=0.01)
    text = render_text(verdict, "old", "new")
    assert "old -> new" in text
    assert "pay_bill" in text and "-0.300" in text
    assert "greet" not in text                          # unchanged intents are left out
    assert "new_intent" in text and "outage" in text    # added and gone ones are shown
    assert text.count("BLOCKED") == 2
    svg = render_svg(verdict, "old", "new")
    assert svg.startswith("<svg") and svg.count("<rect") == 2 + 2 + 1 + 1   # greet, pay_bill both; outage, new_intent one
