"""Risk reviews on the staff console (bot/staff/board.py, reviews.py, web.py): a paused operation
becomes a notice with the kiosk's evidence, staff approve or refuse it once (logged in SQLite, kept
across a restart), the kiosk is told; a review cannot be merely "acknowledged"."""
from __future__ import annotations

import pytest

from bot.staff import HallBoard
from bot.staff.board import UnknownNotice
from bot.staff.reviews import ReviewLog
from hallbot import payloads as P
from tests.staff.conftest import serve_console
from tests.staff.test_staff_web import client, csrf_of, login

EVIDENCE = {"abnormal": True, "judged": True, "samples": 12, "abnormal_samples": 10, "share": 0.833,
            "dominant": "fear", "window_s": 20.0, "counts": {"fear": 10, "neutral": 2}}


def paused(customer_id: str | None, review_id: str = "rv-1") -> P.RiskReview:
    return P.RiskReview(review_id, "pay_bill", "缴费 800.00元", customer_id)


async def test_a_review_is_logged_decided_once_and_told_to_the_kiosk(tmp_path, business, customer):
    log = ReviewLog(tmp_path / "risk_reviews.sqlite")
    board = HallBoard(lambda: business, reviews=log)
    told = []
    board.on_review(told.append)
    updates = board.subscribe()
    notice = await board.risk_review("K1", "conv-1", paused(customer.customer_id), EVIDENCE)
    assert notice.name == customer.name and notice.evidence == EVIDENCE
    assert (await updates.get())["event"] == "risk_review"
    assert [n["kind"] for n in board.snapshot()["notices"]] == ["risk_review"]
    with pytest.raises(UnknownNotice):
        await board.ack(notice.id, "S001", "陈静")       # decided, not acknowledged
    await board.decide(notice.id, "S001", "陈静", approve=False)
    await board.decide(notice.id, "S002", "王磊", approve=True)   # too late: the first decision stands
    assert notice.decision == "refused" and notice.acked_by == {"staff_id": "S001", "name": "陈静"}
    assert [n.decision for n in told] == ["refused"]
    log.close()
    record = ReviewLog(tmp_path / "risk_reviews.sqlite").get("rv-1")   # a restarted app reads the record
    assert record is not None and (record.decision, record.decided_by, record.operation) == ("refused", "S001", "pay_bill")
    assert record.evidence == EVIDENCE and record.customer_id == customer.customer_id
    assert (tmp_path / "risk_reviews.sqlite").stat().st_mode & 0o077 == 0


async def test_staff_decide_on_the_console_api(var_dir, business, customer):
    board = HallBoard(lambda: business, reviews=ReviewLog(var_dir / "risk_reviews.sqlite"))
    console = await serve_console(var_dir, board, business)
    try:
        notice = await board.risk_review("K1", "conv-1", paused(customer.customer_id), EVIDENCE)
        async with client() as s:
            assert (await login(s, console.url)).status == 302
            url = f"{console.url}/staff/api/review/{notice.id}"
            assert (await s.post(f"{url}/approve")).status == 403               # no CSRF token
            csrf = await csrf_of(s, console.url)
            assert (await s.post(f"{url}/maybe", headers={"X-CSRF-Token": csrf})).status == 400
            r = await s.post(f"{url}/approve", headers={"X-CSRF-Token": csrf})
            assert r.status == 200 and (await r.json())["notice"]["decision"] == "approved"
            arrival = await board.customer_arrived("K2", "conv-2", customer.customer_id)
            r = await s.post(f"{console.url}/staff/api/review/{arrival.id}/approve", headers={"X-CSRF-Token": csrf})
            assert r.status == 404                                              # not a review
        assert board.reviews is not None and board.reviews.get("rv-1").decided_by == "S001"
    finally:
        await console.server.close()
