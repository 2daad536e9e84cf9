"""Profile rules, derived-service mining, group keyword analysis, on hand-made histories."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from business import db, seed
from business import models as m
from business.profiles import keyword_trends, shift_period
from business.sql_adapter import SqlBusiness
from identity import id_number

NOW = dt.datetime(2026, 11, 24, 10, 0)


class World:
    """An empty, migrated database and helpers to write one customer's history."""

    def __init__(self, tmp_path) -> None:
        self.biz = SqlBusiness(f"sqlite:///{tmp_path / 'w.sqlite'}", clock=lambda: NOW)
        db.upgrade(self.biz.engine)
        with self.biz.engine.begin() as conn:
            seed._reference_rows(conn, NOW.date())
        self.n = 0

    def customer(self, *, age: int = 45, years: float = 5, category: str = "居民", kwh: float = 200,
                 peak: float = 0.4, months: int = 24, late_days: int | None = -5, channel: str = "wechat",
                 events: int = 0, event_kind: str = "query_bill", text: str = "我想查一下上个月的电费",
                 last_event_days: int = 10, tariff: str | None = None) -> str:
        self.n += 1
        cid, acc = f"C9{self.n:05d}", f"39000{self.n:05d}"
        birth = dt.date(NOW.year - age, 1, 1)
        created = NOW - dt.timedelta(days=int(years * 365))
        with self.biz.writer.begin() as s:
            s.add(m.Customer(customer_id=cid, name="测试", phone=f"1990000{self.n:04d}",
                             id_number=id_number.make("310104", birth, 11 + 2 * self.n), face_id=None,
                             birth_date=birth, gender="男", address="上海市测试路1号", created_at=created))
            s.flush()
            s.add(m.Account(account_no=acc, holder_id=cid, address="上海市测试路1号", category=category,
                            tariff=tariff or ("tiered" if category == "居民" else "flat"), status="active",
                            opened_on=created.date(), capacity_kva=8 if category == "居民" else 50,
                            prepaid=Decimal(0), auto_debit=False))
            s.flush()
            s.add(m.AccountRole(account_no=acc, customer_id=cid, role="holder"))
            last = shift_period(f"{NOW.year}-{NOW.month:02d}", -1)
            for i in range(months):
                period = shift_period(last, -i)
                issued = dt.datetime(int(shift_period(period, 1)[:4]), int(shift_period(period, 1)[5:]), 1)
                due = (issued + dt.timedelta(days=19)).date()
                paid_at = None if late_days is None else dt.datetime.combine(due, dt.time(12)) + dt.timedelta(days=late_days)
                if paid_at and paid_at > NOW:
                    paid_at = None
                amount = Decimal("100.00")
                s.add(m.Bill(account_no=acc, period=period, kwh=Decimal(kwh), peak_kwh=Decimal(round(kwh * peak, 2)),
                             amount=amount, paid_amount=amount if paid_at else Decimal(0), due_date=due, paid_at=paid_at))
                if paid_at:
                    s.add(m.Payment(account_no=acc, amount=amount, channel=channel, paid_at=paid_at,
                                    actor_customer_id=cid, balance_after=Decimal(0)))
            for j in range(events):
                s.add(m.ChannelEvent(customer_id=cid, channel="app", kind=event_kind, text=text,
                                     occurred_at=NOW - dt.timedelta(days=last_event_days + j)))
        return cid

    def profile(self, cid: str):
        return self.biz.profile(cid)


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.biz.engine.dispose()


def test_customer_types_follow_the_documented_rules(world):
    loyal = world.customer(years=6, late_days=-5)
    new = world.customer(years=0.5, months=5)
    churned = world.customer(years=8, months=24, late_days=None)          # never paid, never in touch
    marginal = world.customer(years=4, late_days=25)                      # always late, quiet
    active = world.customer(years=2, late_days=3, events=6, last_event_days=5)
    assert world.profile(loyal).customer_type == "loyal"
    assert world.profile(new).customer_type == "potential"
    assert world.profile(churned).customer_type == "churned"
    assert world.profile(marginal).customer_type == "marginal"
    assert world.profile(active).customer_type == "potential"


