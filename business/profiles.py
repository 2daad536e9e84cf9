"""Customer profiles, computed from the history as of a moment (`now`), so the same code serves
the nightly recompute, the on-demand recompute of one customer and back-testing.

Rules (also in docs/business.md):
- activity = 1 - exp(-(contacts in 90 days + 0.5 * own payments in 90 days) / 3), 0..1
- credit = 100 * bills paid by the due date / bills in 24 months - 15 per overdue unpaid bill, 0..100
  (60 when there is no bill yet)
- consumption level from the average monthly kWh of the last 12 months:
  居民 < 150 low, < 350 medium, else high; 非居民 < 1500 low, < 4000 medium, else high
- customer type, first rule that holds:
  churned   no active account, or no payment and no contact for 365 days
  potential customer for less than a year (new)
  loyal     customer for 3+ years, credit >= 85 and no overdue bill
  potential activity >= 0.5, or high consumption with credit >= 70
  marginal  everyone else
- channel preference: the most used channel over contacts and own payments in 365 days
  ("auto_debit" when only bank debits pay); time preference likewise over the hour of day
- keywords: jieba TF-IDF tags of the customer's messages in 365 days
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import and_, case, delete, extract, func, insert, or_, select
from sqlalchemy.orm import Session

from business import models as m
from business.tariff import money, tou_saving

TIME_BUCKETS = (("night", 0, 6), ("morning", 6, 12), ("afternoon", 12, 18), ("evening", 18, 23), ("night", 23, 24))
STOPWORDS = frozenset(["想查", "查查", "需要", "时候", "怎么办", "麻烦", "来得", "有没有", "办理", "申请", "开多", "请问", "可以", "知道", "一下"])
DOMAIN_WORDS = ("峰谷电价", "分时电价", "阶梯电价", "电子发票", "自动扣费", "银行代扣", "能效诊断", "停电通知",
                "光伏并网", "充电桩", "网上国网", "电费账单", "跳闸", "过户", "销户", "增容", "新装", "户号")
KEEP_POS = ("n", "nz", "vn", "v", "ns", "nt", "a", "an", "l", "i", "eng")


def period_of(d: dt.date | dt.datetime) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def shift_period(period: str, months: int) -> str:
    y, mo = int(period[:4]), int(period[5:7]) + months
    y, mo = y + (mo - 1) // 12, (mo - 1) % 12 + 1
    return f"{y:04d}-{mo:02d}"


def time_bucket(hour: int) -> str:
    return next(name for name, lo, hi in TIME_BUCKETS if lo <= hour < hi)


@lru_cache(maxsize=65536)
def keywords_of(text: str, top: int = 3) -> tuple[str, ...]:
    """Keywords of one message (messages repeat a lot, hence the cache)."""
    analyse = _jieba()
    return tuple(w for w in analyse.extract_tags(text, topK=top + 2, allowPOS=KEEP_POS) if w not in STOPWORDS)[:top]


@lru_cache(maxsize=1)
def _jieba():
    import jieba
    import jieba.analyse
    jieba.setLogLevel(logging.WARNING)
    for word in DOMAIN_WORDS:
        jieba.add_word(word, freq=20000, tag="nz")
    return jieba.analyse


@dataclass
class AccountFacts:
    account_no: str
    category: str
    tariff: str
    active: bool
    capacity_kva: int
    auto_debit: bool
    bills: int = 0
    on_time: int = 0
    overdue: int = 0
    kwh12: float = 0.0
    peak12: float = 0.0
    months12: int = 0
    max_kwh: float = 0.0
    last_kwh: float = 0.0


@dataclass
class Profile:
    customer_id: str
    customer_type: str
    activity: float
    credit: int
    consumption_level: str
    channel_pref: str
    time_pref: str
    keywords: list[str]
    tags: list[str]
    peak_ratio: float
    facts: dict = field(default_factory=dict)


@dataclass
class RecomputeStats:
    customers: int
    seconds: float
    by_type: dict[str, int]
    rules: int


def _level(category: str, avg: float) -> int:
    lo, hi = (150, 350) if category == "居民" else (1500, 4000)
    return 0 if avg < lo else 1 if avg < hi else 2


class ProfileBuilder:
    """Aggregates a set of customers' history with a handful of GROUP BY queries."""

    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.s, self.now = session, now
        self.last_period = shift_period(period_of(now), -1)
        self.cut12, self.cut24 = shift_period(self.last_period, -11), shift_period(self.last_period, -23)
        self.d90, self.d365 = now - dt.timedelta(days=90), now - dt.timedelta(days=365)

    def build(self, customer_filter) -> list[Profile]:
        s, now = self.s, self.now
        people = {cid: (birth, created) for cid, birth, created in s.execute(
            select(m.Customer.customer_id, m.Customer.birth_date, m.Customer.created_at).where(customer_filter))}
        if not people:
            return []
        accounts: dict[str, list[AccountFacts]] = defaultdict(list)
        by_account: dict[str, AccountFacts] = {}
        acc_q = (select(m.Account.account_no, m.Account.holder_id, m.Account.category, m.Account.tariff,
                        m.Account.status, m.Account.capacity_kva, m.Account.auto_debit)
                 .join(m.Customer, m.Customer.customer_id == m.Account.holder_id).where(customer_filter))
        for no, holder, cat, tariff, status, cap, auto in s.execute(acc_q):
            f = AccountFacts(no, cat, tariff, status == "active", cap, bool(auto))
            accounts[holder].append(f)
            by_account[no] = f
        paid_by_now = and_(m.Bill.paid_at.is_not(None), m.Bill.paid_at <= now)
        in12 = m.Bill.period >= self.cut12
        bill_q = (select(m.Bill.account_no, func.count(),
                         func.sum(case((and_(paid_by_now, func.date(m.Bill.paid_at) <= m.Bill.due_date), 1), else_=0)),
                         func.sum(case((and_(~paid_by_now, m.Bill.due_date < now.date()), 1), else_=0)),
                         func.sum(case((in12, m.Bill.kwh), else_=0)), func.sum(case((in12, m.Bill.peak_kwh), else_=0)),
                         func.sum(case((in12, 1), else_=0)), func.max(case((in12, m.Bill.kwh), else_=0)),
                         func.sum(case((m.Bill.period == self.last_period, m.Bill.kwh), else_=0)))
                  .join(m.Account, m.Account.account_no == m.Bill.account_no)
                  .join(m.Customer, m.Customer.customer_id == m.Account.holder_id)
                  .where(customer_filter, m.Bill.period >= self.cut24, m.Bill.period <= self.last_period)
                  .group_by(m.Bill.account_no))
        for no, n, on_time, overdue, kwh12, peak12, months12, max_kwh, last_kwh in s.execute(bill_q):
            f = by_account[no]
            f.bills, f.on_time, f.overdue = n, int(on_time or 0), int(overdue or 0)
            f.kwh12, f.peak12, f.months12 = float(kwh12 or 0), float(peak12 or 0), int(months12 or 0)
            f.max_kwh, f.last_kwh = float(max_kwh or 0), float(last_kwh or 0)

        # contacts and own payments: channel and hour counts
        channels: dict[str, Counter] = defaultdict(Counter)
        hours: dict[str, Counter] = defaultdict(Counter)
        recent: defaultdict[str, float] = defaultdict(float)   # weighted recent activity
        last_seen: dict[str, dt.datetime] = {}
        auto_only: Counter = Counter()
        hall_pay: Counter = Counter()
        own_pay: Counter = Counter()
        pay_window = and_(m.Payment.paid_at > self.d365, m.Payment.paid_at <= now)
        pay_q = (select(m.Account.holder_id, m.Payment.channel, extract("hour", m.Payment.paid_at),
                        func.count(), func.sum(case((m.Payment.paid_at > self.d90, 1), else_=0)), func.max(m.Payment.paid_at))
                 .join(m.Account, m.Account.account_no == m.Payment.account_no)
                 .join(m.Customer, m.Customer.customer_id == m.Account.holder_id)
                 .where(customer_filter, pay_window)
                 .group_by(m.Account.holder_id, m.Payment.channel, extract("hour", m.Payment.paid_at)))
        for cid, channel, hour, n, n90, last in s.execute(pay_q):
            last_seen[cid] = max(last_seen.get(cid, last), last)
            if channel == "auto_debit":
                auto_only[cid] += n
                continue
            channels[cid][channel] += n
            hours[cid][time_bucket(int(hour))] += n
            recent[cid] += 0.5 * int(n90 or 0)
            own_pay[cid] += n
            if channel in ("hall", "bank"):
                hall_pay[cid] += n
        ev_window = and_(m.ChannelEvent.occurred_at > self.d365, m.ChannelEvent.occurred_at <= now)
        ev_q = (select(m.ChannelEvent.customer_id, m.ChannelEvent.channel, extract("hour", m.ChannelEvent.occurred_at),
                       func.count(), func.sum(case((m.ChannelEvent.occurred_at > self.d90, 1), else_=0)),
                       func.max(m.ChannelEvent.occurred_at))
                .join(m.Customer, m.Customer.customer_id == m.ChannelEvent.customer_id)
                .where(customer_filter, ev_window)
                .group_by(m.ChannelEvent.customer_id, m.ChannelEvent.channel, extract("hour", m.ChannelEvent.occurred_at)))
        for cid, channel, hour, n, n90, last in s.execute(ev_q):
            last_seen[cid] = max(last_seen.get(cid, last), last)
            channels[cid][channel] += n
            hours[cid][time_bucket(int(hour))] += n
            recent[cid] += int(n90 or 0)
        queries = dict(s.execute(
            select(m.ChannelEvent.customer_id, func.count())
            .join(m.Customer, m.Customer.customer_id == m.ChannelEvent.customer_id)
            .where(customer_filter, m.ChannelEvent.kind == "query_bill", m.ChannelEvent.occurred_at > self.d90,
                   m.ChannelEvent.occurred_at <= now)
            .group_by(m.ChannelEvent.customer_id)).all())
        texts: dict[str, Counter] = defaultdict(Counter)
        text_q = (select(m.ChannelEvent.customer_id, m.ChannelEvent.text)
                  .join(m.Customer, m.Customer.customer_id == m.ChannelEvent.customer_id)
                  .where(customer_filter, ev_window, m.ChannelEvent.text != ""))
        for cid, text in s.execute(text_q):
            if cid is None:
                continue
            for rank, word in enumerate(keywords_of(text)):
                texts[cid][word] += 3 - rank
        app_q = (select(m.ChannelEvent.customer_id).join(m.Customer, m.Customer.customer_id == m.ChannelEvent.customer_id)
                 .where(customer_filter, m.ChannelEvent.occurred_at <= now,
                        or_(m.ChannelEvent.channel == "app", m.ChannelEvent.kind == "app_signup")).distinct())
        has_app = set(s.scalars(app_q))
        inv_q = (select(m.Account.holder_id).select_from(m.Invoice)
                 .join(m.Account, m.Account.account_no == m.Invoice.account_no)
                 .join(m.Customer, m.Customer.customer_id == m.Account.holder_id)
                 .where(customer_filter, m.Invoice.issued_at > self.d365, m.Invoice.issued_at <= now).distinct())
        invoice_users = set(s.scalars(inv_q))
        out_q = (select(m.OutageTicket.customer_id).join(m.Customer, m.Customer.customer_id == m.OutageTicket.customer_id)
                 .where(customer_filter, m.OutageTicket.created_at > self.d90, m.OutageTicket.created_at <= now).distinct())
        outage = set(s.scalars(out_q))

        profiles = []
        for cid, (birth, created) in people.items():
            profiles.append(self._profile(cid, birth, created, accounts.get(cid, []), channels[cid], hours[cid],
                                          recent[cid], last_seen.get(cid), auto_only[cid], own_pay[cid], hall_pay[cid],
                                          texts[cid], cid in has_app, cid in invoice_users, cid in outage,
                                          queries.get(cid, 0)))
        return profiles

    def _profile(self, cid, birth, created, accs, channels, hours, recent, last_seen, auto_n, own_n, hall_n, words,
                 has_app, invoice_user, outage, bill_queries) -> Profile:
        now = self.now
        age = (now.date() - birth).days // 365
        tenure_days = (now - created).days
        active = [a for a in accs if a.active]
        bills = sum(a.bills for a in accs)
        on_time = sum(a.on_time for a in accs)
        overdue = sum(a.overdue for a in accs)
        credit = 60 if not bills else max(0, min(100, round(100 * on_time / bills) - 15 * overdue))
        activity = round(1 - math.exp(-recent / 3), 3)
        level = max((_level(a.category, a.kwh12 / a.months12) for a in active if a.months12), default=0)
        consumption = ("low", "medium", "high")[level]
        if not active or last_seen is None:
            ctype = "churned"
        elif tenure_days < 365:
            ctype = "potential"
        elif tenure_days >= 3 * 365 and credit >= 85 and overdue == 0:
            ctype = "loyal"
        elif activity >= 0.5 or (level == 2 and credit >= 70):
            ctype = "potential"
        else:
            ctype = "marginal"
        channel_pref = channels.most_common(1)[0][0] if channels else ("auto_debit" if auto_n else "none")
        time_pref = hours.most_common(1)[0][0] if hours else "none"
        keywords = [w for w, _ in words.most_common(5)]

        tags, facts = set(), {"age": age, "credit": credit}
        if age >= 60:
            tags.add("senior")
        if own_n and hall_n * 2 >= own_n:
            tags.add("hall_payer")
        if credit < 75:
            tags.add("late_payer")
        if not has_app:
            tags.add("no_app")
        if tenure_days < 365:
            tags.add("new_customer")
        if level == 2:
            tags.add("high_consumption")
        if channel_pref in ("app", "wechat", "web"):
            tags.add("digital")
        if invoice_user:
            tags.add("invoice_user")
        if bill_queries >= 2:
            tags.add("bill_querier")
            facts["bill_queries"] = bill_queries
        if outage:
            tags.add("outage_affected")
        if any(w in keywords for w in ("过户", "买房", "搬家")):
            tags.add("recent_move")
        if any(a.category == "非居民" for a in active):
            tags.add("business")
        if active and all(a.auto_debit for a in active):
            facts["all_auto_debit"] = True
        peak_ratio, best_saving = 0.0, None
        for a in active:
            if not a.months12 or not a.kwh12:
                continue
            ratio = a.peak12 / a.kwh12
            avg = a.kwh12 / a.months12
            peak_ratio = max(peak_ratio, ratio)
            if a.last_kwh >= 1.3 * avg and a.months12 >= 6:
                tags.add("bill_increase")
                facts["bill_increase"] = {"account_no": a.account_no, "last_kwh": round(a.last_kwh), "avg_kwh": round(avg)}
            if a.tariff != "tou" and ratio >= 0.55 and avg >= (100 if a.category == "居民" else 500):
                saving = tou_saving(a.category, a.tariff, Decimal(str(round(avg, 2))), Decimal(str(round(avg * ratio, 2))))
                if saving > 0 and (best_saving is None or saving > Decimal(best_saving["saving"])):
                    best_saving = {"account_no": a.account_no, "peak_ratio": round(ratio, 2), "saving": str(money(saving))}
            peak_kw = a.max_kwh * ratio / 240          # peak hours: about 8 a day
            if a.capacity_kva and peak_kw >= 0.8 * 0.9 * a.capacity_kva:
                tags.add("near_capacity")
                facts["near_capacity"] = {"account_no": a.account_no, "peak_kw": round(peak_kw, 1),
                                          "capacity_kva": a.capacity_kva}
        if best_saving:
            tags.add("high_peak")
            facts["tou"] = best_saving
        if "hall_payer" in tags:
            facts["hall_share"] = round(hall_n / own_n, 2)
        return Profile(cid, ctype, activity, credit, consumption, channel_pref, time_pref, keywords, sorted(tags),
                       round(peak_ratio, 3), facts)


