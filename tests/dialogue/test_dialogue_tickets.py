"""Tickets crews and staff can act on (issue 13): an outage ticket has the whole address the
customer said and a phone to call back; a complaint is filed in the business system and its number
told to the customer."""
from __future__ import annotations

import re

from sqlalchemy import select

from business import models as m


def _row(hall, table, ticket_id: str):
    with hall.business().sessions() as s:
        return s.scalar(select(table).where(table.id == int(ticket_id[1:])))


def test_anonymous_outage_keeps_the_whole_address_and_asks_a_callback_phone(hall):
    conversation = hall.conversation()
    conversation.say("我家停电了")
    asked = conversation.say("海淀区中关村大街1号院3号801")
    assert "电话" in asked.text
    assert "不正确" in conversation.say("12345").text or conversation.slots()["requested_slot"] == "callback_phone"
    reply = conversation.say("13800138007")
    ticket = reply.custom("outage_ticket")
    assert ticket["address"] == "海淀区中关村大街1号院3号801"
    row = _row(hall, m.OutageTicket, ticket["ticket_id"])
    assert (row.address, row.phone) == ("海淀区中关村大街1号院3号801", "13800138007")
    assert "13800138007" not in reply.text and "8007" in reply.text     # said masked
    assert conversation.slots()["phone"] is None     # not taken for an identity check later


def test_identified_customer_is_called_back_on_the_registered_phone(hall):
    conversation = hall.conversation()
    conversation.event("EXTERNAL_face_recognized", customer_id="C000001")    # 张伟: two accounts
    conversation.say("我家停电了")
    reply = conversation.say("我家在朝阳区建国路88号3号801停电了")
    ticket = reply.custom("outage_ticket")
    assert ticket, reply.text       # no phone asked: the business system has it
    row = _row(hall, m.OutageTicket, ticket["ticket_id"])
    assert row.address == "朝阳区建国路88号3号801" and row.phone == "13800138001"


def test_complaint_is_filed_with_a_number(hall):
    conversation = hall.conversation()
    conversation.event("EXTERNAL_face_recognized", customer_id="C000003")
    reply = conversation.say("我要投诉你们的服务，排队太久了")
    number = re.search(r"K\d{10}", reply.text)
    assert number, reply.text
    row = _row(hall, m.Complaint, number.group())
    assert row.customer_id == "C000003" and row.phone and "排队太久" in row.text
    assert row.status == "open"


def test_complaint_about_a_high_bill_is_not_the_generic_answer(hall):
    reply = hall.conversation().say("这个月电费怎么这么贵啊，比上个月高了快一倍，我家根本没用那么多电")
    assert re.search(r"K\d{10}", reply.text), reply.text
