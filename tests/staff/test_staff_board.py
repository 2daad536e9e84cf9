"""HallBoard on a real seeded SQLite business system: arrivals with profile, predictions and staff,
handoffs from the action server's payload, acknowledgements, pub/sub, bounds, and the business
system being down."""
from __future__ import annotations

import asyncio

import pytest

from bot.staff import HallBoard, UnknownNotice
from bot.staff.notices import UNAVAILABLE
from business import factory
from business.adapter import ServiceUnavailable


async def test_arrival_shows_who_and_what(board, business, customer):
    arrival = await board.customer_arrived("K1", "sess-1", customer.customer_id, recently_served=True)
    assert arrival.name == customer.name and arrival.recently_served
    recs = business.recommendations(customer.customer_id, k=3)
    assert [p["title"] for p in arrival.predicted_business] == [r.title for r in recs]
    assert all(p["reason"] and p["business_name"] for p in arrival.predicted_business)
    profile = business.profile(customer.customer_id)
    assert arrival.profile_summary["customer_type"] == profile.customer_type
    assert arrival.profile_summary["credit"] == profile.credit
    assert arrival.profile_summary["customer_type_name"] in ("忠诚客户", "潜力客户", "边缘客户", "流失客户")
    top = arrival.predicted_business[0]["business_type"]
    expected = [s.staff_id for s in business.staff_for(top)][:3]
    assert expected and [s["staff_id"] for s in arrival.staff] == expected
    assert all(top in s["skills"] for s in arrival.staff)
    d = arrival.to_dict()
    assert d["kind"] == "arrival" and d["status"] == "open" and d["acked_by"] is None and d["id"] and d["ts"]
    snap = board.snapshot()
    assert [c["id"] for c in snap["customers"]] == [arrival.id]
    assert arrival.id in [n["id"] for n in snap["notices"]]


async def test_arrival_uses_the_services_the_greeting_offered_without_asking_again(business, customer):
    """The greeting's Recommendations payload is the first answer: the board does not look them up twice."""
    from hallbot import payloads

    asked: list[str] = []

    class Counting:
        def __getattr__(self, name):
            asked.append(name)
            return getattr(business, name)
    board = HallBoard(Counting)
    offered = tuple(payloads.Recommendation(r.service_code, r.title, r.reason, r.intent, r.score)
                    for r in business.recommendations(customer.customer_id, k=3))
    arrival = await board.customer_arrived("K1", "s1", customer.customer_id, recommendations=offered)
    assert [p["title"] for p in arrival.predicted_business] == [r.title for r in offered]
    assert "recommendations" not in asked and "profile" in asked
    await board.customer_arrived("K1", "s2", customer.customer_id)   # nothing offered: looked up
    assert asked.count("recommendations") == 1


async def test_unknown_and_unidentified_customers(board):
    unknown = await board.customer_arrived("K1", "s1", "C_NOPE")
    assert "未知客户" in unknown.name and unknown.predicted_business == []
    anonymous = await board.customer_arrived("K2", "s2", None)
    assert anonymous.name == "未识别客户" and anonymous.customer_id is None
    assert len(board.snapshot()["customers"]) == 2


async def test_business_down_still_shows_the_arrival(customer):
    def down():
        raise ServiceUnavailable()
    board = HallBoard(down)
    arrival = await board.customer_arrived("K1", "s1", customer.customer_id)
    assert arrival.name == UNAVAILABLE and arrival.profile_summary == {"note": UNAVAILABLE}
    handoff = await board.handoff_requested("K1", "s1", {"type": "handoff", "customer_id": customer.customer_id,
                                                          "business_type": "pay_bill", "staff": [], "transcript": []})
    assert handoff.staff == [] and handoff.name == UNAVAILABLE
    assert board.snapshot()["customers"][0]["name"] == UNAVAILABLE


async def test_handoff_from_action_payload(board, business, customer):
    await board.customer_arrived("K1", "s1", customer.customer_id)
    staff = business.staff_for("capacity_increase")
    payload = {"type": "handoff", "customer_id": customer.customer_id, "business_type": "capacity_increase",
               "staff": [{"staff_id": s.staff_id, "name": s.name} for s in staff[:3]],
               "transcript": [{"who": "customer", "text": "我想增容"}, {"who": "bot", "text": "好的，已通知工作人员"},
                              {"who": "customer", "text": ""}, "junk"]}
    handoff = await board.handoff_requested("K1", "s1", payload)
    assert handoff.name == customer.name and handoff.business_name == "增容"
    assert handoff.transcript == [{"who": "customer", "text": "我想增容"}, {"who": "robot", "text": "好的，已通知工作人员"}]
    assert [s["name"] for s in handoff.staff] == [s.name for s in staff[:3]]
    # no staff in the payload (e.g. none on duty when the action ran): the board asks the business system
    anonymous = await board.handoff_requested("K2", "s9", {"type": "handoff", "customer_id": None,
                                                           "business_type": "report_outage", "transcript": []})
    assert anonymous.name == "未识别客户" and anonymous.staff and anonymous.reason
    with pytest.raises(ValueError, match="对象"):
        await board.handoff_requested("K1", "s1", ["not", "a", "dict"])