def _row(p: Profile, now: dt.datetime) -> dict:
    return {"customer_id": p.customer_id, "customer_type": p.customer_type, "activity": p.activity, "credit": p.credit,
            "consumption_level": p.consumption_level, "channel_pref": p.channel_pref, "time_pref": p.time_pref,
            "keywords": ",".join(p.keywords)[:256], "tags": ",".join(p.tags)[:256], "peak_ratio": p.peak_ratio,
            "facts": json.dumps(p.facts, ensure_ascii=False), "computed_at": now}


def compute_one(session: Session, customer_id: str, now: dt.datetime, store: bool = True) -> Profile | None:
    profiles = ProfileBuilder(session, now).build(m.Customer.customer_id == customer_id)
    if not profiles:
        return None
    if store:
        session.execute(delete(m.CustomerProfile).where(m.CustomerProfile.customer_id == customer_id))
        session.execute(insert(m.CustomerProfile), [_row(profiles[0], now)])
    return profiles[0]


def recompute_all(sessions, writer, now: dt.datetime, chunk: int = 5000) -> RecomputeStats:
    """Recompute every profile and re-mine the derived-service rules. Chunks of customers are
    read with `sessions` and written with `writer` (short write transactions, so the robot's
    own writes never wait long)."""
    t0 = time.perf_counter()
    by_type: Counter = Counter()
    with sessions() as s:
        ids = list(s.scalars(select(m.Customer.customer_id).order_by(m.Customer.customer_id)))
    for i in range(0, len(ids), chunk):
        lo, hi = ids[i], ids[min(i + chunk, len(ids)) - 1]
        with sessions() as s:
            profiles = ProfileBuilder(s, now).build(m.Customer.customer_id.between(lo, hi))
        with writer.begin() as s:
            s.execute(delete(m.CustomerProfile).where(m.CustomerProfile.customer_id.between(lo, hi)))
            if profiles:
                s.execute(insert(m.CustomerProfile), [_row(p, now) for p in profiles])
        by_type.update(p.customer_type for p in profiles)
    with writer.begin() as s:
        rules = mine_rules(s, now)
    return RecomputeStats(len(ids), time.perf_counter() - t0, dict(by_type), rules)


