"""The kiosk page keeps the latest reply in view: cards and buttons arrive after the reply's bubble
and shrink the conversation pane, which cut the reply off when scrolled only on append (issue 13).
Only the page runs here, in a real Chromium: its files served from bot/static, its WebSocket a
stand-in that the test feeds the server's messages through."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser_support import launch_chromium, pytest_skip_without_chromium

STATIC = Path(__file__).resolve().parents[2] / "bot" / "static"
FAKE_SOCKET = """
window.__sockets = [];
window.WebSocket = class {
  constructor(url) { this.url = url; this.readyState = 1; window.__sockets.push(this);
                     setTimeout(() => this.onopen && this.onopen(), 0); }
  send() {}
  close() {}
};
"""


@pytest.fixture
def page():
    pytest_skip_without_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1024, "height": 640})
        page.add_init_script(FAKE_SOCKET)

        def serve(route):
            name = route.request.url.split("?")[0].rsplit("/", 1)[-1] or "kiosk.html"
            path = STATIC / name
            if not path.is_file():
                return route.fulfill(status=404, body="")
            kind = {"html": "text/html", "js": "text/javascript", "css": "text/css"}.get(path.suffix[1:], "text/plain")
            return route.fulfill(status=200, body=path.read_bytes(), content_type=f"{kind}; charset=utf-8")

        page.route("http://kiosk.test/**", serve)
        page.goto("http://kiosk.test/kiosk.html")
        page.wait_for_function("window.__sockets.length > 0 && typeof window.__sockets[0].onmessage === \"function\"")
        yield page
        browser.close()


def push(page, message: dict) -> None:
    page.evaluate("m => window.__sockets[0].onmessage({data: m})", json.dumps(message, ensure_ascii=False))


def latest_reply_visible(page) -> bool:
    return page.evaluate("""() => {
        const pane = document.getElementById("conversation").getBoundingClientRect();
        const bubbles = document.querySelectorAll("#conversation .msg");
        const last = bubbles[bubbles.length - 1].getBoundingClientRect();
        return last.bottom <= pane.bottom + 1 && last.top >= pane.top - 1;
    }""")


def test_latest_reply_stays_in_view_when_cards_fill_the_pane(page):
    for n in range(12):
        push(page, {"type": "user_text", "text": f"第{n}个问题"})
        push(page, {"type": "bot", "text": f"第{n}个回答，" + "内容" * 30})
    bills = [{"account_no": "3100000001", "period": f"2026-{m:02d}", "kwh": "300", "amount": "150.00", "paid": False}
             for m in range(1, 7)]
    push(page, {"type": "bot", "text": "您最近的账单如下，最后一行是最新的回复。",
                "buttons": [{"title": "立即缴纳电费", "id": "b1"}, {"title": "打印发票", "id": "b2"}],
                "custom": {"type": "bills", "bills": bills}})
    push(page, {"type": "bot", "text": "工作人员马上过来。",
                "custom": {"type": "handoff", "staff": [{"staff_id": "S001", "name": "陈静"}]}})
    page.wait_for_timeout(300)     # layout and the page's resize handling settle
    assert page.locator("#cards .card").count() >= 2
    assert latest_reply_visible(page), "the latest reply is cut off below the conversation pane"
