"""Deterministic demo data: the same (seed, now, customers, months) always gives the same rows.
Nothing is dated after `now` (default: business.clock), so the data reads the same at any hour.

Customers are generated one by one from their own random stream (so chunking does not change
the data) and inserted in chunks with executemany (so a million customers fit in memory).
Behaviour is persona-driven (punctual / late / chronic / churned / new) and correlated with the
profile features the recommender uses, so the predicted-vs-actual report measures something.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, delete, insert

from business import catalogue, clock
from business import models as m
from business.demo import DEMO_CUSTOMERS
from business.tariff import bill_amount, kwh_for_amount
from identity import id_number

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳"
         "晨雪琳晶颖倩婷佳怡欣然思雨嘉诚志文博子轩涵睿泽昊瑶梓萱")
DISTRICTS = ("浦东新区", "徐汇区", "闵行区", "静安区", "黄浦区", "长宁区", "普陀区", "杨浦区", "宝山区", "嘉定区")
ROADS = ("张江路", "世纪大道", "漕溪北路", "虹桥路", "南京西路", "共和新路", "长阳路", "友谊路", "曹安公路", "龙华路",
         "宜山路", "中山北路", "国权路", "浦锦路", "莲花路", "延安西路", "武宁路", "江湾路", "金沙江路", "沪太路")
ID_REGIONS = ("310101", "310104", "310105", "310115", "310112", "320102", "330102", "340102", "370102", "410102",
              "420102", "430102", "510104", "110101", "120101", "130102", "350102", "360102", "440103", "500103",
              "610102", "210102", "220102", "230102")
PHONE_PREFIXES = ("139", "137", "136", "135", "134", "150", "151", "152", "157", "158", "159", "182", "183", "187",
                  "188", "130", "131", "132", "155", "156", "186", "133", "153", "180", "181", "189", "177", "199")
PERSONAS = (("punctual", 0.62), ("late", 0.20), ("chronic", 0.06), ("churned", 0.07), ("new", 0.05))
SEASON = (1.3, 1.25, 1.0, 0.9, 0.9, 1.1, 1.55, 1.6, 1.15, 0.9, 0.95, 1.2)   # Jan..Dec
HOURS = {"morning": (8, 12), "afternoon": (12, 18), "evening": (18, 23), "night": (23, 30)}
PLANNED_OUTAGE_AREA = "幸福路"

TEXTS = {
    "query_bill": ("我想查一下上个月的电费", "这个月电费怎么这么高", "帮我查查电费账单", "电费比上个月多了很多是什么原因",
                   "查一下我家用了多少度电", "空调开多了电费涨了好多"),
    "consult": ("峰谷电价怎么申请", "光伏并网需要什么材料", "过户需要带什么证件", "怎么开电子发票", "电动汽车充电桩怎么报装",
                "阶梯电价是怎么算的", "自动扣费怎么签约"),
    "report_outage": ("家里停电了什么时候恢复", "小区突然停电了", "电表跳闸了怎么办", "楼道没电了，麻烦来修一下"),
    "complaint": ("抄表数据不对，我要投诉", "维修人员来得太慢了", "电压不稳，灯一直闪", "电费扣错了，要求退款"),
    "auto_debit_signup": ("我要签约银行代扣", "帮我办理自动扣费"),
    "app_signup": ("注册网上国网账号", "App怎么绑定户号"),
    "tou_signup": ("申请峰谷电价", "我要办理分时电价"),
    "energy_audit": ("想做一下能效诊断", "有没有节能的建议"),
    "outage_notice_signup": ("订阅停电通知",),
}
FOLLOW_UPS = {  # completed application -> (business, probability): the "derived services" to mine
    "transfer": (("auto_debit_signup", 0.40), ("app_signup", 0.25)),
    "new_connection": (("app_signup", 0.45), ("auto_debit_signup", 0.25)),
    "capacity_increase": (("tou_signup", 0.35), ("energy_audit", 0.20)),
}
TABLE_ORDER = (m.Customer, m.Account, m.AccountRole, m.Meter, m.MeterReading, m.Bill, m.Payment, m.Application,
               m.OutageTicket, m.Invoice, m.ChannelEvent)


@dataclass
class SeedStats:
    customers: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def periods_before(today: dt.date, months: int) -> list[str]:
    """The `months` complete months before today's month, oldest first."""
    y, mo = today.year, today.month
    out = []
    for _ in range(months):
        mo -= 1
        if mo == 0:
            y, mo = y - 1, 12
        out.append(f"{y:04d}-{mo:02d}")
    return out[::-1]


