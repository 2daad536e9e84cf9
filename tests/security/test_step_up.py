"""Attack 6: a face match alone must not pay, transfer, close or change capacity (step-up by risk,
actions/risk.py). Against the real hall: the trained model routes the request to the second factor
(an SMS code to the phone on file, or the ID card), the request resumes once verified, and the
visit remembers it. Each test uses its own seeded customer and phone (SMS throttles and locks are
per phone)."""
from __future__ import annotations

from decimal import Decimal

import httpx

from tests.hall import Conversation, Hall, Reply

WRONG = "000000"


USED: set[str] = set()    # customers and phones of this module's tests


def owing_customer(hall: Hall, start: int):
    """A seeded customer (not a demo one, not walk_in's) with a phone of their own here and exactly one
    account that owes money."""
    biz = hall.business()
    for n in range(start, 150):
        customer = biz.find_customer(customer_id=f"C{n:06d}")
        if not (customer and customer.phone) or {customer.customer_id, customer.phone} & USED:
            continue
        accounts = biz.accounts_of(customer.customer_id)
        if len(accounts) == 1 and biz.arrears(accounts[0].account_no) > 0:
            USED.update({customer.customer_id, customer.phone})
            return customer, accounts[0].account_no
    raise AssertionError("no seeded customer owing money")


def face_identified(hall: Hall, customer) -> Conversation:
    conversation = hall.conversation()
    greeting = conversation.event("EXTERNAL_face_recognized", customer_id=customer.customer_id)
    assert customer.name[0] in greeting.text, greeting.text
    assert conversation.slots()["identity_method"] == "face"
    return conversation


def asked_for_code(reply: Reply, phone: str) -> bool:
    return f"尾号{phone[-4:]}" in reply.text and "验证码" in reply.text


def write_slots(hall: Hall, conversation: Conversation, **slots) -> None:
    events = [{"event": "slot", "name": name, "value": value} for name, value in slots.items()]
    written = httpx.post(f"{hall.settings.rasa_url}/conversations/{conversation.sender}/tracker/events",
                         params={"token": hall.rasa_token}, json=events, timeout=30)
    assert written.status_code == 200, written.text


def test_face_alone_pays_only_after_the_sms_code_and_the_visit_remembers_it(hall):
    customer, account_no = owing_customer(hall, 40)
    owed = hall.business().arrears(account_no)
    conversation = face_identified(hall, customer)
    asked = conversation.say("我要交电费")
    assert asked_for_code(asked, customer.phone), asked.text
    assert "为了您的资金安全" in asked.text and customer.phone not in asked.text
    assert not asked.custom("confirm_payment")
    assert conversation.slots()["requested_slot"] == "sms_code"      # the kiosk shows its keypad
    code = hall.sms_code(customer.phone)
    wrong = conversation.say(WRONG if code != WRONG else "111111")
    assert "验证码不正确" in wrong.text and not wrong.custom("confirm_payment")
    assert conversation.slots()["identity_method"] == "face"
    verified = conversation.say(code)
    assert "验证成功" in verified.text
    confirm = verified.custom("confirm_payment")
    assert confirm and confirm["account_no"] == account_no and Decimal(confirm["amount"]) == owed
    assert conversation.slots()["identity_method"] == "sms"
    paid = conversation.say("确认")
    assert "缴费成功" in paid.text and paid.custom("payment")["account_no"] == account_no
    assert hall.business().arrears(account_no) == Decimal("0.00")
    # a second risky request in the same visit: no second ask
    closing = conversation.say("我要销户")
    assert "验证码" not in closing.text and "确认要办理销户" in closing.text, closing.text
    assert "已取消销户" in conversation.say("不要").text


def test_face_alone_still_shows_bills_and_arrears(hall):
    customer, account_no = owing_customer(hall, 60)
    conversation = face_identified(hall, customer)
    bills = conversation.say("我想查一下电费")
    assert bills.custom("bills") and "验证码" not in bills.text
    arrears = conversation.say("我有没有欠费")
    assert arrears.custom("arrears") and "验证码" not in arrears.text
    assert conversation.slots()["identity_method"] == "face"


