"""The reference business system, in process: SQLAlchemy 2 over SQLite (default) or PostgreSQL.
Every write runs in one transaction, so an error leaves nothing half-written."""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from business import clock as business_clock
from business import models as m
from business import validation as v
from business.adapter import (
    Account,
    Application,
    Bill,
    BusinessError,
    ComplaintTicket,
    Customer,
    Forbidden,
    Invoice,
    NotFound,
    OutageTicket,
    Payment,
    Profile,
    Recommendation,
    Staff,
)
from business.catalogue import APPLICATION_KINDS, ROLE_NAMES, ROLE_PERMISSIONS
from business.db import make_engine, sessions, write_sessions
from business.profiles import RecomputeStats, compute_one, keyword_trends, recompute_all
from business.recommend import CatalogueItem, arrears_by_account, load_catalogue, recommend
from business.tariff import money

log = logging.getLogger(__name__)
PENDING = ("submitted", "in_progress")
FORBIDDEN_MESSAGES = {
    "pay": "您不是该户号的户主或授权人，不能为该户号缴费",
    "invoice": "您不是该户号的户主或授权人，不能开具该户号的发票",
    "view": "您不是该户号的户主或授权人，不能查看该户号的信息",
    "capacity_increase": "增容只能由户主或委托代理人申请",
    "transfer": "过户只能由户主本人办理",
    "closing": "销户只能由户主本人办理",
}