def _month_start(period: str) -> dt.date:
    return dt.date(int(period[:4]), int(period[5:7]), 1)


def _next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)


def customer_id(n: int) -> str:
    return f"C{n:06d}"


def generated_phone(n: int) -> str:
    # (a*n + b) mod 1e8 is a bijection for a coprime to 10, so phones never repeat; 138 is
    # kept for the demo customers.
    return PHONE_PREFIXES[n % len(PHONE_PREFIXES)] + f"{(n * 7_654_321 + 13_579_113) % 100_000_000:08d}"


def generated_account(n: int) -> str:
    return f"{3_200_000_000 + n}"     # demo accounts are 31000000xx


class _Batch:
    def __init__(self) -> None:
        self.rows: dict[type, list[dict]] = {t: [] for t in TABLE_ORDER}

    def add(self, table: type, **row) -> None:
        self.rows[table].append(row)


@dataclass
class _Spec:
    """What a generated customer is like; the demo customers are given fixed specs."""
    persona: str
    age: int
    pay_channel: str
    created: dt.date
    accounts: list[dict]


class Generator:
    def __init__(self, seed: int, now: dt.datetime, months: int) -> None:
        self.seed, self.now, self.today = seed, now, now.date()
        self.periods = periods_before(self.today, months)
        self.window_start = _month_start(self.periods[0])
        self.used_ids = {c.id_number for c in DEMO_CUSTOMERS}
        self.next_account = 0

    # -- people ----------------------------------------------------------------------------
    def _name(self, rng: random.Random) -> str:
        s = SURNAMES[min(int(rng.expovariate(1 / 18)), len(SURNAMES) - 1)]
        return s + "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.35 else 2))

    def _address(self, rng: random.Random) -> str:
        return (f"上海市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 1500)}弄"
                f"{rng.randint(1, 40)}号{rng.randint(1, 30)}{rng.randint(1, 4):02d}室")

    def _id_number(self, rng: random.Random, birth: dt.date, male: bool) -> str:
        while True:
            seq = rng.randrange(0, 999)
            seq += (seq % 2 == 0) if male else (seq % 2 == 1)
            value = id_number.make(rng.choice(ID_REGIONS), birth, seq % 1000)
            if value not in self.used_ids and id_number.is_valid(value):
                self.used_ids.add(value)
                return value

    @staticmethod
    def _pay_channel(rng: random.Random, age: int) -> str:
        choices: tuple[tuple[str, float], ...]
        if age >= 60:
            choices = (("hall", 0.6), ("bank", 0.25), ("wechat", 0.15))
        elif age < 35:
            choices = (("app", 0.5), ("wechat", 0.4), ("web", 0.1))
        else:
            choices = (("hall", 0.25), ("wechat", 0.35), ("app", 0.3), ("bank", 0.1))
        return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]

    # -- one customer ----------------------------------------------------------------------
    def generated(self, n: int, batch: _Batch, family_pool: deque[str]) -> None:
        rng = random.Random(self.seed * 10_000_019 + n)
        persona = rng.choices([p for p, _ in PERSONAS], [w for _, w in PERSONAS])[0]
        age = min(int(rng.triangular(20, 88, 45)), 88)
        male = rng.random() < 0.5
        birth = self.today.replace(year=self.today.year - age, day=1) - dt.timedelta(days=rng.randint(0, 360))
        if persona == "new":
            created = self.today - dt.timedelta(days=rng.randint(20, 300))
        else:
            created = dt.date(rng.randint(2003, self.today.year - 1), rng.randint(1, 12), rng.randint(1, 28))
        cid = customer_id(n)
        address = self._address(rng)
        spec = _Spec(persona, age, self._pay_channel(rng, age), created, [])
        n_acc = 1 + (rng.random() < 0.08)
        for k in range(n_acc):
            business = rng.random() < 0.07
            spec.accounts.append({
                "account_no": generated_account(self.next_account), "category": "非居民" if business else "居民",
                "address": address if k == 0 and not business else self._address(rng),
                "base_kwh": rng.uniform(800, 5000) if business else rng.lognormvariate(math.log(190), 0.45),
                "peak_ratio": rng.uniform(0.55, 0.85) if business else rng.uniform(0.3, 0.68),
                "capacity_kva": rng.choice((30, 50, 80, 100)) if business else rng.choice((4, 6, 8, 10)),
                "auto_debit": persona == "punctual" and rng.random() < 0.2,
                "tariff": ("tou" if rng.random() < 0.1 else "flat") if business else ("tou" if rng.random() < 0.08 else "tiered"),
            })
            self.next_account += 1
        batch.add(m.Customer, customer_id=cid, name=self._name(rng), phone=generated_phone(n),
                  id_number=self._id_number(rng, birth, male), face_id=None, birth_date=birth,
                  gender="男" if male else "女", address=address, created_at=dt.datetime.combine(created, dt.time(10)))
        self._history(rng, cid, generated_phone(n), spec, batch)
        for acc in spec.accounts:   # relatives who may pay, agents of businesses
            role = "agent" if acc["category"] == "非居民" else "family"
            if family_pool and rng.random() < (0.2 if role == "agent" else 0.08):
                batch.add(m.AccountRole, account_no=acc["account_no"], customer_id=rng.choice(family_pool), role=role)
        family_pool.append(cid)

    def demo(self, batch: _Batch) -> None:
        zw, ln, wq = DEMO_CUSTOMERS
        specs = {
            zw.customer_id: _Spec("punctual", 41, "hall", dt.date(2012, 5, 8), [
                {"account_no": "3100000001", "category": "居民", "address": "上海市浦东新区张江路188弄6号1202室",
                 "base_kwh": 260.0, "peak_ratio": 0.5, "capacity_kva": 8, "auto_debit": False, "tariff": "tiered",
                 "force_paid": True, "last_unpaid": zw.arrears},
                {"account_no": "3100000004", "category": "居民", "address": "上海市徐汇区漕溪北路595弄2号301室",
                 "base_kwh": 70.0, "peak_ratio": 0.4, "capacity_kva": 4, "auto_debit": False, "tariff": "tiered",
                 "force_paid": True}]),
            ln.customer_id: _Spec("punctual", 34, "app", dt.date(2018, 9, 14), [
                {"account_no": "3100000002", "category": "居民", "address": "上海市静安区南京西路1266弄3号801室",
                 "base_kwh": 150.0, "peak_ratio": 0.45, "capacity_kva": 6, "auto_debit": False, "tariff": "tiered",
                 "force_paid": True}]),
            wq.customer_id: _Spec("punctual", 56, "wechat", dt.date(2009, 3, 2), [
                {"account_no": "3100000003", "category": "非居民", "address": "上海市闵行区虹桥路2188号底商12号",
                 "base_kwh": 3000.0, "peak_ratio": 0.74, "capacity_kva": 50, "auto_debit": False, "tariff": "flat",
                 "force_paid": True}]),
        }
        for c in DEMO_CUSTOMERS:
            spec = specs[c.customer_id]
            parsed = id_number.parse(c.id_number)
            batch.add(m.Customer, customer_id=c.customer_id, name=c.name, phone=c.phone, id_number=c.id_number,
                      face_id=c.face_id, birth_date=parsed.birth_date, gender=parsed.sex,
                      address=spec.accounts[0]["address"], created_at=dt.datetime.combine(spec.created, dt.time(10)))
            rng = random.Random(self.seed * 10_000_019 + int(c.customer_id[1:]))
            self._history(rng, c.customer_id, c.phone, spec, batch, quiet=True)
        batch.add(m.AccountRole, account_no=zw.account, customer_id=ln.customer_id, role="family")

    # -- an account's two years ------------------------------------------------------------
    def _history(self, rng: random.Random, cid: str, phone: str, spec: _Spec, batch: _Batch, quiet: bool = False) -> None:
        churn_at = None
        if spec.persona == "churned":
            churn_at = self.today - dt.timedelta(days=rng.randint(400, 700))
        time_pref = rng.choice(tuple(HOURS))
        events: list[tuple[dt.datetime, str]] = []
        signup_at: dict[str, dt.datetime] = {}
        # slow drifts the recommender should catch (decided first: later payments depend on them)
        senior_hall = spec.age >= 60 and spec.pay_channel == "hall"
        for period in self.periods:
            start = _month_start(period)
            if start > (churn_at or self.today) or start < spec.created.replace(day=1):
                continue
            if senior_hall and "auto_debit_signup" not in signup_at and rng.random() < 0.02:
                signup_at["auto_debit_signup"] = self._moment(rng, start, time_pref)
                events.append((signup_at["auto_debit_signup"], "auto_debit_signup"))
            if spec.pay_channel in ("hall", "bank") and "app_signup" not in signup_at and rng.random() < 0.01:
                signup_at["app_signup"] = self._moment(rng, start, time_pref)
                events.append((signup_at["app_signup"], "app_signup"))
        for acc in spec.accounts:
            opened = spec.created
            closed = churn_at if churn_at and acc is spec.accounts[0] else None
            batch.add(m.Account, account_no=acc["account_no"], holder_id=cid, address=acc["address"],
                      category=acc["category"], tariff=acc["tariff"], status="closed" if closed else "active",
                      opened_on=opened, capacity_kva=acc["capacity_kva"], prepaid=Decimal("0.00"),
                      auto_debit=acc["auto_debit"])
            account_row = batch.rows[m.Account][-1]
            batch.add(m.AccountRole, account_no=acc["account_no"], customer_id=cid, role="holder")
            meter_id = "M" + acc["account_no"]
            batch.add(m.Meter, meter_id=meter_id, account_no=acc["account_no"],
                      kind="tou" if acc["tariff"] == "tou" else "single", installed_on=opened)
            # applications across the window (with their typical follow-ups)
            apps: list[tuple[str, dt.datetime]] = []
            if opened >= self.window_start:
                apps.append(("new_connection", dt.datetime.combine(opened, dt.time(10))))
            if not quiet:
                for kind, p in (("capacity_increase", 0.04 if acc["category"] == "非居民" else 0.01), ("transfer", 0.015)):
                    if rng.random() < p:
                        day = self.window_start + dt.timedelta(days=rng.randint(0, (self.today - self.window_start).days - 30))
                        apps.append((kind, dt.datetime.combine(day, dt.time(rng.randint(9, 16)))))
            if closed and closed >= self.window_start:
                apps.append(("closing", dt.datetime.combine(closed, dt.time(11))))
            for kind, at in apps:
                done = at + dt.timedelta(days=rng.randint(2, 12))
                status = "completed" if done < self.now else "in_progress"
                batch.add(m.Application, kind=kind, status=status, customer_id=cid, account_no=acc["account_no"],
                          details=json.dumps({"address": acc["address"]}, ensure_ascii=False), created_at=at,
                          completed_at=done if status == "completed" else None)
                for follow, p in FOLLOW_UPS.get(kind, ()):
                    if status == "completed" and rng.random() < p:
                        when = done + dt.timedelta(days=rng.randint(1, 45), hours=rng.randint(0, 8))
                        if when < self.now:
                            events.append((when, follow))
                            signup_at.setdefault(follow, when)
            self._bills(rng, cid, acc, spec, closed, time_pref, signup_at, events, batch)
            # signed up during the window: the account shows it now
            if signup_at.get("auto_debit_signup", self.now) < self.now:
                account_row["auto_debit"] = True
            if signup_at.get("tou_signup", self.now) < self.now:
                account_row["tariff"] = "tou"
        # free-form contacts on the customer's channels
        end = churn_at or self.today
        rate = {"punctual": 0.35, "late": 0.5, "chronic": 0.6, "churned": 0.25, "new": 0.8}[spec.persona]
        for period in self.periods:
            start = _month_start(period)
            if start > end or start < spec.created.replace(day=1):
                continue
            for _ in range(self._poisson(rng, rate)):
                kind = rng.choices(("query_bill", "consult", "report_outage", "complaint"), (0.5, 0.3, 0.12, 0.08))[0]
                events.append((self._moment(rng, start, time_pref), kind))
        channel = {"hall": ("hall", "robot", "95598"), "bank": ("95598", "ivr", "hall"), "app": ("app",),
                   "wechat": ("wechat", "app"), "web": ("web", "app")}[spec.pay_channel]
        account_no = spec.accounts[0]["account_no"]
        for when, kind in events:
            if when >= self.now:
                continue
            ch = "app" if kind == "app_signup" else rng.choice(channel)
            batch.add(m.ChannelEvent, customer_id=cid, channel=ch, kind=kind, text=rng.choice(TEXTS[kind]),
                      occurred_at=when, phone=phone, account_no=account_no)
            if kind == "report_outage":
                batch.add(m.OutageTicket, address=spec.accounts[0]["address"], phone=phone,
                          description=rng.choice(TEXTS[kind]), customer_id=cid, status="closed", created_at=when,
                          planned_outage_id=None)

    def _bills(self, rng, cid, acc, spec, closed, time_pref, signup_at, events, batch) -> None:
        meter_id, reading = "M" + acc["account_no"], Decimal(rng.randint(1000, 30000))
        tariff = acc["tariff"]
        high_peak = acc["peak_ratio"] >= 0.55 and tariff != "tou"
        business = acc["category"] == "非居民"
        n_periods = len(self.periods)
        for i, period in enumerate(self.periods):
            start = _month_start(period)
            if start < spec.created.replace(day=1) or (closed and start > closed):
                continue
            if high_peak and not acc.get("force_paid") and "tou_signup" not in signup_at and rng.random() < 0.012:
                signup_at["tou_signup"] = self._moment(rng, start, time_pref)
                events.append((signup_at["tou_signup"], "tou_signup"))
            if "tou_signup" in signup_at and signup_at["tou_signup"].date() < start:
                tariff = "tou"
            last_unpaid = acc.get("last_unpaid") if i == n_periods - 1 else None
            if last_unpaid is not None:
                kwh = kwh_for_amount(acc["category"], tariff, last_unpaid, Decimal(str(acc["peak_ratio"])))
            else:
                kwh = Decimal(max(5, round(acc["base_kwh"] * SEASON[start.month - 1] * rng.uniform(0.8, 1.2))))
            peak = (kwh * Decimal(str(round(acc["peak_ratio"], 2)))).quantize(Decimal("0.01"))
            amount = bill_amount(acc["category"], tariff, kwh, peak)
            issued = _next_month(start)
            due = issued + dt.timedelta(days=19)
            reading += kwh
            batch.add(m.MeterReading, meter_id=meter_id, period=period, reading=reading, peak_kwh=peak,
                      valley_kwh=kwh - peak, read_on=issued)
            paid_at, channel = self._payment_time(rng, spec, acc, issued, due, time_pref, signup_at)
            if acc.get("force_paid"):
                paid_before = self.now - dt.timedelta(hours=2)   # demo customers paid all but the last unpaid bill
                paid_at = None if last_unpaid is not None else min(paid_at or paid_before, paid_before)
            elif paid_at is not None and paid_at >= self.now:
                paid_at = None
            batch.add(m.Bill, account_no=acc["account_no"], period=period, kwh=kwh, peak_kwh=peak, amount=amount,
                      paid_amount=amount if paid_at else Decimal("0.00"), due_date=due, paid_at=paid_at)
            if paid_at:
                batch.add(m.Payment, account_no=acc["account_no"], amount=amount, channel=channel, paid_at=paid_at,
                          actor_customer_id=cid, balance_after=Decimal("0.00"))
                if rng.random() < (0.7 if business else 0.02):
                    batch.add(m.Invoice, account_no=acc["account_no"], period=period, amount=amount,
                              issued_at=paid_at + dt.timedelta(hours=1), actor_customer_id=cid)

    def _payment_time(self, rng, spec, acc, issued, due, time_pref, signup_at) -> tuple[dt.datetime | None, str]:
        signed = signup_at.get("auto_debit_signup")
        if acc["auto_debit"] or (signed and signed.date() < issued):
            return dt.datetime.combine(due - dt.timedelta(days=3), dt.time(3, rng.randint(0, 59))), "auto_debit"
        persona = spec.persona
        if persona in ("punctual", "new", "churned"):
            day = issued + dt.timedelta(days=rng.randint(1, 18))
        elif persona == "late":
            day = due + dt.timedelta(days=rng.randint(-10, 40))
        else:
            if rng.random() < 0.1:
                return None, spec.pay_channel            # chronic: some bills stay unpaid
            day = due + dt.timedelta(days=rng.randint(10, 90))
        return self._moment(rng, day, time_pref, exact_day=True), spec.pay_channel

    @staticmethod
    def _moment(rng: random.Random, day: dt.date, pref: str, exact_day: bool = False) -> dt.datetime:
        lo, hi = HOURS[pref] if rng.random() < 0.75 else HOURS[rng.choice(tuple(HOURS))]
        hour = rng.randrange(lo, hi) % 24
        if not exact_day:
            day = day + dt.timedelta(days=rng.randint(0, 27))
        return dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59)))

    @staticmethod
    def _poisson(rng: random.Random, lam: float) -> int:
        k, p, limit = 0, rng.random(), math.exp(-lam)
        while p > limit:
            k += 1
            p *= rng.random()
        return k


