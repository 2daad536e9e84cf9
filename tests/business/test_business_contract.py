"""The BusinessSystem contract: the same tests over the SQL system (SQLite and PostgreSQL) and
over the HTTP adapter talking to the real API."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from business import models as m
from business.adapter import BusinessError, BusinessSystem, Forbidden, NotFound
from business.demo import DEMO_CUSTOMERS

ZW, LN, WQ = DEMO_CUSTOMERS


def _count(backend, table) -> int:
    with backend.sql.sessions() as s:
        return s.scalar(select(func.count()).select_from(table))


def test_implements_protocol(backend):
    assert isinstance(backend.biz, BusinessSystem)


@pytest.mark.parametrize("key", ["customer_id", "phone", "id_number", "account_no", "face_id"])
def test_find_demo_customers_by_each_key(backend, key):
    for demo in DEMO_CUSTOMERS:
        value = {"customer_id": demo.customer_id, "phone": demo.phone, "id_number": demo.id_number,
                 "account_no": demo.account, "face_id": demo.face_id}[key]
        if value is None:
            continue
        found = backend.biz.find_customer(**{key: value})
        assert found is not None, (key, value)
        assert (found.customer_id, found.name, found.phone, found.id_number, found.face_id) == (
            demo.customer_id, demo.name, demo.phone, demo.id_number, demo.face_id)
        assert found.customer_type in ("loyal", "potential", "marginal", "churned")


def test_clear_face_id_forgets_the_link_to_the_face(backend):
    """A customer who withdrew face-recognition consent: the record keeps no face id (issue 12)."""
    assert backend.biz.find_customer(face_id=LN.face_id).customer_id == LN.customer_id
    assert backend.biz.clear_face_id(LN.customer_id) is True
    assert backend.biz.find_customer(face_id=LN.face_id) is None
    assert backend.biz.find_customer(customer_id=LN.customer_id).face_id is None
    assert backend.biz.clear_face_id(LN.customer_id) is False          # nothing left: idempotent
    assert backend.biz.find_customer(customer_id=ZW.customer_id).face_id == ZW.face_id   # nobody else's
    with pytest.raises(NotFound):
        backend.biz.clear_face_id("C999999")


def test_find_normalises_input(backend):
    assert backend.biz.find_customer(phone="+86 138-0013-8001").customer_id == ZW.customer_id
    assert backend.biz.find_customer(account_no="３１００ ０００００２").customer_id == LN.customer_id


def test_find_unknown_is_none(backend):
    assert backend.biz.find_customer(phone="13900000000") is None
    assert backend.biz.find_customer(face_id="face-nobody") is None
    assert backend.biz.find_customer(account_no="3999999999") is None


@pytest.mark.parametrize("kwargs, code, words", [
    ({"id_number": "110101198503071234"}, "invalid_id_number", "校验位"),
    ({"id_number": "1101011985"}, "invalid_id_number", "18位"),
    ({"phone": "12345"}, "invalid_phone", "手机号"),
    ({"account_no": "31000"}, "invalid_account_no", "10位"),
    ({}, "missing_identity", "身份证"),
])
def test_find_rejects_bad_input(backend, kwargs, code, words):
    with pytest.raises(BusinessError) as err:
        backend.biz.find_customer(**kwargs)
    assert err.value.code == code and words in err.value.message and err.value.status == 400


def test_accounts_and_roles(backend):
    zw = {a.account_no: a for a in backend.biz.accounts_of(ZW.customer_id)}
    assert set(zw) == {"3100000001", "3100000004"} and {a.role for a in zw.values()} == {"holder"}
    ln = backend.biz.accounts_of(LN.customer_id)
    assert [(a.account_no, a.role) for a in ln] == [("3100000002", "holder"), ("3100000001", "family")]
    assert ln[1].customer_id == ZW.customer_id and ln[1].category == "居民"
    wq = backend.biz.accounts_of(WQ.customer_id)
    assert [(a.account_no, a.category) for a in wq] == [("3100000003", "非居民")]
    with pytest.raises(NotFound):
        backend.biz.accounts_of("C999999")


def test_bills_and_arrears(backend):
    bills = backend.biz.bills("3100000001", months=3)
    assert len(bills) == 3 and [b.period for b in bills] == ["2026-10", "2026-09", "2026-08"]
    latest = bills[0]
    assert latest.paid is False and latest.amount == Decimal("286.50") and isinstance(latest.amount, Decimal)
    assert all(b.paid for b in bills[1:])
    assert backend.biz.arrears("3100000001") == Decimal("286.50")
    for no in ("3100000002", "3100000003", "3100000004"):
        assert backend.biz.arrears(no) == Decimal("0.00")
        assert all(b.paid for b in backend.biz.bills(no, months=24))
    assert len(backend.biz.bills("3100000002", months=24)) == 24


def test_bills_bad_input(backend):
    with pytest.raises(NotFound) as err:
        backend.biz.bills("3999999999")
    assert "3999999999" in err.value.message
    with pytest.raises(BusinessError) as err:
        backend.biz.bills("abc")
    assert err.value.status == 400
    with pytest.raises(BusinessError) as err:
        backend.biz.bills("3100000001", months=0)
    assert err.value.code == "invalid_months"


def test_family_member_pays_in_full(backend):
    payment = backend.biz.pay("3100000001", Decimal("286.50"), channel="robot", actor_customer_id=LN.customer_id)
    assert payment.amount == Decimal("286.50") and payment.balance_after == Decimal("0.00")
    assert payment.account_no == "3100000001" and payment.payment_id.startswith("P")
    assert backend.biz.arrears("3100000001") == Decimal("0.00")
    assert backend.biz.bills("3100000001", months=1)[0].paid is True


def test_partial_payment_then_rest(backend):
    first = backend.biz.pay("3100000001", Decimal("100.00"), channel="robot", actor_customer_id=ZW.customer_id)
    assert first.balance_after == Decimal("186.50")
    assert backend.biz.bills("3100000001", months=1)[0].paid is False
    second = backend.biz.pay("3100000001", Decimal("186.50"), channel="robot", actor_customer_id=ZW.customer_id)
    assert second.balance_after == Decimal("0.00") and backend.biz.bills("3100000001", months=1)[0].paid


def test_pay_forbidden_writes_nothing(backend):
    before = _count(backend, m.Payment)
    with pytest.raises(Forbidden) as err:
        backend.biz.pay("3100000001", Decimal("286.50"), channel="robot", actor_customer_id=WQ.customer_id)
    assert err.value.status == 403 and "户主" in err.value.message
    assert backend.biz.arrears("3100000001") == Decimal("286.50")
    assert _count(backend, m.Payment) == before


@pytest.mark.parametrize("amount, code", [
    (Decimal("0"), "invalid_amount"), (Decimal("-5"), "invalid_amount"), (Decimal("1.234"), "invalid_amount"),
    ("abc", "invalid_amount"), (Decimal("200000"), "amount_too_large")])
def test_pay_rejects_bad_amounts(backend, amount, code):
    with pytest.raises(BusinessError) as err:
        backend.biz.pay("3100000001", amount, channel="robot", actor_customer_id=ZW.customer_id)
    assert err.value.code == code and err.value.status == 400
    assert backend.biz.arrears("3100000001") == Decimal("286.50")


def test_pay_unknown_actor_and_channel(backend):
    with pytest.raises(NotFound):
        backend.biz.pay("3100000001", Decimal("1.00"), channel="robot", actor_customer_id="C999999")
    with pytest.raises(BusinessError) as err:
        backend.biz.pay("3100000001", Decimal("1.00"), channel="pigeon", actor_customer_id=ZW.customer_id)
    assert err.value.code == "invalid_channel"


def test_concurrent_payments_are_not_lost(backend):
    errors = []

    def pay_ten():
        try:
            backend.biz.pay("3100000001", Decimal("10.00"), channel="robot", actor_customer_id=ZW.customer_id)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
    threads = [threading.Thread(target=pay_ten) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert backend.biz.arrears("3100000001") == Decimal("226.50")


def test_invoice_rules(backend):
    inv = backend.biz.issue_invoice("3100000002", None, actor_customer_id=LN.customer_id)
    assert inv.period == "2026-10" and inv.account_no == "3100000002" and inv.amount > 0
    again = backend.biz.issue_invoice("3100000002", "2026-10", actor_customer_id=LN.customer_id)
    assert again.invoice_id == inv.invoice_id
    with pytest.raises(BusinessError) as err:
        backend.biz.issue_invoice("3100000001", "2026-10", actor_customer_id=ZW.customer_id)
    assert err.value.code == "bill_unpaid" and "缴" in err.value.message
    backend.biz.pay("3100000001", Decimal("286.50"), channel="robot", actor_customer_id=ZW.customer_id)
    assert backend.biz.issue_invoice("3100000001", "2026-10", actor_customer_id=ZW.customer_id).amount == Decimal("286.50")
    with pytest.raises(Forbidden):
        backend.biz.issue_invoice("3100000003", None, actor_customer_id=ZW.customer_id)
    with pytest.raises(NotFound):
        backend.biz.issue_invoice("3100000002", "2019-01", actor_customer_id=LN.customer_id)
    with pytest.raises(BusinessError) as err:
        backend.biz.issue_invoice("3100000002", "2026/10", actor_customer_id=LN.customer_id)
    assert err.value.code == "invalid_period"


def test_transfer_only_by_holder(backend):
    before = _count(backend, m.Application)
    with pytest.raises(Forbidden) as err:
        backend.biz.create_application("transfer", customer_id=LN.customer_id, account_no="3100000001",
                                       details={"new_holder_name": "李娜"})
    assert "户主" in err.value.message
    with pytest.raises(Forbidden):
        backend.biz.create_application("closing", customer_id=LN.customer_id, account_no="3100000001", details={})
    assert _count(backend, m.Application) == before
    app = backend.biz.create_application("transfer", customer_id=ZW.customer_id, account_no="3100000004",
                                         details={"new_holder_name": "赵六", "new_holder_id_number": "110101199001011237"})
    assert app.kind == "transfer" and app.status == "submitted" and app.account_no == "3100000004"
    assert backend.biz.get_application(app.application_id) == app
    with pytest.raises(BusinessError) as err:
        backend.biz.create_application("transfer", customer_id=ZW.customer_id, account_no="3100000004",
                                       details={"new_holder_name": "赵六"})
    assert err.value.code == "duplicate_application" and app.application_id in err.value.message
    assert _count(backend, m.Application) == before + 1


def test_transfer_needs_valid_new_holder(backend):
    with pytest.raises(BusinessError) as err:
        backend.biz.create_application("transfer", customer_id=ZW.customer_id, account_no="3100000004", details={})
    assert err.value.code == "missing_new_holder"
    with pytest.raises(BusinessError) as err:
        backend.biz.create_application("transfer", customer_id=ZW.customer_id, account_no="3100000004",
                                       details={"new_holder_name": "赵六", "new_holder_id_number": "110101199001011230"})
    assert err.value.code == "invalid_id_number"


def test_closing_needs_no_arrears(backend):
    with pytest.raises(BusinessError) as err:
        backend.biz.create_application("closing", customer_id=ZW.customer_id, account_no="3100000001", details={})
    assert err.value.code == "arrears_outstanding" and "286.50" in err.value.message
    app = backend.biz.create_application("closing", customer_id=ZW.customer_id, account_no="3100000004", details={})
    assert app.kind == "closing"


def test_capacity_increase(backend):
    with pytest.raises(BusinessError) as err:
        backend.biz.create_application("capacity_increase", customer_id=WQ.customer_id, account_no="3100000003",
                                       details={"capacity_kva": "40"})
    assert err.value.code == "invalid_capacity" and "50" in err.value.message
    with pytest.raises(Forbidden):
        backend.biz.create_application("capacity_increase", customer_id=LN.customer_id, account_no="3100000001",
                                       details={"capacity_kva": "20"})
    app = backend.biz.create_application("capacity_increase", customer_id=WQ.customer_id, account_no="3100000003",
                                         details={"capacity_kva": "80"})
    assert app.status == "submitted"


def test_new_connection_and_bad_kinds(backend):
    with pytest.raises(BusinessError) as err:
        backend.biz.create_application("new_connection", customer_id=LN.customer_id, account_no=None, details={})
    assert err.value.code == "missing_address"
    app = backend.biz.create_application("new_connection", customer_id=LN.customer_id, account_no=None,
                                         details={"address": "上海市徐汇区宜山路100号", "capacity_kva": "8"})
    assert app.account_no is None and app.kind == "new_connection"
    with pytest.raises(BusinessError) as err:
        backend.biz.create_application("demolish", customer_id=LN.customer_id, account_no=None, details={})
    assert err.value.code == "invalid_kind"
    with pytest.raises(BusinessError):
        backend.biz.create_application("transfer", customer_id=ZW.customer_id, account_no=None, details={})
    with pytest.raises(NotFound):
        backend.biz.create_application("new_connection", customer_id="C999999", account_no=None,
                                       details={"address": "上海市徐汇区宜山路100号"})
    with pytest.raises(BusinessError) as err:
        backend.biz.get_application("X1")
    assert err.value.code == "invalid_application_id"
    with pytest.raises(NotFound):
        backend.biz.get_application("A9999999999")


def test_report_outage(backend):
    planned = backend.biz.report_outage(address="上海市浦东新区幸福路100号", phone="13800138001",
                                        description="家里停电了", customer_id=ZW.customer_id)
    assert planned.status == "planned" and "幸福路" in planned.planned_outage and planned.ticket_id.startswith("T")
    plain = backend.biz.report_outage(address="上海市静安区南京西路1266弄3号801室", phone=None, description="跳闸")
    assert plain.status == "dispatched" and plain.planned_outage is None
    with pytest.raises(BusinessError) as err:
        backend.biz.report_outage(address="  ", phone=None, description="")
    assert err.value.code == "missing_address"
    with pytest.raises(BusinessError) as err:
        backend.biz.report_outage(address="上海市浦东新区幸福路100号", phone="123", description="")
    assert err.value.code == "invalid_phone"


def test_file_complaint_is_stored_and_numbered(backend):
    before = _count(backend, m.Complaint)
    filed = backend.biz.file_complaint(text="上个月电费比平时高了一倍，抄表是不是错了", phone="+86 138-0013-8001",
                                       customer_id=ZW.customer_id)
    assert filed.ticket_id.startswith("K") and filed.ticket_id[1:].isdigit() and len(filed.ticket_id) == 11
    assert filed.status == "open" and filed.callback is True
    anonymous = backend.biz.file_complaint(text="排队太久")
    assert anonymous.ticket_id != filed.ticket_id and anonymous.callback is False
    assert _count(backend, m.Complaint) == before + 2
    with backend.sql.sessions() as s:
        row = s.get(m.Complaint, int(filed.ticket_id[1:]))
        assert (row.phone, row.customer_id, row.text) == ("13800138001", ZW.customer_id, "上个月电费比平时高了一倍，抄表是不是错了")
    with pytest.raises(BusinessError) as err:
        backend.biz.file_complaint(text="   ")
    assert err.value.code == "missing_text"
    with pytest.raises(BusinessError) as err:
        backend.biz.file_complaint(text="服务差", phone="123")
    assert err.value.code == "invalid_phone"
    with pytest.raises(NotFound):
        backend.biz.file_complaint(text="服务差", customer_id="C999999")


def test_recommendations(backend):
    before = _count(backend, m.Prediction)
    zw = backend.biz.recommendations(ZW.customer_id, k=3)
    assert len(zw) == 3
    assert zw[0].service_code == "pay_now" and zw[0].intent == "pay_bill" and "286.50" in zw[0].reason
    assert zw[0].score > zw[1].score >= zw[2].score
    wq = backend.biz.recommendations(WQ.customer_id, k=3)
    tou = next(r for r in wq if r.service_code == "tou_tariff")
    assert tou.intent is None and "峰谷" in tou.title and "%" in tou.reason
    assert [r.service_code for r in wq][0] == "tou_tariff"
    assert len(backend.biz.recommendations(LN.customer_id, k=1)) == 1
    assert _count(backend, m.Prediction) == before + 7
    with pytest.raises(BusinessError):
        backend.biz.recommendations(ZW.customer_id, k=0)
    with pytest.raises(NotFound):
        backend.biz.recommendations("C999999")


def test_pay_now_disappears_after_paying(backend):
    backend.biz.pay("3100000001", Decimal("286.50"), channel="robot", actor_customer_id=ZW.customer_id)
    assert "pay_now" not in [r.service_code for r in backend.biz.recommendations(ZW.customer_id)]


def test_record_event_unifies_by_phone_and_account(backend):
    backend.biz.record_event(None, channel="wechat", kind="query_bill", text="查电费", phone="13800138002")
    backend.biz.record_event(None, channel="95598", kind="complaint", text="电压不稳", account_no="3100000003")
    backend.biz.record_event(ZW.customer_id, channel="robot", kind="greeting")
    backend.biz.record_event(None, channel="ivr", kind="query_bill", phone="13900000001")
    with backend.sql.sessions() as s:
        rows = s.execute(select(m.ChannelEvent.customer_id, m.ChannelEvent.channel).order_by(
            m.ChannelEvent.id.desc()).limit(4)).all()
    assert [tuple(r) for r in rows][::-1] == [(LN.customer_id, "wechat"), (WQ.customer_id, "95598"),
                                              (ZW.customer_id, "robot"), (None, "ivr")]
    with pytest.raises(BusinessError) as err:
        backend.biz.record_event(None, channel="fax", kind="query_bill")
    assert err.value.code == "invalid_channel"


def test_staff_for(backend):
    transfer = backend.biz.staff_for("transfer")
    ids = [s.staff_id for s in transfer]
    assert ids[-1] == "S000" and {"S002", "S003"} <= set(ids)
    assert all("transfer" in s.skills and s.on_duty for s in transfer)
    assert [s.staff_id for s in backend.biz.staff_for("transfer_ownership")] == ids
    outage = [s.staff_id for s in backend.biz.staff_for("report_outage")]
    assert outage == ["S004", "S000"]
    with pytest.raises(BusinessError) as err:
        backend.biz.staff_for("teleport")
    assert err.value.code == "invalid_business_type"


def test_profile(backend):
    p = backend.biz.profile(ZW.customer_id)
    assert p.customer_id == ZW.customer_id and "hall_payer" in p.tags and p.channel_pref == "hall"
    assert 0 <= p.activity <= 1 and 0 <= p.credit <= 100
    wq = backend.biz.profile(WQ.customer_id)
    assert "high_peak" in wq.tags and "business" in wq.tags
    with pytest.raises(NotFound):
        backend.biz.profile("C999999")
