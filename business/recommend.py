"""Recommendations: the customer's profile tags (plus live arrears and derived-service rules)
matched against the catalogue's service tags; each result carries a reason the robot can say."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from business import models as m
from business.adapter import Recommendation
from business.catalogue import APPLICATION_KINDS, ROLE_PERMISSIONS, TAG_WEIGHTS
from business.profiles import compute_one, period_of, shift_period
from business.tariff import money

FALLBACK = ("bill_analysis", "e_invoice", "outage_notice", "app_signup", "auto_debit")   # common services


@dataclass(frozen=True)
class CatalogueItem:
    code: str
    title: str
    tags: frozenset[str]
    intent: str | None
    business_kind: str
    priority: float


def load_catalogue(session: Session) -> list[CatalogueItem]:
    return [CatalogueItem(s.code, s.title, frozenset(t for t in s.tags.split(",") if t), s.intent, s.business_kind,
                          s.priority) for s in session.scalars(select(m.Service).order_by(m.Service.code))]


def arrears_by_account(session: Session, account_nos: list[str], now: dt.datetime) -> dict[str, Decimal]:
    """Arrears as of `now`: bills issued by then and not paid by then (partial payments count)."""
    if not account_nos:
        return {}
    last = shift_period(period_of(now), -1)
    owed = case((m.Bill.paid_at.is_(None), m.Bill.amount - m.Bill.paid_amount),
                (m.Bill.paid_at > now, m.Bill.amount), else_=0)
    q = (select(m.Bill.account_no, func.sum(owed)).where(m.Bill.account_no.in_(account_nos), m.Bill.period <= last)
         .group_by(m.Bill.account_no))
    return {no: money(v or 0) for no, v in session.execute(q) if v and money(v) > 0}


def _reason(item: CatalogueItem, tag: str, facts: dict, arrears: dict) -> str:
    if tag == "arrears":
        parts = "、".join(f"户号{no}欠费{amt}元" for no, amt in arrears.items())
        return f"{parts}，建议现在缴清，以免产生违约金或影响用电"
    tou, near, inc = facts.get("tou", {}), facts.get("near_capacity", {}), facts.get("bill_increase", {})
    senior = facts.get("age", 0) >= 60
    table = {
        ("auto_debit", "hall_payer"): "您经常到营业厅缴费，签约自动代扣后每月自动缴费，不用再专门跑一趟",
        ("auto_debit", "late_payer"): "您近期有逾期缴费，签约自动代扣可以避免逾期和停电风险",
        ("auto_debit", "senior"): "签约自动代扣后电费每月自动缴纳，省心方便",
        ("app_signup", "hall_payer"): ("开通网上国网App后，子女可以在手机上帮您代缴电费，不用再来营业厅" if senior
                                       else "开通网上国网App，随时查电费、缴电费，不用再来营业厅排队"),
        ("app_signup", "no_app"): "开通网上国网App，随时查电费、缴费、办业务",
        ("app_signup", "new_customer"): "新开户的客户开通App后可以随时掌握用电情况",
        ("tou_tariff", "high_peak"): (f"户号{tou.get('account_no')}高峰时段用电占{round(tou.get('peak_ratio', 0) * 100)}%，"
                                      f"办理峰谷分时电价并把部分用电移到低谷时段，每月约可节省{tou.get('saving')}元"),
        ("bill_analysis", "bill_increase"): (f"户号{inc.get('account_no')}上月用电{inc.get('last_kwh')}度，"
                                             f"高于平时的{inc.get('avg_kwh')}度，可以查看账单了解原因"),
        ("bill_analysis", "high_consumption"): "您的用电量较高，可以查看账单和用电分析",
        ("bill_analysis", "bill_querier"): f"您最近{facts.get('bill_queries')}次查询电费，可以在这里直接查看账单和用电分析",
        ("e_invoice", "business"): "经营用电可以开具电费发票用于报销和抵扣",
        ("e_invoice", "invoice_user"): "您常开电费发票，可以在这里直接打印",
        ("capacity_increase", "near_capacity"): (f"户号{near.get('account_no')}高峰负荷约{near.get('peak_kw')}千瓦，"
                                                 f"接近报装容量{near.get('capacity_kva')}千伏安，可以申请增容"),
        ("energy_audit", "business"): "经营用电可以预约免费能效诊断，找出节电空间",
        ("energy_audit", "high_consumption"): "您的用电量较大，可以预约免费能效诊断，找出节电空间",
        ("outage_notice", "outage_affected"): "您近期报修过停电，订阅停电通知后，计划停电会提前告知您",
        ("outage_notice", "digital"): "订阅后计划停电会提前推送到您的手机",
        ("transfer", "recent_move"): "您咨询过过户业务，可以在这里直接办理",
    }
    return table.get((item.code, tag), item.title)


def recommend(session: Session, customer_id: str, now: dt.datetime, k: int, channel: str,
              catalogue: list[CatalogueItem], log: bool = True, historical: bool = False) -> list[Recommendation]:
    """`historical`: back-testing as of a past `now`, so the profile is computed as of then
    (and not stored) instead of read from the stored one."""
    row = None if historical else session.get(m.CustomerProfile, customer_id)
    if row is not None:
        tags, facts = set(filter(None, row.tags.split(","))), json.loads(row.facts or "{}")
    else:   # never computed yet (stored for next time), or back-testing
        profile = compute_one(session, customer_id, now, store=not historical)
        tags, facts = (set(profile.tags), profile.facts) if profile else (set(), {})
    payable = [no for no, role in session.execute(
        select(m.AccountRole.account_no, m.AccountRole.role).join(m.Account).where(
            m.AccountRole.customer_id == customer_id, m.Account.status == "active"))
        if "pay" in ROLE_PERMISSIONS.get(role, ()) and role != "family"]   # relatives may pay, but we only nudge the responsible
    arrears = arrears_by_account(session, payable, now)
    if arrears:
        tags.add("arrears")
    derived: dict[str, tuple[float, str]] = {}
    last_app = session.execute(
        select(m.Application.kind).where(m.Application.customer_id == customer_id, m.Application.status == "completed",
                                         m.Application.completed_at <= now,
                                         m.Application.completed_at > now - dt.timedelta(days=90))
        .order_by(m.Application.completed_at.desc()).limit(1)).scalar()
    if last_app:
        for rule in session.scalars(select(m.DerivedRule).where(m.DerivedRule.antecedent == last_app)):
            derived[rule.consequent] = (rule.confidence, f"您刚办理完{APPLICATION_KINDS.get(last_app, last_app)}，"
                                                         f"{round(rule.confidence * 100)}%的客户随后还办理了这项业务")
    def excluded(code: str) -> bool:   # already has it
        return ((code == "auto_debit" and facts.get("all_auto_debit", False))
                or (code == "app_signup" and "no_app" not in tags))

    scored: list[tuple[float, str, CatalogueItem, str]] = []
    for item in catalogue:
        if excluded(item.code):
            continue
        matched = sorted(item.tags & tags, key=lambda t: -TAG_WEIGHTS.get(t, 1.0))
        score = sum(TAG_WEIGHTS.get(t, 1.0) for t in matched) * item.priority
        reason = _reason(item, matched[0], facts, arrears) if matched else ""
        if item.business_kind in derived:
            conf, why = derived[item.business_kind]
            score += 4.0 * conf
            reason = reason or why
        if score > 0:
            scored.append((score, item.code, item, reason))
    scored.sort(key=lambda x: (-x[0], x[1]))
    chosen = scored[:k]
    if len(chosen) < k:   # fill with common services so the kiosk always has k buttons
        have = {c[1] for c in chosen}
        for code in FALLBACK:
            common = next((i for i in catalogue if i.code == code), None)
            if common and code not in have and len(chosen) < k and not excluded(code):
                chosen.append((0.1, code, common, "营业厅常办业务"))
    recs = [Recommendation(item.code, item.title, reason, round(score, 3), item.intent)
            for score, _, item, reason in chosen]
    if log and recs:
        request_id = uuid.uuid4().hex
        session.execute(insert(m.Prediction), [
            {"request_id": request_id, "customer_id": customer_id, "service_code": r.service_code, "rank": i + 1,
             "score": r.score, "k": k, "channel": channel, "predicted_at": now} for i, r in enumerate(recs)])
    return recs

