"""What the hall staff console shows: notices from the kiosks, as plain dataclasses that serialise
to the JSON the console page and the board's subscribers receive. The convention (explicit `type`,
sent as "kind", to_dict/from_dict, the NOTICES registry) is hallbot.messages; not frozen because
the board marks a notice acknowledged."""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hallbot.messages import Family, Message

_ids = itertools.count(1)
NOTICES = Family("staff notice", type_key="kind")

# Display names (Chinese) for codes of the business system.
CUSTOMER_TYPES = {"loyal": "忠诚客户", "potential": "潜力客户", "marginal": "边缘客户", "churned": "流失客户"}
CHANNELS = {"robot": "机器人", "hall": "营业厅", "wechat": "微信", "app": "网上国网App", "web": "网站",
            "ivr": "电话语音", "95598": "95598热线", "bank": "银行代收", "auto_debit": "自动代扣", "none": "无"}
CONSUMPTION = {"low": "低", "medium": "中", "high": "高"}
TIMES = {"morning": "上午", "afternoon": "下午", "evening": "傍晚", "night": "夜间", "none": "不固定"}
UNAVAILABLE = "资料暂不可用"

# Reason codes the kiosk, the vision service and the actions send -> what staff read.
REASONS = {
    "no_consent": "客户未同意登记人脸", "id_invalid": "身份证信息无效", "id_photo_unreadable": "身份证照片无法读取",
    "id_photo_no_face": "身份证照片中没有人脸", "live_no_face": "摄像头前没有检测到人脸",
    "live_quality": "现场人脸图像质量不足", "mismatch": "人脸与身份证照片不一致", "invalid_image": "图像无效",
    "bad_frame": "读卡数据错误", "photo_decode": "身份证照片解码失败", "device": "读卡器故障", "timeout": "读卡超时",
    "checksum": "身份证号码校验失败", "no_card": "未放置身份证", "read_error": "身份证读取失败",
    "id_card_mismatch": "人脸与身份证比对未通过", "identity_failed": "身份核验多次失败",
    "dialogue_service_down": "对话服务暂时不可用，需要人工接待", "staff_intervention": "需要工作人员协助",
    "face_deletion_failed": "客户要求删除人脸信息，但删除失败，请在员工控制台为其删除",
    "face_deletion_business_record": "客户的人脸信息已删除，业务系统档案中的人脸ID未能清除，请在员工控制台重试",
}
PREFIXES = {"id_card_": "身份证读取多次失败", "enrolment_": "人脸登记未成功"}


def reason_text(reason: str) -> str:
    """A reason code in words ("enrolment_live_quality" -> "人脸登记未成功：现场人脸图像质量不足");
    text that is not a known code is shown as it is."""
    if reason in REASONS:
        return REASONS[reason]
    for prefix, lead in PREFIXES.items():
        if reason.startswith(prefix):
            detail = reason[len(prefix):]
            return f"{lead}：{REASONS.get(detail, detail)}" if detail else lead
    return reason


def _new_id() -> str:
    return f"n{next(_ids)}"


@dataclass
class Notice(Message):
    """Common to every notice: where it comes from and who took care of it."""
    kiosk_id: str
    session_id: str
    type: ClassVar[str] = "notice"
    type_key: ClassVar[str] = "kind"        # the console page reads `kind`
    derived_keys: ClassVar[frozenset[str]] = frozenset({"kind_name", "reason_text"})
    kind_name: ClassVar[str] = "通知"
    id: str = field(default_factory=_new_id, kw_only=True)
    ts: float = field(default_factory=time.time, kw_only=True)
    status: str = field(default="open", kw_only=True)          # open / acknowledged
    acked_by: dict | None = field(default=None, kw_only=True)   # {staff_id, name} of who took it
    acked_at: float | None = field(default=None, kw_only=True)

    @property
    def acked_by_name(self) -> str | None:
        """Who took it, for the kiosk's "工作人员XX正在赶来"."""
        return self.acked_by.get("name") if self.acked_by else None

    def to_dict(self) -> dict[str, Any]:
        d = {**super().to_dict(), "kind_name": self.kind_name}
        if "reason" in d:
            d["reason_text"] = reason_text(d["reason"])
        return d


@NOTICES.register
@dataclass
class Arrival(Notice):
    """A customer stepped up to a kiosk; who they are and what they probably came for."""
    customer_id: str | None = None
    name: str = ""
    predicted_business: list[dict] = field(default_factory=list)   # [{service_code, title, business_type, reason}]
    profile_summary: dict = field(default_factory=dict)
    staff: list[dict] = field(default_factory=list)                # [{staff_id, name, skills}]
    recently_served: bool = False
    left_at: float | None = None                                   # set when the customer walks away
    type: ClassVar[str] = "arrival"
    kind_name: ClassVar[str] = "客户到达"


@NOTICES.register
@dataclass
class Handoff(Notice):
    """The robot could not help (or the customer asked for a person): staff should take over."""
    customer_id: str | None = None
    name: str = ""
    business_type: str = "consult"
    business_name: str = ""
    reason: str = ""
    transcript: list[dict] = field(default_factory=list)           # [{who: customer|robot, text}]
    staff: list[dict] = field(default_factory=list)
    type: ClassVar[str] = "handoff"
    kind_name: ClassVar[str] = "转人工"


@NOTICES.register
@dataclass
class EnrolmentAssist(Notice):
    """Face enrolment (or identity check) needs a person next to the customer."""
    reason: str = ""
    customer_id: str | None = None
    name: str = ""
    type: ClassVar[str] = "enrolment_assist"
    kind_name: ClassVar[str] = "协助登记"


@NOTICES.register
@dataclass
class Departure(Notice):
    """The customer left the kiosk (informational; nothing to take care of)."""
    customer_id: str | None = None
    name: str = ""
    type: ClassVar[str] = "departure"
    kind_name: ClassVar[str] = "客户离开"


@NOTICES.register
@dataclass
class RiskReview(Notice):
    """A sensitive operation paused: the camera saw a sustained abnormal emotion (the evidence: the
    app's emotion verdict, labels and counts only). Staff approve (it goes on) or refuse it."""
    review_id: str = ""
    operation: str = ""
    summary: str = ""
    customer_id: str | None = None
    name: str = ""
    evidence: dict = field(default_factory=dict)
    decision: str | None = None          # approved / refused, once decided
    type: ClassVar[str] = "risk_review"
    kind_name: ClassVar[str] = "风险复核"