def _reference_rows(conn, today: dt.date) -> None:
    conn.execute(insert(m.Service), [
        {"code": s.code, "title": s.title, "description": s.description, "tags": ",".join(s.tags),
         "intent": s.intent, "business_kind": s.business_kind, "priority": s.priority} for s in catalogue.SERVICES])
    conn.execute(insert(m.StaffMember), [
        {"staff_id": s.staff_id, "name": s.name, "skills": ",".join(s.skills), "shift_start": s.shift_start,
         "shift_end": s.shift_end, "weekdays": s.weekdays, "active": True} for s in catalogue.STAFF])
    base = dt.datetime.combine(today, dt.time(0))
    conn.execute(insert(m.PlannedOutage), [
        {"area": PLANNED_OUTAGE_AREA, "starts_at": base - dt.timedelta(days=1), "ends_at": base + dt.timedelta(days=30),
         "reason": "线路检修，计划停电每天08:00至18:00"},
        {"area": "龙华路", "starts_at": base - dt.timedelta(days=60), "ends_at": base - dt.timedelta(days=59),
         "reason": "变压器更换"},
    ])


def _sqlite_value(value):
    # the same storage SQLAlchemy's SQLite types use (Numeric as REAL, DateTime with microseconds)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(" ", "microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _bulk_insert(conn, table: type[m.Base], rows: list[dict]) -> None:
    """executemany straight to the driver: SQLAlchemy's per-row parameter processing is most of
    the cost of a large seed."""
    cols = list(rows[0])
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.__tablename__} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    if conn.dialect.name == "sqlite":
        params = [tuple(_sqlite_value(r[c]) for c in cols) for r in rows]
    else:
        params = [tuple(r[c] for c in cols) for r in rows]
    conn.exec_driver_sql(sql, params)


