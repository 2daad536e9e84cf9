"""The staff console's 删除人脸信息 panel in headless chromium: it asks to confirm, and only an
accepted confirmation deletes (the fixtures of test_staff_face_delete.py: a running face service)."""
from __future__ import annotations

import asyncio

from business.demo import DEMO_CUSTOMERS
from tests.security.test_face_erasure import enrol, identified
from tests.staff.test_staff_face_delete import console_url, faces, kept  # noqa: F401  (fixtures)

ZW, LN, _ = DEMO_CUSTOMERS


async def test_console_page_asks_to_confirm_then_deletes(console_url, faces, business):  # noqa: F811
    """In chromium: the 删除人脸信息 panel asks to confirm (dismissed: nothing happens; accepted: deleted)."""
    from tests.browser_support import launch_chromium, pytest_skip_without_chromium
    from tests.staff.test_staff_console_browser import log_in

    pytest_skip_without_chromium()
    from playwright.async_api import async_playwright

    vec = enrol(faces, LN.customer_id, LN.face_id, 1)
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        try:
            page = await browser.new_page()
            await log_in(page, console_url)
            await page.wait_for_url(f"{console_url}/staff")
            dialogs: list[str] = []

            async def dismiss(dialog):
                dialogs.append(dialog.message)
                await dialog.dismiss()
            page.once("dialog", dismiss)
            await page.fill("#face-delete input[name=customer_id]", LN.customer_id)
            await page.click("#face-delete button")
            await asyncio.sleep(0.5)
            assert dialogs and "确定删除" in dialogs[0]
            assert kept(faces, business, LN, vec)

            async def accept(dialog):
                await dialog.accept()
            page.once("dialog", accept)
            await page.click("#face-delete button")
            await page.wait_for_selector("#face-delete-result:has-text('已删除客户 C000002 的人脸信息')")
            assert identified(faces, vec) is None
            assert business.find_customer(customer_id=LN.customer_id).face_id is None
        finally:
            await browser.close()
