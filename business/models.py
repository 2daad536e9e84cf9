"""SQLAlchemy 2 tables of the reference business system. The schema itself is created by the
Alembic migration in business/migrations (tests check that the two agree)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Money = Numeric(12, 2)
Kwh = Numeric(12, 2)


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"
    customer_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    face_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    birth_date: Mapped[dt.date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(2))
    address: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Account(Base):
    __tablename__ = "accounts"
    account_no: Mapped[str] = mapped_column(String(10), primary_key=True)
    holder_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    address: Mapped[str] = mapped_column(String(128))
    category: Mapped[str] = mapped_column(String(8))          # 居民 / 非居民
    tariff: Mapped[str] = mapped_column(String(16))           # tiered / tou / flat
    status: Mapped[str] = mapped_column(String(16), default="active")   # active / closed
    opened_on: Mapped[dt.date] = mapped_column(Date)
    capacity_kva: Mapped[int] = mapped_column(Integer)
    prepaid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    auto_debit: Mapped[bool] = mapped_column(Boolean, default=False)


class AccountRole(Base):
    """Who may act on an account: holder (户主), agent (委托代理人), family (家庭成员)."""
    __tablename__ = "account_roles"
    account_no: Mapped[str] = mapped_column(ForeignKey("accounts.account_no"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(8))
    __table_args__ = (Index("ix_account_roles_customer", "customer_id"),)


class Meter(Base):
    __tablename__ = "meters"
    meter_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    account_no: Mapped[str] = mapped_column(ForeignKey("accounts.account_no"), index=True)
    kind: Mapped[str] = mapped_column(String(16))             # single / tou
    installed_on: Mapped[dt.date] = mapped_column(Date)


class MeterReading(Base):
    __tablename__ = "meter_readings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meter_id: Mapped[str] = mapped_column(ForeignKey("meters.meter_id"))
    period: Mapped[str] = mapped_column(String(7))
    reading: Mapped[Decimal] = mapped_column(Kwh)             # cumulative register at month end
    peak_kwh: Mapped[Decimal] = mapped_column(Kwh)
    valley_kwh: Mapped[Decimal] = mapped_column(Kwh)
    read_on: Mapped[dt.date] = mapped_column(Date)
    __table_args__ = (UniqueConstraint("meter_id", "period", name="uq_reading_meter_period"),)


class Bill(Base):
    __tablename__ = "bills"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_no: Mapped[str] = mapped_column(ForeignKey("accounts.account_no"))
    period: Mapped[str] = mapped_column(String(7))
    kwh: Mapped[Decimal] = mapped_column(Kwh)
    peak_kwh: Mapped[Decimal] = mapped_column(Kwh)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    due_date: Mapped[dt.date] = mapped_column(Date)
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime)   # when fully paid
    __table_args__ = (UniqueConstraint("account_no", "period", name="uq_bill_account_period"),)


class Payment(Base):
    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_no: Mapped[str] = mapped_column(ForeignKey("accounts.account_no"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    channel: Mapped[str] = mapped_column(String(16))
    paid_at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor_customer_id: Mapped[str | None] = mapped_column(String(16))
    balance_after: Mapped[Decimal] = mapped_column(Money)
    __table_args__ = (Index("ix_payments_actor_time", "actor_customer_id", "paid_at"),)


class Application(Base):
    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))           # submitted / in_progress / completed / rejected
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    account_no: Mapped[str | None] = mapped_column(ForeignKey("accounts.account_no"), index=True)
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class PlannedOutage(Base):
    __tablename__ = "planned_outages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    area: Mapped[str] = mapped_column(String(64))             # matched as a substring of the address
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(128))


class OutageTicket(Base):
    __tablename__ = "outage_tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    planned_outage_id: Mapped[int | None] = mapped_column(ForeignKey("planned_outages.id"))


class Complaint(Base):
    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(16))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.customer_id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Invoice(Base):
    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_no: Mapped[str] = mapped_column(ForeignKey("accounts.account_no"))
    period: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Decimal] = mapped_column(Money)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor_customer_id: Mapped[str | None] = mapped_column(String(16))
    __table_args__ = (UniqueConstraint("account_no", "period", name="uq_invoice_account_period"),
                      Index("ix_invoices_actor_time", "actor_customer_id", "issued_at"))


class StaffMember(Base):
    __tablename__ = "staff"
    staff_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    skills: Mapped[str] = mapped_column(String(256))          # comma-separated business types
    shift_start: Mapped[int] = mapped_column(Integer)         # hour of day, inclusive
    shift_end: Mapped[int] = mapped_column(Integer)           # hour of day, exclusive (24 = midnight)
    weekdays: Mapped[str] = mapped_column(String(7))          # "0123456", Monday = 0
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Service(Base):
    """Catalogue of products and services the robot may recommend."""
    __tablename__ = "services"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(256))
    tags: Mapped[str] = mapped_column(String(256))            # comma-separated profile tags it fits
    intent: Mapped[str | None] = mapped_column(String(32))
    business_kind: Mapped[str] = mapped_column(String(32))    # channel event kind that counts as "handled"
    priority: Mapped[float] = mapped_column(Float, default=1.0)


class ChannelEvent(Base):
    __tablename__ = "channel_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))           # robot / ivr / wechat / app / web / 95598 / hall
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    phone: Mapped[str | None] = mapped_column(String(16))
    account_no: Mapped[str | None] = mapped_column(String(10))
    # No index on occurred_at alone: SQLite would then pick it over the customer index for
    # "this chunk of customers in the last year" and scan half the table (22 s a chunk at 1M).
    __table_args__ = (Index("ix_events_customer_time", "customer_id", "occurred_at"),)


class CustomerProfile(Base):
    __tablename__ = "customer_profiles"
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.customer_id"), primary_key=True)
    customer_type: Mapped[str] = mapped_column(String(16))
    activity: Mapped[float] = mapped_column(Float)            # 0..1
    credit: Mapped[int] = mapped_column(Integer)              # 0..100
    consumption_level: Mapped[str] = mapped_column(String(8)) # low / medium / high
    channel_pref: Mapped[str] = mapped_column(String(16))
    time_pref: Mapped[str] = mapped_column(String(12))        # morning / afternoon / evening / night
    keywords: Mapped[str] = mapped_column(String(256))        # comma-separated
    tags: Mapped[str] = mapped_column(String(256))            # comma-separated recommendation tags
    peak_ratio: Mapped[float] = mapped_column(Float)
    facts: Mapped[str] = mapped_column(Text, default="{}")    # JSON: numbers behind the tags, for reasons
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class DerivedRule(Base):
    """"Customers who completed A usually handle B next", mined from the history."""
    __tablename__ = "derived_rules"
    antecedent: Mapped[str] = mapped_column(String(32), primary_key=True)
    consequent: Mapped[str] = mapped_column(String(32), primary_key=True)
    support: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)


class Prediction(Base):
    __tablename__ = "prediction_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(32), index=True)
    customer_id: Mapped[str] = mapped_column(String(16))
    service_code: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    k: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    predicted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_predictions_time", "predicted_at"),)