def test_customer_verified_by_sms_code_is_not_asked_again(hall):
    from tests.dialogue.test_dialogue_conversations import verify_manually

    customer, account_no = owing_customer(hall, 80)
    conversation = hall.conversation()
    assert "确认身份" in conversation.say("我要验证一下身份").text
    confirmed = verify_manually(hall, conversation, customer.id_number, customer.phone)
    assert "身份确认成功" in confirmed.text
    asked = conversation.say("我要交电费")
    assert "验证码" not in asked.text
    assert asked.custom("confirm_payment")["account_no"] == account_no


def test_accepted_recommendation_to_pay_asks_the_second_factor(hall):
    customer, account_no = owing_customer(hall, 100)
    conversation = face_identified(hall, customer)
    assert conversation.slots()["offered_service"] == "pay_bill"     # the greeting recommended paying
    asked = conversation.say("好的")
    assert asked_for_code(asked, customer.phone), asked.text
    assert not asked.custom("confirm_payment")
    assert "已取消" in conversation.say("算了不办了").text
    assert hall.business().arrears(account_no) > 0


def test_id_card_instead_of_the_code_upgrades_the_identity_and_resumes_the_request(hall):
    customer, account_no = owing_customer(hall, 110)
    conversation = face_identified(hall, customer)
    assert asked_for_code(conversation.say("我要交电费"), customer.phone)
    card = conversation.say("我用身份证")
    assert card.custom("prompt") == {"type": "prompt", "kind": "id_card"}
    verified = conversation.event("EXTERNAL_id_card_verified", id_number=customer.id_number)
    assert "身份核验成功" in verified.text
    assert verified.custom("confirm_payment")["account_no"] == account_no
    assert conversation.slots()["identity_method"] == "id_card"
    assert "缴费成功" in conversation.say("确认").text


def test_wrong_codes_lock_the_step_up_and_call_staff(hall):
    customer, account_no = owing_customer(hall, 120)
    owed = hall.business().arrears(account_no)
    conversation = face_identified(hall, customer)
    assert asked_for_code(conversation.say("我要交电费"), customer.phone)
    wrong = WRONG if hall.sms_code(customer.phone) != WRONG else "111111"
    for left in (4, 3, 2, 1):
        assert f"还可以再试{left}次" in conversation.say(wrong).text
    locked = conversation.say(wrong)
    assert "锁定" in locked.text and "工作人员" in locked.text
    assert locked.custom("handoff")["reason"] == "identity_failed"
    assert hall.business().arrears(account_no) == owed
    assert conversation.slots()["identity_method"] == "face"
    again = conversation.say("我要交电费")                # the lock is told again, never a payment
    assert "锁定" in again.text and not again.custom("confirm_payment")


def test_identity_method_written_through_rasas_api_unlocks_nothing(hall):
    """A holder of Rasa's token upgrades a real face identity by writing slots: the seal was made
    for "face", so the payment is refused; only writing the routing slot gets the step-up asked."""
    customer, account_no = owing_customer(hall, 130)
    owed = hall.business().arrears(account_no)
    conversation = face_identified(hall, customer)
    write_slots(hall, conversation, identity_method="sms", second_factor=True)
    replies = [conversation.say("我要交电费"), conversation.say("确认")]
    assert not any(r.custom("payment") or "缴费成功" in r.text for r in replies), [r.text for r in replies]
    assert hall.business().arrears(account_no) == owed
    routed = face_identified(hall, customer)
    write_slots(hall, routed, second_factor=True)      # the seal still says face
    replies = [routed.say("我要交电费"), routed.say("确认")]
    assert not any(r.custom("payment") for r in replies), [r.text for r in replies]
    assert asked_for_code(replies[-1], customer.phone), replies[-1].text
    assert hall.business().arrears(account_no) == owed
