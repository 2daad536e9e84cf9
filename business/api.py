"""HTTP API of the business system (aiohttp): the transport around any BusinessSystem.
Token auth (Authorization: Bearer <token>); errors as {"error": {"code", "message"}} with 4xx/5xx;
the synchronous system runs in a thread pool so the event loop never blocks."""
from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from business import codec
from business.adapter import BusinessError, BusinessSystem
from business.openapi import spec

log = logging.getLogger(__name__)
PUBLIC = {"/health", "/openapi.json"}
BUSINESS = web.AppKey("business", BusinessSystem)
POOL = web.AppKey("pool", ThreadPoolExecutor)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             dumps=functools.partial(json.dumps, ensure_ascii=False))


def _ok(data: Any, status: int = 200) -> web.Response:
    return web.json_response(codec.dump(data), status=status, dumps=functools.partial(json.dumps, ensure_ascii=False))


@web.middleware
async def _errors(request: web.Request, handler: Callable) -> web.StreamResponse:
    try:
        return await handler(request)
    except BusinessError as exc:
        return _error(exc.status, exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status == 404:
            return _error(404, "no_such_endpoint", "没有这个接口")
        if exc.status == 405:
            return _error(405, "method_not_allowed", "不支持这种请求方式")
        raise
    except Exception:  # the robot must always get an answer it can say
        log.exception("business API error on %s %s", request.method, request.path)
        return _error(500, "internal", "业务系统出了点问题，请稍后再试或找工作人员办理")


def _auth(token: str):
    @web.middleware
    async def middleware(request: web.Request, handler: Callable) -> web.StreamResponse:
        if request.path not in PUBLIC:
            given = request.headers.get("Authorization", "")
            given = given[7:] if given.startswith("Bearer ") else request.headers.get("X-Token", "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                return _error(401, "unauthorized", "业务系统认证失败，请联系工作人员")
        return await handler(request)
    return middleware


async def _run(request: web.Request, fn: Callable, *args, **kwargs):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app[POOL], functools.partial(fn, *args, **kwargs))


async def _body(request: web.Request) -> dict:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BusinessError("invalid_json", "请求内容不是有效的JSON") from None
    if not isinstance(data, dict):
        raise BusinessError("invalid_json", "请求内容应为JSON对象")
    return data


def _need(data: dict, name: str) -> Any:
    value = data.get(name)
    if value is None or value == "":
        raise BusinessError("missing_field", f"缺少必填项：{name}")
    return value


def _biz(request: web.Request) -> BusinessSystem:
    return request.app[BUSINESS]


# -- handlers -------------------------------------------------------------------------------
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(spec())


async def find_customer(request: web.Request) -> web.Response:
    keys = ("customer_id", "face_id", "id_number", "account_no", "phone")
    query = {k: request.query[k] for k in keys if request.query.get(k)}
    found = await _run(request, _biz(request).find_customer, **query)
    if found is None:
        return _error(404, "customer_not_found", "没有找到该客户的信息")
    return _ok(found)


async def clear_face_id(request: web.Request) -> web.Response:
    had = await _run(request, _biz(request).clear_face_id, request.match_info["customer_id"])
    return web.json_response({"had_face_id": bool(had)})


async def accounts(request: web.Request) -> web.Response:
    return _ok(await _run(request, _biz(request).accounts_of, request.match_info["customer_id"]))


async def profile(request: web.Request) -> web.Response:
    return _ok(await _run(request, _biz(request).profile, request.match_info["customer_id"]))


async def bills(request: web.Request) -> web.Response:
    months = request.query.get("months", "3")
    return _ok(await _run(request, _biz(request).bills, request.match_info["account_no"], months=months))


async def arrears(request: web.Request) -> web.Response:
    no = request.match_info["account_no"]
    value = await _run(request, _biz(request).arrears, no)
    return _ok({"account_no": no, "arrears": value})


async def pay(request: web.Request) -> web.Response:
    data = await _body(request)
    result = await _run(request, _biz(request).pay, request.match_info["account_no"], _need(data, "amount"),
                        channel=data.get("channel", "robot"), actor_customer_id=_need(data, "actor_customer_id"))
    return _ok(result, 201)


async def invoice(request: web.Request) -> web.Response:
    data = await _body(request)
    result = await _run(request, _biz(request).issue_invoice, request.match_info["account_no"], data.get("period"),
                        actor_customer_id=_need(data, "actor_customer_id"))
    return _ok(result, 201)


async def create_application(request: web.Request) -> web.Response:
    data = await _body(request)
    result = await _run(request, _biz(request).create_application, _need(data, "kind"),
                        customer_id=_need(data, "customer_id"), account_no=data.get("account_no"),
                        details=data.get("details") or {})
    return _ok(result, 201)


async def get_application(request: web.Request) -> web.Response:
    return _ok(await _run(request, _biz(request).get_application, request.match_info["application_id"]))


async def report_outage(request: web.Request) -> web.Response:
    data = await _body(request)
    result = await _run(request, _biz(request).report_outage, address=_need(data, "address"),
                        phone=data.get("phone"), description=data.get("description", ""),
                        customer_id=data.get("customer_id"))
    return _ok(result, 201)


async def file_complaint(request: web.Request) -> web.Response:
    data = await _body(request)
    result = await _run(request, _biz(request).file_complaint, text=_need(data, "text"),
                        phone=data.get("phone"), customer_id=data.get("customer_id"))
    return _ok(result, 201)


async def recommendations(request: web.Request) -> web.Response:
    q = request.query
    return _ok(await _run(request, _biz(request).recommendations, request.match_info["customer_id"],
                          k=q.get("k", "3"), channel=q.get("channel", "robot")))


async def record_event(request: web.Request) -> web.Response:
    data = await _body(request)
    await _run(request, _biz(request).record_event, data.get("customer_id"), channel=_need(data, "channel"),
               kind=_need(data, "kind"), text=data.get("text", ""), phone=data.get("phone"),
               account_no=data.get("account_no"))
    return web.json_response({"status": "recorded"}, status=201)


async def staff(request: web.Request) -> web.Response:
    business_type = request.query.get("business_type")
    if not business_type:
        raise BusinessError("missing_field", "缺少必填项：business_type")
    return _ok(await _run(request, _biz(request).staff_for, business_type))


def _admin(request: web.Request, name: str) -> Callable:
    fn = getattr(_biz(request), name, None)
    if fn is None:
        raise BusinessError("not_supported", "该业务系统不支持这个操作", 501)
    return fn


async def recompute(request: web.Request) -> web.Response:
    return _ok(await _run(request, _admin(request, "recompute_profiles")))


async def keywords(request: web.Request) -> web.Response:
    from business import validation as v
    period, top = v.period(request.query.get("period", "")), v.months(request.query.get("top", "20"), 100)
    rows = await _run(request, _admin(request, "keyword_trends"), period, top)
    return _ok({"period": period, "keywords": [{"word": w, "count": n} for w, n in rows]})


async def report(request: web.Request) -> web.Response:
    from business import validation as v
    from business.report import precision_report
    period, k = v.period(request.query.get("period", "")), v.k(request.query.get("k", "3"))
    biz = _biz(request)
    if not hasattr(biz, "sessions"):
        raise BusinessError("not_supported", "该业务系统不支持这个操作", 501)

    def run():
        with biz.sessions() as s:
            return precision_report(s, period, k, channel=request.query.get("channel") or None)
    return _ok(await _run(request, run))


async def _scheduler(app: web.Application, interval_s: float):
    """Keep profiles at most interval_s old (checked at start, then hourly at most)."""
    fn = getattr(app[BUSINESS], "recompute_if_stale", None)
    if fn is None:      # an HTTP-backed or third-party system schedules its own
        return
    while True:
        try:
            stats = await asyncio.get_running_loop().run_in_executor(app[POOL], fn, interval_s)
            if stats:
                log.info("profiles recomputed: %s", stats)
        except Exception:
            log.exception("scheduled profile recompute failed")
        await asyncio.sleep(min(interval_s, 3600))


def make_app(business: BusinessSystem, token: str, *, profile_interval_s: float | None = None,
             threads: int = 8) -> web.Application:
    if not token:
        raise ValueError("the business API needs a token")
    app = web.Application(middlewares=[_errors, _auth(token)])
    app[BUSINESS] = business
    app[POOL] = ThreadPoolExecutor(threads, thread_name_prefix="business")
    r = app.router
    r.add_get("/health", health)
    r.add_get("/openapi.json", openapi)
    r.add_get("/customers", find_customer)
    r.add_delete("/customers/{customer_id}/face_id", clear_face_id)
    r.add_get("/customers/{customer_id}/accounts", accounts)
    r.add_get("/customers/{customer_id}/profile", profile)
    r.add_get("/customers/{customer_id}/recommendations", recommendations)
    r.add_get("/accounts/{account_no}/bills", bills)
    r.add_get("/accounts/{account_no}/arrears", arrears)
    r.add_post("/accounts/{account_no}/payments", pay)
    r.add_post("/accounts/{account_no}/invoices", invoice)
    r.add_post("/applications", create_application)
    r.add_get("/applications/{application_id}", get_application)
    r.add_post("/outages", report_outage)
    r.add_post("/complaints", file_complaint)
    r.add_post("/events", record_event)
    r.add_get("/staff", staff)
    r.add_post("/admin/profiles/recompute", recompute)
    r.add_get("/admin/keywords", keywords)
    r.add_get("/admin/report", report)

    async def background(app: web.Application):
        task = asyncio.create_task(_scheduler(app, profile_interval_s)) if profile_interval_s else None
        yield
        if task:
            task.cancel()
        app[POOL].shutdown(wait=False)
    app.cleanup_ctx.append(background)
    return app
