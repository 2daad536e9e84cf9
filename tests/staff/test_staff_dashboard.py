"""The operations dashboard (bot/staff/dashboard.py, web.py): a day's figures from the visit record and
the risk-review log, the live figures from the board, the CSV export, and the manager-only access.
Visits are written on a fixed day (not today: the suite runs with the date moved)."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from bot.staff import HallBoard
from bot.staff.accounts import StaffAccounts, roster_from_business
from bot.staff.dashboard import daily_report, day_bounds, live_figures, to_csv
from bot.staff.reviews import ReviewLog, ReviewRecord
from bot.visits import VisitLog
from tests.staff.conftest import PASSWORD
from tests.staff.test_staff_web import client, login

DAY = dt.date(2026, 3, 14)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> float:
    return day_bounds(day)[0] + hour * 3600 + minute * 60


def fill(visits: VisitLog, reviews: ReviewLog) -> None:
    """Five visits on DAY (one on the day after): 2 recognised, 1 by SMS, 2 anonymous; 2 handoffs."""
    plan = [("v1", 9, "C1", True, True, "S001", 3), ("v2", 9, "C2", True, False, None, 2),
            ("v3", 10, "C3", False, True, "S002", 1), ("v4", 14, None, False, False, None, None),
            ("v5", 14, None, False, False, None, 3)]
    for cid, hour, customer, recognised, handed, staff, rating in plan:
        visits.started(cid, "K1", at(hour, 5))
        if customer:
            visits.identified(cid, customer, recognised)
        if handed:
            visits.handed_off(cid)
        if staff:
            visits.handled_by(cid, staff)
        if rating:
            visits.rated(cid, rating)
        visits.ended(cid, at(hour, 9), {"samples": 20, "dominant": "neutral", "negative_share": 0.1})
    for n, intent in enumerate(["query_bill", "query_bill", "pay_bill", "affirm", "nlu_fallback", "query_bill"]):
        visits.turn("v1", at(9, 6 + n), intent, fallback=intent == "nlu_fallback")
    visits.started("next-day", "K1", at(9, day=DAY + dt.timedelta(days=1)))
    for rid, decision in (("rv1", "approved"), ("rv2", "refused"), ("rv3", None)):
        reviews.opened(ReviewRecord(rid, "K1", "v1", "pay_bill", "C1", {"abnormal": True}, at(9, 7)))
        if decision:
            reviews.decided(rid, decision, "S001", at(9, 8))


def test_the_days_figures_add_up(tmp_path):
    visits, reviews = VisitLog(tmp_path / "visits.sqlite"), ReviewLog(tmp_path / "reviews.sqlite")
    fill(visits, reviews)
    r = daily_report(visits, reviews, DAY)
    assert (r.visitors, r.recognised, r.identified_otherwise, r.anonymous) == (5, 2, 1, 2)
    assert (r.handed_off, r.robot_only) == (2, 3)
    assert (r.turns, r.fallback_turns, r.fallback_rate) == (6, 1, round(1 / 6, 3))
    assert [(i["intent"], i["name"], i["count"]) for i in r.top_intents] == [("query_bill", "查询电费", 3),
                                                                           ("pay_bill", "缴纳电费", 1)]
    assert (r.reviews_opened, r.reviews_approved, r.reviews_refused, r.reviews_open) == (3, 1, 1, 1)
    assert (r.ratings, r.satisfaction, r.rating_counts) == (4, 2.25, {"满意": 2, "一般": 1, "不满意": 1})
    assert [(s.staff_id, s.handled, s.satisfaction) for s in r.by_staff] == [("S001", 1, 3.0), ("S002", 1, 1.0)]
    assert r.visitors_by_hour[9] == 2 and r.visitors_by_hour[14] == 2 and sum(r.visitors_by_hour) == 5
    empty = daily_report(visits, None, DAY - dt.timedelta(days=1))
    assert (empty.visitors, empty.fallback_rate, empty.satisfaction) == (0, None, None)
    rows = dict(csv.reader(io.StringIO(to_csv(r))))
    assert rows["访客"] == "5" and rows["复核通过"] == "1" and rows["业务:查询电费"] == "3" and rows["员工:S002:满意度"] == "1.0"


def test_live_figures_come_from_the_board():
    snapshot = {"customers": [{"left_at": None}, {"left_at": 5.0}],
                "notices": [{"kind": "handoff"}, {"kind": "risk_review"}, {"kind": "enrolment_assist"}]}
    assert live_figures(snapshot) == {"at_kiosks": 1, "open_requests": 2, "open_reviews": 1}


@pytest.fixture
async def dashboard_console(var_dir, business):
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from bot.staff import add_routes
    from hallbot.settings import Settings

    visits, reviews = VisitLog(var_dir / "visits.sqlite"), ReviewLog(var_dir / "risk_reviews.sqlite")
    fill(visits, reviews)
    app = web.Application()
    accounts = StaffAccounts(var_dir / "staff_accounts.json", roster=lambda: roster_from_business(lambda: business),
                             initial_password=PASSWORD, demo=False, force_change=False, managers=frozenset({"S000"}))
    add_routes(app, HallBoard(lambda: business, reviews=reviews), Settings(var_dir=var_dir), accounts=accounts,
               visits=visits)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


async def test_only_managers_see_the_dashboard_and_its_export(dashboard_console):
    url = dashboard_console
    async with client() as staff:
        assert (await login(staff, url, "S001")).status == 302
        assert (await staff.get(f"{url}/staff/dashboard")).status == 403
        assert (await staff.get(f"{url}/staff/api/dashboard?day={DAY}")).status == 403
        assert (await staff.get(f"{url}/staff/api/dashboard.csv?day={DAY}")).status == 403
    async with client() as manager:
        assert (await manager.get(f"{url}/staff/api/dashboard")).status == 401
        assert (await login(manager, url, "S000")).status == 302
        page = await manager.get(f"{url}/staff/dashboard")
        assert page.status == 200 and "/staff/vendor/chart.umd.min.js" in await page.text()
        body = await (await manager.get(f"{url}/staff/api/dashboard?day={DAY}")).json()
        assert body["report"]["visitors"] == 5 and body["live"] == {"at_kiosks": 0, "open_requests": 0, "open_reviews": 0}
        assert (await manager.get(f"{url}/staff/api/dashboard?day=14.3.2026")).status == 400
        export = await manager.get(f"{url}/staff/api/dashboard.csv?day={DAY}")
        assert export.status == 200 and f"hall-report-{DAY}.csv" in export.headers["Content-Disposition"]
        assert dict(csv.reader(io.StringIO((await export.read()).decode("utf-8-sig"))))["转人工"] == "2"