def handled_business(session: Session, customer_ids: list[str] | None, start: dt.datetime, end: dt.datetime
                     ) -> dict[str, list[tuple[dt.datetime, str]]]:
    """Business each customer actually handled in [start, end): contacts with a business kind,
    payments (pay_bill), applications (their kind) and invoices (print_invoice)."""
    out: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)

    def chunks():
        if customer_ids is None:
            yield None
        else:
            for i in range(0, len(customer_ids), 500):
                yield customer_ids[i:i + 500]

    for part in chunks():
        ev = select(m.ChannelEvent.customer_id, m.ChannelEvent.occurred_at, m.ChannelEvent.kind).where(
            m.ChannelEvent.occurred_at >= start, m.ChannelEvent.occurred_at < end)
        pay = (select(m.Payment.actor_customer_id, m.Payment.paid_at).where(
            m.Payment.paid_at >= start, m.Payment.paid_at < end))
        app = select(m.Application.customer_id, m.Application.created_at, m.Application.kind).where(
            m.Application.created_at >= start, m.Application.created_at < end)
        inv = select(m.Invoice.actor_customer_id, m.Invoice.issued_at).where(
            m.Invoice.issued_at >= start, m.Invoice.issued_at < end)
        if part is not None:
            ev = ev.where(m.ChannelEvent.customer_id.in_(part))
            pay = pay.where(m.Payment.actor_customer_id.in_(part))
            app = app.where(m.Application.customer_id.in_(part))
            inv = inv.where(m.Invoice.actor_customer_id.in_(part))
        rows: list[tuple[str | None, dt.datetime, str]] = [(c, at, k) for c, at, k in session.execute(ev)]
        rows += [(c, at, "pay_bill") for c, at in session.execute(pay)]
        rows += [(c, at, k) for c, at, k in session.execute(app)]
        rows += [(c, at, "print_invoice") for c, at in session.execute(inv)]
        for cid, at, kind in rows:
            if cid is not None:   # events without a known customer say nothing about one
                out[cid].append((at, kind))
    return out


