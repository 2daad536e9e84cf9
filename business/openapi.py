"""OpenAPI 3.1 description of the business API (served at GET /openapi.json)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

_MONEY = {"type": "string", "pattern": r"^\d+\.\d{2}$", "example": "286.50"}
# what the handlers accept, said here so that a client (and tests/fuzz) can build valid requests
_ACCOUNT_NO = {"type": "string", "pattern": r"^\d{10}$", "example": "3201234567"}
_APPLICATION_ID = {"type": "string", "pattern": r"^A\d{10}$"}
_PERIOD = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2026-10"}
_COUNT = {"type": "string", "pattern": r"^[1-9]\d?$", "description": "1-99"}
_TEXT = {"type": "string", "minLength": 1, "pattern": r"\S"}
# times are the hall's local time, ISO 8601 without an offset (not RFC 3339 "date-time", which needs one)
_LOCAL_TIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", "example": "2026-11-24T10:30:00"}
_PARAM_SCHEMAS = {"account_no": _ACCOUNT_NO, "application_id": _APPLICATION_ID, "period": _PERIOD, "k": _COUNT,
                  "top": _COUNT, "months": _COUNT}
_BODY_SCHEMAS = {"amount": _MONEY, "account_no": _ACCOUNT_NO, "period": _PERIOD}
SCHEMAS = {
    "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string", "description": "中文，可直接告知客户"}}}}},
    "Customer": {"type": "object", "properties": {
        "customer_id": {"type": "string"}, "name": {"type": "string"}, "phone": {"type": "string"},
        "id_number": {"type": "string"}, "customer_type": {"type": "string"}, "face_id": {"type": ["string", "null"]}}},
    "Account": {"type": "object", "properties": {
        "account_no": {"type": "string"}, "customer_id": {"type": "string"}, "address": {"type": "string"},
        "category": {"type": "string", "enum": ["居民", "非居民"]},
        "role": {"type": "string", "enum": ["holder", "agent", "family"]}}},
    "Profile": {"type": "object", "properties": {
        "customer_id": {"type": "string"}, "customer_type": {"type": "string", "enum": ["loyal", "potential", "marginal", "churned"]},
        "activity": {"type": "number"}, "credit": {"type": "integer"}, "consumption_level": {"type": "string"},
        "channel_pref": {"type": "string"}, "time_pref": {"type": "string"},
        "keywords": {"type": "array", "items": {"type": "string"}}, "tags": {"type": "array", "items": {"type": "string"}},
        "computed_at": _LOCAL_TIME}},
    "Bill": {"type": "object", "properties": {
        "account_no": {"type": "string"}, "period": {"type": "string", "example": "2026-10"}, "kwh": _MONEY,
        "amount": _MONEY, "paid": {"type": "boolean"}, "due_date": {"type": "string", "format": "date"}}},
    "Payment": {"type": "object", "properties": {
        "payment_id": {"type": "string"}, "account_no": {"type": "string"}, "amount": _MONEY, "channel": {"type": "string"},
        "paid_at": _LOCAL_TIME, "balance_after": _MONEY}},
    "Invoice": {"type": "object", "properties": {
        "invoice_id": {"type": "string"}, "account_no": {"type": "string"}, "period": {"type": "string"}, "amount": _MONEY}},
    "Application": {"type": "object", "properties": {
        "application_id": {"type": "string"}, "kind": {"type": "string", "enum": ["new_connection", "capacity_increase", "transfer", "closing"]},
        "status": {"type": "string"}, "account_no": {"type": ["string", "null"]}, "created_at": _LOCAL_TIME}},
    "OutageTicket": {"type": "object", "properties": {
        "ticket_id": {"type": "string"}, "address": {"type": "string"}, "status": {"type": "string"},
        "created_at": _LOCAL_TIME, "planned_outage": {"type": ["string", "null"]}}},
    "ComplaintTicket": {"type": "object", "properties": {
        "ticket_id": {"type": "string"}, "status": {"type": "string"}, "created_at": _LOCAL_TIME,
        "callback": {"type": "boolean"}}},
    "Recommendation": {"type": "object", "properties": {
        "service_code": {"type": "string"}, "title": {"type": "string"}, "reason": {"type": "string"},
        "score": {"type": "number"}, "intent": {"type": ["string", "null"]}}},
    "Staff": {"type": "object", "properties": {
        "staff_id": {"type": "string"}, "name": {"type": "string"}, "skills": {"type": "array", "items": {"type": "string"}},
        "on_duty": {"type": "boolean"}}},
}


def _ref(name: str, array: bool = False) -> dict:
    schema = {"$ref": f"#/components/schemas/{name}"}
    return {"content": {"application/json": {"schema": {"type": "array", "items": schema} if array else schema}}}


def _op(summary: str, ok: str | None, *, status: str = "200", array: bool = False, params=(), body=None,
        required_query=()) -> dict:
    op: dict[str, Any] = {"summary": summary, "responses": {
        status: {"description": "OK", **(_ref(ok, array) if ok else {})},
        "400": {"description": "输入不正确", **_ref("Error")}, "401": {"description": "令牌错误", **_ref("Error")},
        "403": {"description": "无权办理", **_ref("Error")}, "404": {"description": "不存在", **_ref("Error")}}}
    if params:
        op["parameters"] = [{"name": n, "in": where, "required": where == "path" or n in required_query,
                             "schema": _PARAM_SCHEMAS.get(n, _TEXT)} for n, where in params]
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": [k for k, (_, req) in body.items() if req],
            "properties": {k: _BODY_SCHEMAS.get(k, _TEXT) if t == "string" else {"type": t}
                           for k, (t, _) in body.items()}}}}}
    return op


@lru_cache(maxsize=1)
def spec() -> dict:
    cid, acc = ("customer_id", "path"), ("account_no", "path")
    paths = {
        "/health": {"get": {"summary": "存活检查（无需令牌）", "security": [], "responses": {"200": {"description": "OK"}}}},
        "/openapi.json": {"get": {"summary": "本接口描述（无需令牌）", "security": [], "responses": {"200": {"description": "OK"}}}},
        "/customers": {"get": _op("识别客户：按客户号、人脸ID、身份证号、户号或手机号之一", "Customer", params=[
            ("customer_id", "query"), ("face_id", "query"), ("id_number", "query"), ("account_no", "query"), ("phone", "query")])},
        "/customers/{customer_id}/face_id": {"delete": _op("客户撤回人脸识别授权：清除档案中的人脸ID（返回 had_face_id）", None,
                                                           params=[cid])},
        "/customers/{customer_id}/accounts": {"get": _op("客户有权限的户号（含角色）", "Account", array=True, params=[cid])},
        "/customers/{customer_id}/profile": {"get": _op("客户画像", "Profile", params=[cid])},
        "/customers/{customer_id}/recommendations": {"get": _op("推荐业务（每次推荐都会记录）", "Recommendation", array=True,
                                                                params=[cid, ("k", "query"), ("channel", "query")])},
        "/accounts/{account_no}/bills": {"get": _op("近几个月账单，最新在前", "Bill", array=True, params=[acc, ("months", "query")])},
        "/accounts/{account_no}/arrears": {"get": _op("欠费金额", None, params=[acc])},
        "/accounts/{account_no}/payments": {"post": _op("缴费（户主、代理人、家庭成员可缴）", "Payment", status="201", params=[acc],
                                                        body={"amount": ("string", True), "channel": ("string", False),
                                                              "actor_customer_id": ("string", True)})},
        "/accounts/{account_no}/invoices": {"post": _op("开具发票（默认最近一期已缴账单）", "Invoice", status="201", params=[acc],
                                                        body={"period": ("string", False), "actor_customer_id": ("string", True)})},
        "/applications": {"post": _op("业务申请：new_connection / capacity_increase / transfer / closing", "Application",
                                      status="201", body={"kind": ("string", True), "customer_id": ("string", True),
                                                          "account_no": ("string", False), "details": ("object", False)})},
        "/applications/{application_id}": {"get": _op("申请进度", "Application", params=[("application_id", "path")])},
        "/outages": {"post": _op("故障报修（会告知覆盖该地址的计划停电）", "OutageTicket", status="201",
                                 body={"address": ("string", True), "phone": ("string", False),
                                       "description": ("string", False), "customer_id": ("string", False)})},
        "/complaints": {"post": _op("投诉建议（工作人员跟进，有手机号则回电）", "ComplaintTicket", status="201",
                                    body={"text": ("string", True), "phone": ("string", False),
                                          "customer_id": ("string", False)})},
        "/events": {"post": _op("记录渠道事件（按手机号/户号归并到客户）", None, status="201",
                                body={"customer_id": ("string", False), "channel": ("string", True), "kind": ("string", True),
                                      "text": ("string", False), "phone": ("string", False), "account_no": ("string", False)})},
        "/staff": {"get": _op("在岗且具备该业务技能的工作人员", "Staff", array=True, params=[("business_type", "query")],
                          required_query=("business_type",))},
        "/admin/profiles/recompute": {"post": _op("重新计算全部客户画像", None)},
        "/admin/keywords": {"get": _op("群体分析：某月关键词频次", None, params=[("period", "query"), ("top", "query")],
                                       required_query=("period",))},
        "/admin/report": {"get": _op("推荐命中率报告 precision@k", None, params=[("period", "query"), ("k", "query"),
                                                                               ("channel", "query")],
                                     required_query=("period",))},
    }
    return {"openapi": "3.1.0",
            "info": {"title": "hallbot business system", "version": "1.0.0",
                     "description": "供电营业厅机器人使用的营销业务系统参考实现。所有错误信息为中文，可直接告知客户。"},
            "components": {"schemas": SCHEMAS, "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
            "security": [{"token": []}], "paths": paths}
