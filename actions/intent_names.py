"""Display names of intents, for confirmations ("您是想查询电费吗？") and staff notices."""
from business.catalogue import BUSINESS_TYPES as CHINESE_TYPES
from business.catalogue import SERVICES

INTENT_NAMES = {
    "greet": "打招呼", "goodbye": "结束服务", "affirm": "确认", "deny": "否定", "thank": "表示感谢",
    "bot_challenge": "了解机器人", "out_of_scope": "其他问题", "complain": "投诉建议",
    "request_human": "找人工服务", "query_bill": "查询电费", "query_arrears": "查询欠费",
    "pay_bill": "缴纳电费", "print_invoice": "打印发票", "report_outage": "停电报修",
    "query_outage_plan": "查询停电计划", "new_connection": "新装用电", "capacity_increase": "增容",
    "transfer_ownership": "过户更名", "close_account": "销户", "change_tariff": "办理峰谷电价",
    "sign_auto_debit": "签约代扣", "ask_recommendation": "了解推荐业务", "verify_identity": "确认身份",
    "use_id_card": "刷身份证", "enrol_face": "登记人脸", "provide_id_number": "提供身份证号",
    "provide_account_number": "提供户号", "provide_phone": "提供手机号", "provide_sms_code": "提供验证码",
    "inform": "补充信息", "faq": "业务咨询",
    "delete_face": "删除人脸信息",
}

# Dialogue intents and business_type entity values -> business types of the business system's staff skills (business.catalogue).
BUSINESS_TYPES = {
    "query_bill": "query_bill", "query_arrears": "query_bill", "pay_bill": "pay_bill",
    "print_invoice": "print_invoice", "report_outage": "report_outage", "new_connection": "new_connection",
    "capacity_increase": "capacity_increase", "transfer_ownership": "transfer", "close_account": "closing",
    "change_tariff": "tariff", "sign_auto_debit": "pay_bill", "complain": "complaint",
    # values of the business_type entity (nlu_data/synonyms.yml)
    "payment": "pay_bill", "invoice": "print_invoice", "outage": "report_outage", "tariff_change": "tariff",
    "auto_debit": "pay_bill", "transfer": "transfer", "closing": "closing",
}

# Catalogue services that have no dialogue intent of their own, but one that explains them.
SERVICE_INTENTS = {"auto_debit": "sign_auto_debit", "tou_tariff": "change_tariff"}

# What accepting an offered service starts (forms start by running the form action).
SERVICE_STARTERS = {
    "query_bill": "action_query_bill", "query_arrears": "action_query_arrears", "pay_bill": "payment_form",
    "print_invoice": "action_print_invoice", "new_connection": "new_connection_form",
    "capacity_increase": "capacity_form", "transfer_ownership": "transfer_form", "close_account": "closing_form",
    "report_outage": "outage_form", "change_tariff": "action_explain_self_service",
    "sign_auto_debit": "action_explain_self_service",
}


# Catalogue services with no dialogue of their own: staff handle them (the recommendation button
# hands off with the service code as business_type, so the customer hears which service).
STAFF_SERVICES = {"auto_debit": "pay_bill", "tou_tariff": "tariff", "app_signup": "consult",
                  "energy_audit": "consult", "outage_notice": "consult"}

# What sensor events mean, for staff transcripts (Rasa records them as "EXTERNAL: EXTERNAL_...").
SENSOR_EVENTS = {
    "EXTERNAL_person_detected": "（摄像头：有客户走近）", "EXTERNAL_face_recognized": "（摄像头：刷脸识别出客户）",
    "EXTERNAL_face_unknown": "（摄像头：未登记人脸的客户）", "EXTERNAL_id_card_verified": "（读卡器：身份证核验通过）",
    "EXTERNAL_id_card_failed": "（读卡器：身份证核验未通过）", "EXTERNAL_person_left": "（摄像头：客户离开）",
}


SERVICE_TITLES = {s.code: s.title for s in SERVICES}


def display_name(intent: str | None) -> str:
    """Chinese for an intent, a business type or a catalogue service code; never the code itself:
    whatever this returns is said to the customer or shown to staff."""
    if not intent:
        return "其他业务"
    code = intent.split("/")[0]
    return (INTENT_NAMES.get(code) or SERVICE_TITLES.get(code) or CHINESE_TYPES.get(code)
            or CHINESE_TYPES.get(BUSINESS_TYPES.get(code, "")) or "其他业务")


def transcript_text(event: dict) -> str:
    """A user event as staff should read it: the words said, or what a button press / sensor meant.
    Buttons arrive as "/intent{...}" and sensor events as "EXTERNAL: EXTERNAL_x"."""
    text = (event.get("text") or "").strip()
    intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
    if text.startswith("EXTERNAL") or intent.startswith("EXTERNAL_"):
        return SENSOR_EVENTS.get(intent or text.removeprefix("EXTERNAL: "), "（设备事件）")
    if text.startswith("/"):
        return f"（点击按钮：{display_name(intent or text[1:].split('{')[0])}）"
    return text
