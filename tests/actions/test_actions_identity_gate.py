"""Every action that needs a confirmed identity answers an unidentified customer the same way:
one sentence and a button that starts the identity check."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.applications import ActionSubmitApplication
from actions.billing import ActionQueryBill
from actions.engagement import ActionEnrolFace
from tests.actions.test_actions_business_down import tracker


@pytest.mark.parametrize("action, what", [(ActionQueryBill, "办理"), (ActionSubmitApplication, "办理"),
                                          (ActionEnrolFace, "登记人脸")])
async def test_unidentified_customer_is_asked_to_verify_first(action, what):
    dispatcher = CollectingDispatcher()
    await action().run(dispatcher, tracker({"identified": False}), {})
    assert dispatcher.messages[0]["text"] == f"请先确认身份后再{what}。"
    assert dispatcher.messages[0]["buttons"] == [{"title": "确认身份", "payload": "/verify_identity"}]
