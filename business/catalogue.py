"""Static reference data: role permissions, channels, business types, the service catalogue and
the hall's staff roster. The seed writes the catalogue and staff into the database; a utility
edits them there."""
from __future__ import annotations

from dataclasses import dataclass

# What each role on an account may do (户主 / 委托代理人 / 家庭成员).
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "holder": frozenset({"view", "pay", "invoice", "capacity_increase", "transfer", "closing"}),
    "agent": frozenset({"view", "pay", "invoice", "capacity_increase"}),
    "family": frozenset({"view", "pay", "invoice"}),
}
ROLE_NAMES = {"holder": "户主", "agent": "委托代理人", "family": "家庭成员"}

CHANNELS = ("robot", "hall", "ivr", "wechat", "app", "web", "95598", "bank", "auto_debit")
EVENT_CHANNELS = ("robot", "hall", "ivr", "wechat", "app", "web", "95598")

APPLICATION_KINDS = {"new_connection": "新装", "capacity_increase": "增容", "transfer": "过户", "closing": "销户"}

# Business types staff can be skilled in; dialogue intent names are accepted as aliases.
BUSINESS_TYPES = {
    "pay_bill": "缴费", "query_bill": "账单查询", "print_invoice": "发票打印", "new_connection": "新装",
    "capacity_increase": "增容", "transfer": "过户", "closing": "销户", "report_outage": "故障报修",
    "tariff": "电价业务", "complaint": "投诉建议", "consult": "业务咨询",
}
BUSINESS_ALIASES = {"transfer_ownership": "transfer", "close_account": "closing", "outage": "report_outage",
                    "handoff": "consult", "general": "consult"}


@dataclass(frozen=True)
class ServiceDef:
    code: str
    title: str
    description: str
    tags: tuple[str, ...]
    business_kind: str           # the channel event / business that counts as "handled"
    intent: str | None = None
    priority: float = 1.0


SERVICES: tuple[ServiceDef, ...] = (
    ServiceDef("pay_now", "立即缴纳电费", "现场或扫码缴清欠费", ("arrears",), "pay_bill", "pay_bill", 3.0),
    ServiceDef("auto_debit", "签约自动代扣", "绑定银行卡，每月自动缴纳电费",
               ("hall_payer", "late_payer", "senior"), "auto_debit_signup", None, 1.0),
    ServiceDef("app_signup", "开通网上国网App", "手机上查电费、缴费、办业务，家人也可代缴",
               ("hall_payer", "no_app", "new_customer"), "app_signup", None, 0.8),
    ServiceDef("tou_tariff", "办理峰谷分时电价", "低谷时段电价更低，适合能错峰用电的客户",
               ("high_peak",), "tou_signup", None, 1.6),
    ServiceDef("bill_analysis", "查询电费账单", "查看近几个月的电量电费和用电分析",
               ("high_consumption", "bill_increase", "bill_querier"), "query_bill", "query_bill", 0.7),
    ServiceDef("e_invoice", "开具电费发票", "打印或推送电费发票", ("business", "invoice_user"),
               "print_invoice", "print_invoice", 0.8),
    ServiceDef("capacity_increase", "申请增容", "用电负荷接近报装容量时申请增加容量",
               ("near_capacity",), "capacity_increase", "capacity_increase", 1.5),
    ServiceDef("energy_audit", "免费能效诊断", "上门检测用能情况，给出节能建议",
               ("business", "high_consumption"), "energy_audit", None, 0.6),
    ServiceDef("outage_notice", "订阅停电通知", "计划停电提前短信或微信通知",
               ("outage_affected", "digital"), "outage_notice_signup", None, 0.7),
    ServiceDef("transfer", "办理过户", "房屋买卖或继承后变更户名", ("recent_move",), "transfer",
               "transfer_ownership", 1.0),
)

# Weight of each profile tag when it matches a service tag.
TAG_WEIGHTS = {
    "arrears": 10.0, "high_peak": 3.0, "near_capacity": 3.0, "hall_payer": 2.0, "senior": 1.0,
    "late_payer": 2.5, "bill_querier": 2.0, "no_app": 1.0, "new_customer": 1.5, "high_consumption": 1.5, "bill_increase": 2.0,
    "business": 1.5, "invoice_user": 2.0, "outage_affected": 2.5, "digital": 0.5, "recent_move": 2.0,
}


@dataclass(frozen=True)
class StaffDef:
    staff_id: str
    name: str
    skills: tuple[str, ...]
    shift_start: int
    shift_end: int
    weekdays: str = "0123456"


STAFF: tuple[StaffDef, ...] = (
    StaffDef("S001", "陈静", ("pay_bill", "query_bill", "print_invoice", "consult"), 8, 17),
    StaffDef("S002", "刘洋", ("new_connection", "capacity_increase", "transfer", "closing", "tariff"), 8, 17, "01234"),
    StaffDef("S003", "赵敏", ("transfer", "closing", "pay_bill", "complaint"), 9, 18, "12345"),
    StaffDef("S004", "孙浩", ("report_outage", "capacity_increase", "new_connection"), 0, 24),
    StaffDef("S005", "周婷", ("query_bill", "print_invoice", "tariff", "complaint", "consult"), 12, 21),
    # the duty manager is always reachable, so every business type has someone to call
    StaffDef("S000", "值班长吴刚", tuple(BUSINESS_TYPES), 0, 24),
)
