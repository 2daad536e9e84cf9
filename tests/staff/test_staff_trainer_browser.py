"""The trainer page in a real headless chromium: a trainer logs in, filters the conversations the
robot did not understand (private data masked on screen), relabels a message as an example of the
right intent in one click and sees the YAML change that lands in nlu_data/corrections.yml; keeps a
conversation as a conversation test with the intent it corrected; sees the training data's warnings."""
from __future__ import annotations

from tests.staff.test_staff_console_browser import browser, log_in  # noqa: F401 - the browser fixture
from tests.staff.test_staff_trainer import trainer_console, trainer_root  # noqa: F401 - fixtures
from tests.training.test_conversations import ID_NUMBER


async def test_relabel_a_misunderstood_message(trainer_console, trainer_root, browser):  # noqa: F811
    (trainer_root / "nlu_data" / "new.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: query_payment_history\n    examples: |\n      - 我的交费记录\n',
        encoding="utf-8")                                              # a trainer's new intent, one example
    page = await browser.new_page()
    await log_in(page, trainer_console.url, staff_id="S000")
    await page.wait_for_url(f"{trainer_console.url}/staff")
    await page.goto(f"{trainer_console.url}/staff/trainer")
    await page.wait_for_selector("#status:has-text('2 段对话')")
    assert ID_NUMBER not in await page.content()
    assert "4514" in await page.inner_text("#conversations")          # the masked ID number's last digits

    await page.check("input[name=fallback]")
    await page.click("#apply")
    await page.wait_for_selector("#status:has-text('1 段对话')")
    row = page.locator("tr.message.fallback")
    assert await row.locator("td.predicted").inner_text() == "nlu_fallback"
    await row.locator("input.intent").fill("request_human")
    await row.locator("button.add").click()
    await row.locator(".result.ok").wait_for()
    assert "nlu_data/corrections.yml" in await page.inner_text("#yaml-file")
    assert "- intent: request_human" in await page.inner_text("#yaml")
    saved = (trainer_root / "nlu_data/corrections.yml").read_text(encoding="utf-8")
    assert "    - 那个啥东西怎么弄" in saved

    await page.uncheck("input[name=fallback]")
    await page.click("#apply")
    await page.wait_for_selector("#status:has-text('2 段对话')")
    first = page.locator("table[data-sender='K1-0a1b2c3d4e'] tr.message").first   # the ID message: refused
    await first.locator("button.add").click()
    await first.locator(".result.error").wait_for()
    assert "private number" in await first.locator(".result").inner_text()

    handoffs = page.locator("#stats tr[data-intent='request_human'] td")
    await handoffs.first.wait_for()
    assert [await handoffs.nth(i).inner_text() for i in range(5)] == ["request_human", "1", "0.0%", "100.0%", "0.0%"]
    warnings = page.locator("#warnings li.few_examples")
    await warnings.first.wait_for()
    assert "nlu_data/new.yml:3" in await warnings.first.inner_text()

    lost = page.locator("table[data-sender='K1-0a1b2c3d4e'] tr.message.fallback")
    await lost.locator("input.intent").fill("request_human")           # corrected on the page ...
    keep = page.locator("p.keep[data-sender='K1-0a1b2c3d4e']")
    await keep.locator("button.keep-test").click()                     # ... and kept as a conversation test
    await keep.locator(".result.ok").wait_for()
    assert "tests/e2e/test_reviewed_stories.yml" in await page.inner_text("#yaml-file")
    story = await page.inner_text("#yaml")
    assert '"那个啥东西怎么弄"' in story and "intent: request_human" in story and ID_NUMBER not in story
    assert "request_human" in (trainer_root / "tests/e2e/test_reviewed_stories.yml").read_text(encoding="utf-8")