def mine_rules(session: Session, now: dt.datetime, window_days: int = 90, min_support: int = 3,
               min_lift: float = 1.5) -> int:
    """Derived services: after completing business A, which business B do customers handle
    within `window_days` far more often than customers in general (lift)? Stored in derived_rules."""
    from business.catalogue import SERVICES
    kinds = {s.business_kind for s in SERVICES}
    apps = session.execute(select(m.Application.customer_id, m.Application.kind, m.Application.completed_at).where(
        m.Application.status == "completed", m.Application.completed_at <= now,
        m.Application.completed_at > now - dt.timedelta(days=730))).all()
    session.execute(delete(m.DerivedRule))
    if not apps:
        return 0
    customers = sorted({a[0] for a in apps})
    history = handled_business(session, customers, now - dt.timedelta(days=730), now)
    n_a: Counter = Counter()
    n_ab: Counter = Counter()
    for cid, kind, done in apps:
        if done is None:
            continue
        n_a[kind] += 1
        after = {k for at, k in history.get(cid, ()) if done < at <= done + dt.timedelta(days=window_days)}
        for b in after & kinds - {kind, "pay_bill"}:   # paying the monthly bill is routine, not derived
            n_ab[(kind, b)] += 1
    total = session.scalar(select(func.count()).select_from(m.Customer)) or 1
    base: defaultdict[str, float] = defaultdict(float)
    year = now - dt.timedelta(days=365)
    counts: list[tuple[str, int | None]] = list(session.execute(select(m.ChannelEvent.kind, func.count(func.distinct(m.ChannelEvent.customer_id)))
                                  .where(m.ChannelEvent.occurred_at > year, m.ChannelEvent.occurred_at <= now)
                                  .group_by(m.ChannelEvent.kind)))
    counts += list(session.execute(select(m.Application.kind, func.count(func.distinct(m.Application.customer_id)))
                                   .where(m.Application.created_at > year, m.Application.created_at <= now)
                                   .group_by(m.Application.kind)))
    counts.append(("print_invoice", session.scalar(select(func.count(func.distinct(m.Invoice.actor_customer_id)))
                                                   .where(m.Invoice.issued_at > year, m.Invoice.issued_at <= now))))
    for kind, n in counts:
        base[kind] += min(1.0, (n or 0) / total * window_days / 365)
    rows = []
    for (a, b), n in n_ab.items():
        conf = n / n_a[a]
        lift = conf / base[b] if base[b] else float("inf")
        if n >= min_support and lift >= min_lift:
            rows.append({"antecedent": a, "consequent": b, "support": n, "confidence": round(conf, 3)})
    if rows:
        session.execute(insert(m.DerivedRule), rows)
    return len(rows)


def keyword_trends(session: Session, period: str, top: int = 20) -> list[tuple[str, int]]:
    """Group analysis: keyword frequencies over all customers' messages in one month."""
    start = dt.datetime(int(period[:4]), int(period[5:7]), 1)
    nxt = shift_period(period, 1)
    end = dt.datetime(int(nxt[:4]), int(nxt[5:7]), 1)
    counts: Counter = Counter()
    q = (select(m.ChannelEvent.text, func.count()).where(m.ChannelEvent.occurred_at >= start,
                                                         m.ChannelEvent.occurred_at < end, m.ChannelEvent.text != "")
         .group_by(m.ChannelEvent.text))
    for text, n in session.execute(q):
        for word in keywords_of(text):
            counts[word] += n
    return counts.most_common(top)
