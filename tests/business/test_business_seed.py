"""The demo-data generator: deterministic, valid identity data, the fixed demo customers."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from business import db, seed
from business import models as m
from business.demo import DEMO_CUSTOMERS
from business.sql_adapter import SqlBusiness
from business.tariff import bill_amount, kwh_for_amount
from identity import id_number
from identity.account_number import parse_phone


def _dump(url: str) -> dict:
    biz = SqlBusiness(url)
    with biz.sessions() as s:
        out = {t.__tablename__: [tuple(getattr(r, c.key) for c in t.__table__.columns if c.key != "id")
                                 for r in s.scalars(select(t).order_by(*t.__table__.primary_key.columns))]
               for t in (m.Customer, m.Account, m.AccountRole, m.Bill, m.Payment, m.ChannelEvent, m.Application)}
    biz.engine.dispose()
    return out


def _fresh(tmp_path, name: str, **kwargs) -> str:
    url = f"sqlite:///{tmp_path / name}"
    biz = SqlBusiness(url)
    db.upgrade(biz.engine)
    seed.seed(biz.engine, **kwargs)
    biz.engine.dispose()
    return url


def test_same_seed_same_data_and_chunking_does_not_matter(tmp_path):
    a = _dump(_fresh(tmp_path, "a.sqlite", customers=700, months=3, today=dt.date(2026, 11, 24)))
    b = _dump(_fresh(tmp_path, "b.sqlite", customers=700, months=3, today=dt.date(2026, 11, 24), chunk=97))
    assert a == b and len(a["customers"]) == 700 and len(a["bills"]) > 700 * 2
    c = _dump(_fresh(tmp_path, "c.sqlite", customers=80, months=3, today=dt.date(2026, 11, 24), seed=7))
    assert c["customers"][3:] != a["customers"][3:80]


def test_identity_data_is_valid_and_unique(sqlite_biz):
    with sqlite_biz.sessions() as s:
        people = s.execute(select(m.Customer.customer_id, m.Customer.name, m.Customer.phone, m.Customer.id_number,
                                  m.Customer.gender, m.Customer.birth_date)).all()
        accounts = list(s.scalars(select(m.Account.account_no)))
    assert len(people) == 300
    assert len({p.phone for p in people}) == 300 and len({p.id_number for p in people}) == 300
    for p in people:
        parsed = id_number.parse(p.id_number)          # GB 11643-1999 check digit
        assert parsed.sex == p.gender and parsed.birth_date == p.birth_date
        assert parse_phone(p.phone) == p.phone
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", p.name)
    assert all(re.fullmatch(r"\d{10}", a) for a in accounts) and len(set(accounts)) == len(accounts)
    demo_phones = {d.phone for d in DEMO_CUSTOMERS}
    generated = [p for p in people if p.customer_id not in {d.customer_id for d in DEMO_CUSTOMERS}]
    assert not demo_phones & {p.phone for p in generated}
    assert sum(a.startswith("31000000") for a in accounts) == 4


def test_generated_phones_never_collide_at_scale():
    phones = {seed.generated_phone(n) for n in range(4, 200_004)}
    assert len(phones) == 200_000 and not phones & {d.phone for d in DEMO_CUSTOMERS}


def test_bills_follow_the_tariff(sqlite_biz):
    with sqlite_biz.sessions() as s:
        rows = s.execute(select(m.Bill.kwh, m.Bill.peak_kwh, m.Bill.amount, m.Account.category, m.Meter.kind)
                         .join(m.Account, m.Account.account_no == m.Bill.account_no)
                         .join(m.Meter, m.Meter.account_no == m.Account.account_no)
                         .where(m.Account.tariff != "tou", m.Meter.kind == "single").limit(2000)).all()
    assert len(rows) > 500
    for kwh, peak, amount, category, _ in rows:
        expected = bill_amount(category, "tiered" if category == "居民" else "flat", kwh, peak)
        assert amount == expected


def test_history_has_every_channel_and_business(sqlite_biz):
    with sqlite_biz.sessions() as s:
        channels = set(s.scalars(select(m.ChannelEvent.channel).distinct()))
        kinds = set(s.scalars(select(m.Application.kind).distinct()))
        arrears = s.scalar(select(func.count(func.distinct(m.Bill.account_no))).where(m.Bill.paid_at.is_(None)))
        roles = set(s.scalars(select(m.AccountRole.role).distinct()))
    assert {"robot", "ivr", "wechat", "app", "web", "95598"} <= channels
    assert {"new_connection", "closing"} <= kinds
    assert arrears > 5
    assert roles == {"holder", "family", "agent"}


def test_tariff_tiers():
    assert bill_amount("居民", "tiered", Decimal(180), Decimal(0)) == Decimal("87.89")
    assert bill_amount("居民", "tiered", Decimal(280), Decimal(0)) == Decimal("141.72")
    assert bill_amount("居民", "tiered", Decimal(300), Decimal(0)) == Decimal("157.49")
    assert bill_amount("非居民", "flat", Decimal(1000), Decimal(700)) == Decimal("750.00")
    assert bill_amount("非居民", "tou", Decimal(1000), Decimal(700)) == Decimal("794.00")
    kwh = kwh_for_amount("居民", "tiered", Decimal("286.50"))
    assert bill_amount("居民", "tiered", kwh, Decimal(0)) == Decimal("286.50")


def test_too_few_customers_rejected(tmp_path):
    biz = SqlBusiness(f"sqlite:///{tmp_path / 'x.sqlite'}")
    db.upgrade(biz.engine)
    with pytest.raises(ValueError):
        seed.seed(biz.engine, 2)


# The small hours, a month end, a leap day, New Year's Eve just before midnight.
ANY_MOMENT = [dt.datetime(2026, 12, 2, 3, 0), dt.datetime(2027, 1, 31, 23, 50), dt.datetime(2028, 2, 29, 12, 0),
              dt.datetime(2027, 12, 31, 23, 55), dt.datetime(2027, 1, 1, 0, 5)]


@pytest.mark.parametrize("now", ANY_MOMENT, ids=lambda t: t.strftime("%Y-%m-%dT%H:%M"))
def test_demo_customers_read_the_same_at_any_moment(tmp_path, now):
    """Seeded at `now` and read at `now`: the demo stories hold on any day at any hour. (The history
    used to end at 08:00 of the seed day: read at 03:00, every demo account owed its last bill, so
    张伟's "好的" to paying asked which account, and 王强 was offered payment before 峰谷电价.)"""
    url = f"sqlite:///{tmp_path / 'biz.sqlite'}"
    biz = SqlBusiness(url, clock=lambda: now)
    db.upgrade(biz.engine)
    seed.seed(biz.engine, 60, now=now, months=24)
    biz.recompute_profiles()
    with biz.sessions() as s:
        latest = max(s.scalar(select(func.max(t)).select_from(t.class_)) or dt.datetime.min
                     for t in (m.Payment.paid_at, m.Bill.paid_at, m.ChannelEvent.occurred_at,
                               m.Application.created_at, m.Invoice.issued_at))
    assert latest <= now, f"seeded history reaches {latest}, after the clock ({now})"
    owed = {a.account_no: a.arrears for c in DEMO_CUSTOMERS for a in c.accounts}
    assert {no: biz.arrears(no) for no in owed} == owed
    assert biz.recommendations("C000001")[0].service_code == "pay_now"
    assert biz.recommendations("C000003")[0].service_code == "tou_tariff"
    biz.engine.dispose()
