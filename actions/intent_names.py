"""Display names of intents, for confirmations ("您是想查询电费吗？") and staff notices."""
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


def display_name(intent: str | None) -> str:
    if not intent:
        return "其他业务"
    return INTENT_NAMES.get(intent.split("/")[0], intent)