def test_credit_activity_and_preferences(world):
    punctual = world.profile(world.customer(late_days=-3, channel="hall", age=70))
    late = world.profile(world.customer(late_days=30, channel="app", events=8, last_event_days=1))
    assert punctual.credit == 100 and late.credit < 60
    assert punctual.channel_pref == "hall" and {"hall_payer", "senior", "no_app"} <= set(punctual.tags)
    assert late.channel_pref == "app" and "late_payer" in late.tags and "no_app" not in late.tags
    assert late.activity > punctual.activity
    assert punctual.time_pref == "afternoon"         # payments at 12:00
    assert "电费" in late.keywords


def test_consumption_and_peak_tags(world):
    big = world.profile(world.customer(category="非居民", kwh=4500, peak=0.75))
    small = world.profile(world.customer(kwh=90, peak=0.3))
    on_tou = world.profile(world.customer(category="非居民", kwh=4500, peak=0.75, tariff="tou"))
    assert big.consumption_level == "high" and {"high_peak", "business", "high_consumption"} <= set(big.tags)
    assert small.consumption_level == "low" and "high_peak" not in small.tags
    assert "high_peak" not in on_tou.tags


def test_recommendation_reasons_follow_profile(world):
    senior = world.customer(late_days=-3, channel="hall", age=72)
    recs = world.biz.recommendations(senior)
    codes = [r.service_code for r in recs]
    assert codes[:2] == ["auto_debit", "app_signup"]
    assert "营业厅" in recs[0].reason and "子女" in recs[1].reason
    shop = world.customer(category="非居民", kwh=4500, peak=0.75)
    top = world.biz.recommendations(shop)[0]
    assert top.service_code == "tou_tariff" and "75%" in top.reason


def test_derived_services_are_mined_and_recommended(world):
    def completed_transfer(cid: str, days_ago: int, follow: str | None) -> None:
        done = NOW - dt.timedelta(days=days_ago)
        with world.biz.writer.begin() as s:
            acc = s.query(m.AccountRole.account_no).filter_by(customer_id=cid).scalar()
            s.add(m.Application(kind="transfer", status="completed", customer_id=cid, account_no=acc, details="{}",
                                created_at=done - dt.timedelta(days=5), completed_at=done))
            if follow:
                s.add(m.ChannelEvent(customer_id=cid, channel="app", kind=follow, text="",
                                     occurred_at=done + dt.timedelta(days=10)))
    for i in range(6):
        completed_transfer(world.customer(channel="wechat"), 200 + i, "auto_debit_signup")
    for i in range(4):
        completed_transfer(world.customer(channel="wechat"), 200 + i, None)
    for _ in range(20):
        world.customer(channel="wechat")
    stats = world.biz.recompute_profiles()
    assert stats.rules >= 1
    with world.biz.sessions() as s:
        rule = s.get(m.DerivedRule, ("transfer", "auto_debit_signup"))
    assert rule is not None and rule.support == 6 and rule.confidence == pytest.approx(0.6)
    fresh = world.customer(channel="wechat")
    completed_transfer(fresh, 3, None)
    recs = world.biz.recommendations(fresh)
    auto = next(r for r in recs if r.service_code == "auto_debit")
    assert "过户" in auto.reason and "60%" in auto.reason


def test_keyword_trends_per_period(world):
    world.customer(events=5, text="峰谷电价怎么申请", last_event_days=3)
    world.customer(events=2, text="家里停电了什么时候恢复", last_event_days=3)
    world.customer(events=1, text="停电了", last_event_days=40)
    with world.biz.sessions() as s:
        nov = dict(keyword_trends(s, "2026-11"))
        oct_ = dict(keyword_trends(s, "2026-10"))
    assert nov["峰谷电价"] == 5 and nov["停电"] == 2 and "峰谷电价" not in oct_ and oct_["停电"] == 1