async def test_handoff_transcript_is_masked_for_staff(board):
    """Before: every member of staff read the customer's ID number and SMS code in the transcript."""
    payload = {"type": "handoff", "business_type": "consult", "reason": "客户 13800138002 要求人工",
               "transcript": [{"who": "customer", "text": "身份证号11010519491231002X"},
                              {"who": "bot", "text": "请输入手机号"}, {"who": "customer", "text": "13800138002"},
                              {"who": "customer", "text": "验证码是123456"}, {"who": "customer", "text": "户号3100000002"}]}
    handoff = await board.handoff_requested("K1", "s1", payload)
    assert [line["text"] for line in handoff.transcript] == [
        "身份证号**************002X", "请输入手机号", "*******8002", "验证码是******", "户号******0002"]
    assert handoff.reason == "客户 *******8002 要求人工"
    assert "123456" not in str(handoff.to_dict()) and "11010519491231002X" not in str(board.snapshot())


async def test_ack_fires_callbacks_once_and_rejects_unknown_ids(board, customer):
    seen, async_seen = [], []
    board.on_ack(seen.append)

    async def kiosk(notice):
        async_seen.append(notice.acked_by["name"])
    board.on_ack(kiosk)
    board.on_ack(lambda n: 1 / 0)            # a broken kiosk callback must not break the ack
    notice = await board.enrolment_assist("K1", "s1", "人脸登记需要协助", customer.customer_id)
    assert notice.name == customer.name
    acked = await board.ack(notice.id, "S001", "陈静")
    assert acked.status == "acknowledged" and acked.acked_by == {"staff_id": "S001", "name": "陈静"}
    assert seen == [notice] and async_seen == ["陈静"]
    again = await board.ack(notice.id, "S002", "刘洋")          # the first taker keeps it
    assert again.acked_by["staff_id"] == "S001" and len(seen) == 1
    assert notice.id not in [n["id"] for n in board.snapshot()["notices"]]
    with pytest.raises(UnknownNotice, match="找不到通知"):
        await board.ack("n-missing", "S001")


async def test_subscribers_get_updates_in_order(board, customer):
    sub = board.subscribe()
    arrival = await board.customer_arrived("K1", "s1", customer.customer_id)
    await board.ack(arrival.id, "S000", "值班长吴刚")
    await board.customer_left("K1", "s1")
    events = [await asyncio.wait_for(sub.get(), 10) for _ in range(3)]
    assert [e["event"] for e in events] == ["arrival", "ack", "departure"]
    assert events[0]["notice"]["name"] == customer.name and events[2]["notice"]["name"] == customer.name
    sub.close()
    assert board.subscriber_count == 0 and await sub.get() is None


async def test_slow_subscriber_is_dropped_not_blocking(business):
    board = HallBoard(lambda: business, subscriber_queue=2)
    sub = board.subscribe()
    for i in range(5):
        await board.customer_left("K1", f"s{i}")
    assert sub.closed and board.subscriber_count == 0
    got = [u async for u in sub]
    assert len(got) == 2


async def test_memory_is_bounded(business):
    now = [1000.0]
    board = HallBoard(lambda: business, max_notices=10, departed_ttl_s=60, clock=lambda: now[0])
    for i in range(30):
        await board.customer_arrived("K1", f"s{i}", None)
    assert len(board.snapshot()["recent"]) == 10
    await board.customer_left("K1", "s29")
    left = [c for c in board.snapshot()["customers"] if c["session_id"] == "s29"]
    assert left and left[0]["left_at"] == 1000.0               # shown as departed for a while
    now[0] += 61
    assert "s29" not in [c["session_id"] for c in board.snapshot()["customers"]]
    assert len(board.snapshot()["customers"]) == 29            # still present: never purged


async def test_default_business_comes_from_the_factory(var_dir, customer):
    factory.reset()
    try:
        board = HallBoard()                                     # business.factory.get_business on HALLBOT_VAR_DIR
        arrival = await board.customer_arrived("K1", "s1", customer.customer_id)
        assert arrival.name == customer.name and arrival.predicted_business
    finally:
        factory.reset()


async def test_reason_codes_read_as_words_and_callbacks_can_be_removed(board, customer):
    from bot.staff.notices import reason_text
    assert reason_text("enrolment_live_quality") == "人脸登记未成功：现场人脸图像质量不足"
    assert reason_text("id_card_timeout") == "身份证读取多次失败：读卡超时"
    assert reason_text("dialogue_service_down").startswith("对话服务") and reason_text("客户要求") == "客户要求"
    notice = await board.enrolment_assist("K1", "s1", "enrolment_mismatch", customer.customer_id)
    assert notice.to_dict()["reason_text"] == "人脸登记未成功：人脸与身份证照片不一致"
    calls = []

    def kiosk(n):
        calls.append(n)
    remove = board.on_ack(kiosk)
    remove()
    board.off_ack(kiosk)                                         # twice: harmless
    acked = await board.ack(notice.id, "S001", "陈静")
    assert calls == [] and acked.acked_by_name == "陈静"
