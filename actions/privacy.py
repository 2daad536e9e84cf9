"""Withdrawing face-recognition consent at the kiosk (issue 12): "删除我的人脸信息", confirmed by
the customer (stories/privacy.yml asks utter_confirm_delete_face first).

Where the deletion runs: in the app server, not here. The action server holds no face service;
the app does (its gallery's ANN index, its recently-served memory, the face service's sessions),
so deleting in SQL from here would leave the running index and memory to a later refresh. The
action therefore only answers, for the identity it sealed itself (`trusted_customer_id`), with a
FaceDeletion payload; the kiosk session erases *its own* identified customer's face through
bot.privacy.erase_face (every store at once) and confirms on screen and by voice. A payload naming
anyone else is refused there, so a forged reply can at most delete the face of whoever the
session itself identified. No second factor is asked: deleting only costs convenience."""
from __future__ import annotations

from rasa_sdk import Action

from actions.services import ask_to_identify_first, guarded
from actions.trust import trusted_customer_id
from hallbot import payloads as P


class ActionDeleteFace(Action):
    def name(self) -> str:
        return "action_delete_face"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        customer_id = trusted_customer_id(tracker)
        if customer_id is None:
            ask_to_identify_first(dispatcher, "删除人脸信息")
            return []
        dispatcher.utter_message(text="好的，正在为您删除人脸信息、撤回人脸识别授权。",
                                 json_message=P.FaceDeletion(customer_id).to_dict())
        return []
