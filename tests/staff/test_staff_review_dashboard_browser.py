"""In a real headless chromium: staff approve one paused operation and refuse another on the console
(the evidence shows as words, the kiosk's callback hears each decision), and a hall manager's
operations dashboard draws its figures and charts with the project's own chart.js and exports CSV."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.staff import HallBoard, add_routes
from bot.staff.accounts import StaffAccounts, roster_from_business
from bot.staff.reviews import ReviewLog
from bot.staff.web import CHART_JS
from bot.visits import VisitLog
from hallbot import payloads as P
from hallbot.settings import Settings
from tests.staff.conftest import PASSWORD
from tests.staff.test_staff_console_browser import browser, log_in  # noqa: F401  (the fixture)
from tests.staff.test_staff_dashboard import DAY, fill

EVIDENCE = {"abnormal": True, "judged": True, "samples": 12, "abnormal_samples": 10, "share": 0.833,
            "dominant": "fear", "window_s": 20.0, "counts": {"fear": 10, "neutral": 2}}


@pytest.fixture
async def hall_console(var_dir, business):
    visits, reviews = VisitLog(var_dir / "visits.sqlite"), ReviewLog(var_dir / "risk_reviews.sqlite")
    board = HallBoard(lambda: business, reviews=reviews)
    app = web.Application()
    accounts = StaffAccounts(var_dir / "staff_accounts.json", roster=lambda: roster_from_business(lambda: business),
                             initial_password=PASSWORD, demo=False, force_change=False, managers=frozenset({"S000"}))
    add_routes(app, board, Settings(var_dir=var_dir), accounts=accounts, visits=visits)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/"), board, visits, reviews
    await server.close()


async def test_staff_approve_and_refuse_risk_reviews(hall_console, browser, customer):  # noqa: F811
    url, board, _, reviews = hall_console
    decided = asyncio.Queue()
    board.on_review(decided.put_nowait)
    page = await browser.new_page()
    await log_in(page, url)
    await page.wait_for_selector("#conn.online")
    first = await board.risk_review("K1", "conv-1", P.RiskReview("rv-a", "pay_bill", "缴费 800.00元", customer.customer_id),
                                    EVIDENCE)
    second = await board.risk_review("K2", "conv-2", P.RiskReview("rv-b", "close_account", "销户", None), EVIDENCE)
    card_a = page.locator(f"#notices li[data-id='{first.id}']")
    card_b = page.locator(f"#notices li[data-id='{second.id}']")
    await card_a.wait_for()
    await card_b.wait_for()
    text = await card_a.inner_text()
    assert "风险复核" in text and customer.name in text and "缴费 800.00元" in text
    assert "12 个样本中 10 个异常" in text and "恐惧 10" in text and "fear" not in text   # words, not codes
    assert await page.inner_text("#notice-count") == "2"

    await card_a.locator("button.review.approve").click()
    assert (await asyncio.wait_for(decided.get(), 30)).review_id == "rv-a"
    await card_a.locator(".decision:has-text('陈静 已通过')").wait_for()
    await card_b.locator("button.review.refuse").click()
    told = await asyncio.wait_for(decided.get(), 30)
    assert (told.review_id, told.decision) == ("rv-b", "refused")
    await card_b.locator(".decision:has-text('陈静 已拒绝')").wait_for()
    assert await page.inner_text("#notice-count") == "0"
    assert [(r.review_id, r.decision, r.decided_by) for r in reviews.between(0, 1e12)] == [
        ("rv-a", "approved", "S001"), ("rv-b", "refused", "S001")]
    await page.close()


async def test_manager_dashboard_draws_the_day_and_exports_it(hall_console, browser):  # noqa: F811
    if not CHART_JS.is_file():
        pytest.skip("chart.js is not installed (scripts/post_install/dashboard.sh)")
    url, board, visits, reviews = hall_console
    fill(visits, reviews)
    page = await browser.new_page()
    await log_in(page, url, staff_id="S000")
    await page.wait_for_url(f"{url}/staff")
    await page.click("#dashboard-link")
    await page.wait_for_url(f"{url}/staff/dashboard")
    await page.fill("#day", DAY.isoformat())
    await page.dispatch_event("#day", "change")
    await page.wait_for_selector(f"body[data-loaded='{DAY}']")
    await page.wait_for_function("document.getElementById('fig-visitors').textContent === '5'")
    assert await page.inner_text("#fig-handed_off") == "2" and await page.inner_text("#fig-satisfaction") == "2.25"
    assert await page.evaluate("typeof Chart") == "function"          # served by the app, no CDN
    drawn = await page.evaluate("Object.values(Chart.instances).map(c => [c.canvas.id, c.data.datasets[0].data])")
    by_id = dict(drawn)
    assert by_id["chart-hours"][9] == 2 and by_id["chart-intents"] == [3, 1] and by_id["chart-ratings"] == [2, 1, 1]
    assert "S002" in await page.inner_text("#staff-table")
    async with page.expect_download() as download_info:
        await page.click("#csv")
    download = await download_info.value
    assert download.suggested_filename == f"hall-report-{DAY}.csv"
    content = (await download.path()).read_text(encoding="utf-8-sig") if await download.path() else ""
    assert "访客,5" in content
    other = await browser.new_page()                       # a member of staff who is not a manager
    await log_in(other, url, staff_id="S001")
    await other.wait_for_url(f"{url}/staff")
    response = await other.goto(f"{url}/staff/dashboard")
    assert response is not None and response.status == 403
    await page.close()
    await other.close()