class SqlBusiness:
    def __init__(self, engine: Engine | str, *, clock: Callable[[], dt.datetime] = business_clock.now) -> None:
        self.engine = make_engine(engine) if isinstance(engine, str) else engine
        self.sessions = sessions(self.engine)
        self.writer = write_sessions(self.engine)
        self.clock = clock
        self._catalogue: list[CatalogueItem] | None = None
        self._lock = threading.Lock()

    # -- helpers ---------------------------------------------------------------------------
    def _items(self, s: Session) -> list[CatalogueItem]:
        if self._catalogue is None:
            with self._lock:
                self._catalogue = load_catalogue(s)
        return self._catalogue

    @staticmethod
    def _customer(s: Session, customer_id: str) -> m.Customer:
        row = s.get(m.Customer, str(customer_id))
        if row is None:
            raise NotFound("没有找到该客户的信息", "customer_not_found")
        return row

    @staticmethod
    def _account(s: Session, account_no: str, lock: bool = False) -> m.Account:
        no = v.account_no(account_no)
        q = select(m.Account).where(m.Account.account_no == no)
        row = s.scalars(q.with_for_update() if lock else q).first()
        if row is None:
            raise NotFound(f"没有找到户号{no}", "account_not_found")
        return row

    @staticmethod
    def _role(s: Session, account_no: str, customer_id: str) -> str | None:
        return s.scalar(select(m.AccountRole.role).where(m.AccountRole.account_no == account_no,
                                                         m.AccountRole.customer_id == customer_id))

    def _require(self, s: Session, account: m.Account, customer_id: str, action: str) -> str:
        self._customer(s, customer_id)
        role = self._role(s, account.account_no, customer_id)
        if role is None or action not in ROLE_PERMISSIONS.get(role, ()):
            raise Forbidden(FORBIDDEN_MESSAGES[action])
        return role

    def _arrears(self, s: Session, account_no: str) -> Decimal:
        return arrears_by_account(s, [account_no], self.clock()).get(account_no, money(0))

    @staticmethod
    def _to_customer(row: m.Customer, ctype: str | None) -> Customer:
        return Customer(row.customer_id, row.name, row.phone, row.id_number, ctype or "", row.face_id)

    # -- identity ----------------------------------------------------------------------------
    def find_customer(self, *, customer_id: str | None = None, face_id: str | None = None,
                      id_number: str | None = None, account_no: str | None = None,
                      phone: str | None = None) -> Customer | None:
        q = select(m.Customer, m.CustomerProfile.customer_type).outerjoin(
            m.CustomerProfile, m.CustomerProfile.customer_id == m.Customer.customer_id)
        if customer_id:
            q = q.where(m.Customer.customer_id == str(customer_id))
        elif face_id:
            q = q.where(m.Customer.face_id == str(face_id))
        elif id_number:
            q = q.where(m.Customer.id_number == v.id_no(id_number))
        elif account_no:
            q = q.join(m.Account, m.Account.holder_id == m.Customer.customer_id).where(
                m.Account.account_no == v.account_no(account_no))
        elif phone:
            q = q.where(m.Customer.phone == v.phone(phone))
        else:
            raise BusinessError("missing_identity", "请提供身份证号、户号或手机号")
        with self.sessions() as s:
            row = s.execute(q.limit(1)).first()
            return self._to_customer(row[0], row[1]) if row else None

    def clear_face_id(self, customer_id: str) -> bool:
        with self.writer.begin() as s:
            row = self._customer(s, customer_id)
            had = row.face_id is not None
            row.face_id = None
        return had

    def accounts_of(self, customer_id: str) -> list[Account]:
        with self.sessions() as s:
            self._customer(s, customer_id)
            rows = s.execute(select(m.Account, m.AccountRole.role).join(
                m.AccountRole, m.AccountRole.account_no == m.Account.account_no).where(
                m.AccountRole.customer_id == customer_id, m.Account.status == "active"))
            out = [Account(a.account_no, a.holder_id, a.address, a.category, role) for a, role in rows]
        order = {"holder": 0, "agent": 1, "family": 2}
        return sorted(out, key=lambda a: (order.get(a.role, 9), a.account_no))

    def profile(self, customer_id: str) -> Profile:
        with self.sessions() as s:
            self._customer(s, customer_id)
            row = s.get(m.CustomerProfile, customer_id)
        if row is None:     # first time: compute and store it
            with self.writer.begin() as s:
                compute_one(s, customer_id, self.clock())
                row = s.get(m.CustomerProfile, customer_id)
        if row is None:
            raise NotFound(f"客户{customer_id}的画像无法生成", "profile_missing")
        return Profile(row.customer_id, row.customer_type, row.activity, row.credit, row.consumption_level,
                       row.channel_pref, row.time_pref, tuple(filter(None, row.keywords.split(","))),
                       tuple(filter(None, row.tags.split(","))), row.computed_at)

    # -- bills and payments ------------------------------------------------------------------
    def bills(self, account_no: str, *, months: int = 3) -> list[Bill]:
        n = v.months(months)
        with self.sessions() as s:
            acc = self._account(s, account_no)
            rows = s.scalars(select(m.Bill).where(m.Bill.account_no == acc.account_no)
                             .order_by(m.Bill.period.desc()).limit(n))
            return [Bill(b.account_no, b.period, money(b.kwh), money(b.amount), b.paid_at is not None, b.due_date)
                    for b in rows]

    def arrears(self, account_no: str) -> Decimal:
        with self.sessions() as s:
            acc = self._account(s, account_no)
            return self._arrears(s, acc.account_no)

    def pay(self, account_no: str, amount: Decimal, *, channel: str, actor_customer_id: str) -> Payment:
        value, channel = v.amount(amount), v.pay_channel(channel)
        now = self.clock()
        with self.writer.begin() as s:
            acc = self._account(s, account_no, lock=True)
            if acc.status != "active":
                raise BusinessError("account_closed", f"户号{acc.account_no}已销户，不能缴费")
            self._require(s, acc, actor_customer_id, "pay")
            left = value
            unpaid = s.scalars(select(m.Bill).where(m.Bill.account_no == acc.account_no, m.Bill.paid_at.is_(None))
                               .order_by(m.Bill.period))
            for bill in unpaid:   # oldest bill first
                share = min(left, bill.amount - bill.paid_amount)
                bill.paid_amount = money(bill.paid_amount + share)
                if bill.paid_amount >= bill.amount:
                    bill.paid_at = now
                left -= share
                if left <= 0:
                    break
            if left > 0:          # beyond the arrears: kept as prepaid credit (预存电费)
                acc.prepaid = money(acc.prepaid + left)
            s.flush()
            balance = self._arrears(s, acc.account_no)
            row = m.Payment(account_no=acc.account_no, amount=value, channel=channel, paid_at=now,
                            actor_customer_id=actor_customer_id, balance_after=balance)
            s.add(row)
            s.flush()
            return Payment(f"P{row.id:010d}", acc.account_no, value, channel, now, balance)

    def issue_invoice(self, account_no: str, period: str | None, *, actor_customer_id: str) -> Invoice:
        wanted = v.period(period) if period else None
        with self.writer.begin() as s:
            acc = self._account(s, account_no)
            self._require(s, acc, actor_customer_id, "invoice")
            q = select(m.Bill).where(m.Bill.account_no == acc.account_no)
            if wanted:
                bill = s.scalars(q.where(m.Bill.period == wanted)).first()
                if bill is None:
                    raise NotFound(f"户号{acc.account_no}没有{wanted}的账单", "bill_not_found")
            else:
                bill = s.scalars(q.where(m.Bill.paid_at.is_not(None)).order_by(m.Bill.period.desc()).limit(1)).first()
                if bill is None:
                    raise NotFound(f"户号{acc.account_no}还没有已缴清的账单，暂时不能开发票", "bill_not_found")
            if bill.paid_at is None:
                raise BusinessError("bill_unpaid", f"{bill.period}的电费还没有缴清，缴费后才能开具发票")
            existing = s.scalars(select(m.Invoice).where(m.Invoice.account_no == acc.account_no,
                                                         m.Invoice.period == bill.period)).first()
            if existing is None:   # printing again gives the same invoice
                existing = m.Invoice(account_no=acc.account_no, period=bill.period, amount=bill.amount,
                                     issued_at=self.clock(), actor_customer_id=actor_customer_id)
                s.add(existing)
                s.flush()
            return Invoice(f"I{existing.id:010d}", acc.account_no, bill.period, money(bill.amount))

    # -- applications and tickets ------------------------------------------------------------
    def create_application(self, kind: str, *, customer_id: str, account_no: str | None,
                           details: dict[str, str]) -> Application:
        kind, info = v.application_kind(kind), v.details(details)
        now = self.clock()
        with self.writer.begin() as s:
            self._customer(s, customer_id)
            acc = None
            if kind == "new_connection":
                if not info.get("address"):
                    raise BusinessError("missing_address", "请提供新装的用电地址")
                if account_no:
                    acc = self._account(s, account_no)
            else:
                if not account_no:
                    raise BusinessError("missing_account", "请提供要办理业务的户号")
                acc = self._account(s, account_no, lock=True)
                if acc.status != "active":
                    raise BusinessError("account_closed", f"户号{acc.account_no}已销户")
                self._require(s, acc, customer_id, kind)
                self._check(s, kind, acc, info)
                pending = s.scalar(select(m.Application.id).where(
                    m.Application.account_no == acc.account_no, m.Application.kind == kind,
                    m.Application.status.in_(PENDING)).limit(1))
                if pending:
                    raise BusinessError("duplicate_application", f"户号{acc.account_no}已有一笔办理中的"
                                        f"{APPLICATION_KINDS[kind]}申请（编号A{pending:010d}）", 409)
            row = m.Application(kind=kind, status="submitted", customer_id=customer_id,
                                account_no=acc.account_no if acc else None,
                                details=json.dumps(info, ensure_ascii=False), created_at=now)
            s.add(row)
            s.flush()
            return Application(f"A{row.id:010d}", kind, row.status, row.account_no, now)

    def _check(self, s: Session, kind: str, acc: m.Account, info: dict[str, str]) -> None:
        if kind == "capacity_increase":
            try:
                kva = int(info.get("capacity_kva", ""))
            except ValueError:
                raise BusinessError("invalid_capacity", "请提供增容后的容量（千伏安，整数）") from None
            if kva <= acc.capacity_kva or kva > 2000:
                raise BusinessError("invalid_capacity",
                                    f"增容后的容量应大于现有的{acc.capacity_kva}千伏安，且不超过2000千伏安")
        elif kind == "transfer":
            if not info.get("new_holder_name"):
                raise BusinessError("missing_new_holder", "请提供新户主的姓名")
            if info.get("new_holder_id_number"):
                info["new_holder_id_number"] = v.id_no(info["new_holder_id_number"])
        elif kind == "closing":
            owed = self._arrears(s, acc.account_no)
            if owed > 0:
                raise BusinessError("arrears_outstanding", f"户号{acc.account_no}还有欠费{owed}元，请先缴清再办理销户")

    def get_application(self, application_id: str) -> Application:
        raw = str(application_id).upper()
        if not (raw.startswith("A") and raw[1:].isdigit()):
            raise BusinessError("invalid_application_id", "申请编号格式不正确，应为A加10位数字")
        with self.sessions() as s:
            number = int(raw[1:])
            row = s.get(m.Application, number) if number < 2**31 else None
            if row is None:
                raise NotFound("没有找到这笔申请", "application_not_found")
            return Application(f"A{row.id:010d}", row.kind, row.status, row.account_no, row.created_at)

    def report_outage(self, *, address: str, phone: str | None, description: str,
                      customer_id: str | None = None) -> OutageTicket:
        where = v.text(address, 128, "地址")
        if len(where) < 4:
            raise BusinessError("missing_address", "请提供停电的详细地址")
        tel = v.phone(phone) if phone else None
        what = v.text(description, 500, "故障描述")
        now = self.clock()
        with self.writer.begin() as s:
            if customer_id:
                self._customer(s, customer_id)
            planned = next((p for p in s.scalars(select(m.PlannedOutage).where(
                m.PlannedOutage.starts_at <= now, m.PlannedOutage.ends_at >= now)) if p.area in where), None)
            row = m.OutageTicket(address=where, phone=tel, description=what, customer_id=customer_id or None,
                                 status="planned" if planned else "dispatched", created_at=now,
                                 planned_outage_id=planned.id if planned else None)
            s.add(row)
            s.flush()
            note = (f"{planned.area}一带{planned.reason}，预计{planned.ends_at:%m月%d日%H:%M}前结束" if planned else None)
            return OutageTicket(f"T{row.id:010d}", where, row.status, now, note)

    def file_complaint(self, *, text: str, phone: str | None = None,
                       customer_id: str | None = None) -> ComplaintTicket:
        what = v.text(text, 1000, "投诉内容")
        if not what:
            raise BusinessError("missing_text", "请说明投诉的内容")
        tel = v.phone(phone) if phone else None
        now = self.clock()
        with self.writer.begin() as s:
            if customer_id:
                self._customer(s, customer_id)
            row = m.Complaint(text=what, phone=tel, customer_id=customer_id or None, status="open", created_at=now)
            s.add(row)
            s.flush()
            return ComplaintTicket(f"K{row.id:010d}", row.status, now, tel is not None)

    # -- marketing ---------------------------------------------------------------------------
    def recommendations(self, customer_id: str, *, k: int = 3, channel: str = "robot") -> list[Recommendation]:
        n, ch = v.k(k), v.text(channel, 16, "渠道") or "robot"
        with self.writer.begin() as s:
            self._customer(s, customer_id)
            return recommend(s, customer_id, self.clock(), n, ch, self._items(s))

    def record_event(self, customer_id: str | None, *, channel: str, kind: str, text: str = "",
                     phone: str | None = None, account_no: str | None = None) -> None:
        ch, kd, body = v.event_channel(channel), v.event_kind(kind), v.text(text, 1000, "内容")
        tel = v.phone(phone) if phone else None
        acc_no = v.account_no(account_no) if account_no else None
        with self.writer.begin() as s:
            if customer_id:
                self._customer(s, customer_id)
            elif tel:       # unify other channels' contacts: phone -> customer, else account -> holder
                customer_id = s.scalar(select(m.Customer.customer_id).where(m.Customer.phone == tel))
            if not customer_id and acc_no:
                customer_id = s.scalar(select(m.Account.holder_id).where(m.Account.account_no == acc_no))
            s.add(m.ChannelEvent(customer_id=customer_id or None, channel=ch, kind=kd, text=body,
                                 occurred_at=self.clock(), phone=tel, account_no=acc_no))

    def staff_for(self, business_type: str) -> list[Staff]:
        kind = v.business_type(business_type)
        now = self.clock()
        with self.sessions() as s:
            rows = s.scalars(select(m.StaffMember).where(m.StaffMember.active.is_(True)))
            out = []
            for r in rows:
                skills = tuple(filter(None, r.skills.split(",")))
                on_duty = str(now.weekday()) in r.weekdays and r.shift_start <= now.hour < r.shift_end
                if kind in skills and on_duty:
                    out.append(Staff(r.staff_id, r.name, skills, True))
        return sorted(out, key=lambda st: (len(st.skills), st.staff_id))   # specialists before generalists

    # -- administration (CLI and HTTP API; not part of the robot's interface) -----------------
    def recompute_profiles(self) -> RecomputeStats:
        return recompute_all(self.sessions, self.writer, self.clock())

    def recompute_if_stale(self, max_age_s: float) -> RecomputeStats | None:
        """Recompute when the newest profile is older than max_age_s (several processes sharing
        one database then recompute once, not once each)."""
        with self.sessions() as s:
            newest = s.scalar(select(func.max(m.CustomerProfile.computed_at)))
        if newest is not None and (self.clock() - newest).total_seconds() < max_age_s:
            return None
        return self.recompute_profiles()

    def start_profile_schedule(self, interval_s: float) -> threading.Thread:
        """Daemon thread keeping profiles at most interval_s old."""
        def loop() -> None:
            while True:
                try:
                    self.recompute_if_stale(interval_s)
                except Exception:
                    log.exception("scheduled profile recompute failed")
                time.sleep(min(interval_s, 3600))
        thread = threading.Thread(target=loop, name="profile-schedule", daemon=True)
        thread.start()
        return thread

    def keyword_trends(self, period: str, top: int = 20) -> list[tuple[str, int]]:
        with self.sessions() as s:
            return keyword_trends(s, v.period(period), top)

    def counts(self) -> dict[str, int]:
        with self.sessions() as s:
            return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) or 0
                    for t in (m.Customer, m.Account, m.Bill, m.Payment, m.ChannelEvent, m.Prediction)}

    def role_name(self, role: str) -> str:
        return ROLE_NAMES.get(role, role)