def seed(engine: Engine, customers: int = 10_000, *, seed: int = 42, today: dt.date | None = None,
         now: dt.datetime | None = None, months: int = 24, chunk: int = 2_000,
         progress: Callable[[int], None] | None = None) -> SeedStats:
    """Fill an empty, migrated database. `customers` counts the three demo customers too.
    The history ends at `now`: the business clock by default, 08:00 of `today` when a day is given."""
    if customers < len(DEMO_CUSTOMERS):
        raise ValueError(f"至少需要{len(DEMO_CUSTOMERS)}位客户（含演示客户）")
    t0 = time.perf_counter()
    if now is None:
        now = dt.datetime.combine(today, dt.time(8, 0)) if today else clock.now()
    today = now.date()
    gen = Generator(seed, now, months)
    stats = SeedStats()
    with engine.begin() as conn:
        _reference_rows(conn, today)
    family_pool: deque[str] = deque(maxlen=500)   # recent customers: relatives and agents come from here
    n = len(DEMO_CUSTOMERS) + 1
    first = True
    while first or n <= customers:
        batch = _Batch()
        if first:
            gen.demo(batch)
            first = False
        end = min(customers + 1, n + chunk)
        for i in range(n, end):
            gen.generated(i, batch, family_pool)
        n = end
        with engine.begin() as conn:
            for table in TABLE_ORDER:
                rows = batch.rows[table]
                if rows:
                    _bulk_insert(conn, table, rows)
                    stats.rows[table.__tablename__] = stats.rows.get(table.__tablename__, 0) + len(rows)
        if progress:
            progress(n - 1)
    stats.customers = customers
    stats.seconds = time.perf_counter() - t0
    return stats


def clear(engine: Engine) -> None:
    """Delete every row (for `seed --replace`)."""
    with engine.begin() as conn:
        for table in (m.Prediction, m.DerivedRule, m.CustomerProfile, *reversed(TABLE_ORDER), m.PlannedOutage,
                      m.StaffMember, m.Service):
            conn.execute(delete(table))
