"""A failure in the middle of a write leaves nothing half-written."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from business import models as m
from business.adapter import BusinessError


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql(request):
    return request.getfixturevalue("sqlite_biz" if request.param == "sqlite" else "pg_biz")


def _state(sql):
    with sql.sessions() as s:
        return (s.scalar(select(func.count()).select_from(m.Payment)),
                s.scalar(select(m.Bill.paid_amount).where(m.Bill.account_no == "3100000001",
                                                          m.Bill.period == "2026-10")),
                s.scalar(select(m.Account.prepaid).where(m.Account.account_no == "3100000001")))


def test_failure_after_bills_were_updated_rolls_back(sql, monkeypatch):
    before = _state(sql)

    def boom(*_args, **_kwargs):
        raise BusinessError("boom", "故障")
    monkeypatch.setattr(sql, "_arrears", boom)            # fails after the bill rows were changed
    with pytest.raises(BusinessError):
        sql.pay("3100000001", Decimal("300.00"), channel="robot", actor_customer_id="C000001")
    assert _state(sql) == before
    monkeypatch.undo()
    payment = sql.pay("3100000001", Decimal("300.00"), channel="robot", actor_customer_id="C000001")
    assert payment.balance_after == Decimal("0.00")
    count, paid, prepaid = _state(sql)
    assert count == before[0] + 1 and paid == Decimal("286.50") and prepaid == Decimal("13.50")
