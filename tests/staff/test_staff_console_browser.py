"""The staff console in a real headless chromium: log in, see an arrival and a handoff appear live
(name, predicted business, transcript), acknowledge with "我来处理" (the kiosk's on_ack callback
fires), and survive a server restart by reconnecting."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.staff import add_routes
from hallbot.settings import Settings
from tests.browser_support import launch_chromium, pytest_skip_without_chromium
from tests.staff.conftest import PASSWORD


@pytest.fixture
async def browser():
    pytest_skip_without_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await launch_chromium(pw)
        yield b
        await b.close()


async def log_in(page, url: str, staff_id: str = "S001", password: str = PASSWORD) -> None:
    await page.goto(f"{url}/staff")
    assert page.url.endswith("/staff/login")
    await page.fill("#staff_id", staff_id)
    await page.fill("#password", password)
    await page.click("#login-button")


async def test_login_arrival_handoff_and_ack(console, browser, business, customer):
    acked = asyncio.Queue()
    console.board.on_ack(acked.put_nowait)
    page = await browser.new_page()
    await log_in(page, console.url, password="wrong-password")
    await page.wait_for_selector("#login-error:has-text('工号或密码错误')")
    await log_in(page, console.url)
    await page.wait_for_url(f"{console.url}/staff")
    await page.wait_for_selector("#me:has-text('陈静')")
    await page.wait_for_selector("#conn.online")

    arrival = await console.board.customer_arrived("K1", "sess-1", customer.customer_id)
    card = page.locator(f"#customers li[data-id='{arrival.id}']")
    await card.wait_for()
    text = await card.inner_text()
    assert customer.name in text and "K1" in text
    assert arrival.predicted_business and arrival.predicted_business[0]["title"] in text
    assert arrival.profile_summary["customer_type_name"] in text
    assert arrival.staff[0]["name"] in text

    payload = {"type": "handoff", "customer_id": customer.customer_id, "business_type": "capacity_increase",
               "staff": [{"staff_id": "S002", "name": "刘洋"}],
               "transcript": [{"who": "customer", "text": "我家要装充电桩，想增容"},
                              {"who": "robot", "text": "好的，已通知工作人员刘洋，马上过来为您办理增容，请稍候。"}]}
    handoff = await console.board.handoff_requested("K1", "sess-1", payload)
    hcard = page.locator(f"#notices li[data-id='{handoff.id}']")
    await hcard.wait_for()
    text = await hcard.inner_text()
    assert customer.name in text and "增容" in text and "刘洋" in text
    assert "我家要装充电桩，想增容" in text and "客户：" in text and "机器人：" in text
    assert await page.inner_text("#notice-count") == "1"

    await hcard.locator("button.ack", has_text="我来处理").click()
    notice = await asyncio.wait_for(acked.get(), 30)
    assert notice.id == handoff.id and notice.acked_by == {"staff_id": "S001", "name": "陈静"}
    await hcard.locator(".acked:has-text('陈静 已接手')").wait_for()
    assert await page.inner_text("#notice-count") == "0"

    await console.board.customer_left("K1", "sess-1")
    await card.locator(".tag:has-text('已离开')").wait_for()
    await page.close()


async def test_console_reconnects_after_server_restart(var_dir, board, business, browser, customer, monkeypatch):
    """The console's websocket drops when the app server restarts; it reconnects on its own and
    reloads the snapshot (the server-side sessions in var/ keep the login valid)."""
    monkeypatch.setenv("HALLBOT_DEMO", "1")        # demo mode: the public demo password, no forced change
    def make_app():
        app = web.Application()
        add_routes(app, board, Settings(var_dir=var_dir))
        return app

    server = TestServer(make_app(), host="127.0.0.1")
    await server.start_server()
    port = server.port
    url = f"http://127.0.0.1:{port}"
    page = await browser.new_page()
    try:
        await log_in(page, url, password="hallbot-demo")      # the documented demo default
        await page.wait_for_selector("#conn.online")
        await server.close()
        await page.wait_for_selector("#conn.offline")
        await board.customer_arrived("K2", "sess-2", customer.customer_id)   # happens while the console is away
        server = TestServer(make_app(), host="127.0.0.1", port=port)
        await server.start_server()
        await page.wait_for_selector("#conn.online", timeout=30000)
        await page.locator("#customers li", has_text=customer.name).wait_for()
    finally:
        await page.close()
        await server.close()
