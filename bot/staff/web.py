"""HTTP and websocket transport of the staff console: login (rate limited before the password is
checked), forced change of an initial password, server-side sessions with CSRF tokens, the console
page, a snapshot/ack JSON API, a supervisor's unlock and a websocket that pushes the HallBoard's
updates live. Logic stays in HallBoard; sessions in bot.staff.sessions, limits in bot.staff.limiter."""
from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import logging
import re
import secrets
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from bot.staff.accounts import MIN_PASSWORD, StaffAccounts
from bot.staff.board import HallBoard, UnknownNotice
from bot.staff.dashboard import DailyReport, daily_report, live_figures, to_csv
from bot.staff.limiter import LoginLimiter
from bot.staff.login_page import LOGIN_PAGE, PASSWORD_PAGE
from bot.staff.sessions import MAX_AGE_S, StaffSession, StaffSessions
from bot.visits import VisitLog

if TYPE_CHECKING:
    from bot.privacy import FaceErasure
    from identity.sms import SmsVerifier

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "static"
COOKIE = "hallbot_staff"
SESSION_MAX_AGE = MAX_AGE_S
NEW_PASSWORD_MIN = max(MIN_PASSWORD, 8)
BOARD = web.AppKey("staff_board", HallBoard)
ACCOUNTS = web.AppKey("staff_accounts", StaffAccounts)
LIMITER = web.AppKey("staff_login_limiter", LoginLimiter)
SESSIONS = web.AppKey("staff_sessions", StaffSessions)
SECURE = web.AppKey("staff_secure_cookie", bool)
SOCKETS: web.AppKey[weakref.WeakSet[web.WebSocketResponse]] = web.AppKey("staff_sockets")
SMS: web.AppKey[Callable[[], SmsVerifier]] = web.AppKey("staff_sms_verifier")   # opened when first needed
ERASE: web.AppKey[Callable[[str], FaceErasure]] = web.AppKey("staff_face_erasure")  # bot.privacy.eraser (blocking)
VISITS: web.AppKey[VisitLog | None] = web.AppKey("staff_visit_log")   # the dashboard's source
CHART_JS = STATIC / "vendor" / "chart.umd.min.js"     # npm chart.js, installed by setup (no CDN)
CUSTOMER_ID = re.compile(r"^[A-Z0-9_-]{1,32}$")

__all__ = ["add_routes", "LoginLimiter", "current_staff", "COOKIE"]


def _json_error(exc: type[web.HTTPException], message: str) -> web.HTTPException:
    return exc(text=json.dumps({"error": message}, ensure_ascii=False), content_type="application/json")


def _session(request: web.Request) -> StaffSession | None:
    return request.app[SESSIONS].get(request.cookies.get(COOKIE))


async def current_staff(request: web.Request) -> dict | None:
    """The logged-in staff member ({staff_id, name}) of a usable session, else None."""
    session = _session(request)
    return session.me if session and not session.must_change_password else None


def _page(template: str, status: int = 200, **fields: str) -> web.Response:
    page = template
    for key, value in fields.items():
        page = page.replace("{{" + key + "}}", html.escape(value))
    return web.Response(text=page, content_type="text/html", status=status, headers={"Cache-Control": "no-store"})


def _login_page(error: str = "", staff_id: str = "", status: int = 200) -> web.Response:
    return _page(LOGIN_PAGE, status, error=error, staff_id=staff_id)


def _wants_json(request: web.Request) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get("Accept", "")


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True                   # not a browser page (tools, tests); browsers send it on POSTs
    return origin.split("://", 1)[-1].rstrip("/") == request.host


async def _form(request: web.Request) -> dict:
    try:
        if request.content_type == "application/json":
            data = await request.json()
            return data if isinstance(data, dict) else {}   # a JSON list or string is no form
        return dict(await request.post())
    except (ValueError, UnicodeDecodeError, AttributeError):
        return {}


def _check_csrf(request: web.Request, session: StaffSession, data: dict | None = None) -> None:
    """A console POST must come from our own page: same origin and the session's token (header or field)."""
    sent = request.headers.get("X-CSRF-Token") or str((data or {}).get("csrf") or "")
    if not _same_origin(request) or not secrets.compare_digest(sent.encode(), session.csrf.encode()):
        raise _json_error(web.HTTPForbidden, "请求已过期，请刷新页面后重试")


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})


def _set_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(COOKIE, token, max_age=int(request.app[SESSIONS].max_age_s), path="/", httponly=True,
                        samesite="Strict", secure=request.app[SECURE])


async def console(request: web.Request) -> web.StreamResponse:
    session = _session(request)
    if session is None:
        raise web.HTTPFound("/staff/login")
    if session.must_change_password:
        raise web.HTTPFound("/staff/password")
    page = (STATIC / "staff.html").read_text(encoding="utf-8")
    return _page(page, csrf=session.csrf)


async def login_form(request: web.Request) -> web.Response:
    if _session(request) is not None:
        raise web.HTTPFound("/staff")
    return _login_page()


async def login(request: web.Request) -> web.Response:
    as_json = _wants_json(request)
    data = await _form(request)
    staff_id = str(data.get("staff_id") or "").strip().upper()
    password = str(data.get("password") or "")

    def fail(message: str, status: int, **headers: str) -> web.Response:
        if as_json:
            return web.json_response({"error": message}, status=status, headers=headers)
        response = _login_page(message, staff_id, status)
        response.headers.update(headers)
        return response

    if not _same_origin(request):                 # login CSRF: a foreign page logging the browser in
        return fail("跨站请求被拒绝", 403)
    if not staff_id or not password or len(staff_id) > 32 or len(password) > 256:
        return fail("请输入工号和密码", 400)
    limiter = request.app[LIMITER]
    keys = (("id", staff_id), ("addr", request.remote or "?"))
    wait = limiter.acquire(*keys)                 # counted before the check: a burst gets no free guesses
    if wait:
        log.warning("staff console: login for %r from %s refused for %d s (back-off)", staff_id, request.remote, wait)
        return fail(f"登录失败次数过多，请{(wait + 59) // 60}分钟后再试", 429, **{"Retry-After": str(wait)})
    try:
        account = await asyncio.to_thread(request.app[ACCOUNTS].authenticate, staff_id, password)
    except BaseException:
        limiter.release(*keys)
        raise
    if account is None:
        limiter.failed(*keys)
        log.warning("staff console: failed login for %r from %s", staff_id, request.remote)
        return fail("工号或密码错误", 401)
    limiter.succeeded(*keys)
    request.app[SESSIONS].revoke(request.cookies.get(COOKIE))    # a browser holds one login at a time
    token, session = request.app[SESSIONS].create(account.staff_id, account.name, account.must_change_password)
    log.info("staff console: %s %s logged in", account.staff_id, account.name)
    target = "/staff/password" if session.must_change_password else "/staff"
    if as_json:
        response = web.json_response({"staff": session.me, "csrf": session.csrf,
                                      "must_change_password": session.must_change_password})
    else:
        response = _redirect(target)
    _set_cookie(request, response, token)
    return response


async def password_form(request: web.Request) -> web.Response:
    session = _session(request)
    if session is None:
        raise web.HTTPFound("/staff/login")
    return _page(PASSWORD_PAGE, staff_id=session.staff_id, name=session.name, csrf=session.csrf, error="")


async def change_password(request: web.Request) -> web.Response:
    """Set a new password (forced after an initial one); every other session of the member ends."""
    session = _session(request)
    if session is None:
        raise _json_error(web.HTTPUnauthorized, "请先登录员工控制台")
    data = await _form(request)
    _check_csrf(request, session, data)
    new, confirm = str(data.get("new_password") or ""), str(data.get("confirm") or data.get("new_password") or "")

    def fail(message: str) -> web.Response:
        if _wants_json(request):
            return web.json_response({"error": message}, status=400)
        return _page(PASSWORD_PAGE, 400, staff_id=session.staff_id, name=session.name, csrf=session.csrf,
                     error=message)

    if new != confirm:
        return fail("两次输入的密码不一致")
    if len(new) < NEW_PASSWORD_MIN or len(new) > 256:
        return fail(f"新密码需要{NEW_PASSWORD_MIN}-256个字符")
    accounts = request.app[ACCOUNTS]
    if await asyncio.to_thread(accounts.authenticate, session.staff_id, new):
        return fail("新密码不能与原密码相同")
    try:
        await asyncio.to_thread(accounts.set_password, session.staff_id, new)
    except (KeyError, ValueError) as exc:
        return fail(str(exc.args[0] if exc.args else exc))
    token = request.cookies[COOKIE]
    sessions = request.app[SESSIONS]
    sessions.revoke_staff(session.staff_id, keep=token)
    sessions.password_changed(token)
    log.info("staff console: %s changed the password", session.staff_id)
    if _wants_json(request):
        return web.json_response({"ok": True})
    raise web.HTTPFound("/staff")


async def logout(request: web.Request) -> web.Response:
    session = _session(request)
    if session is not None:
        _check_csrf(request, session, await _form(request))
        request.app[SESSIONS].revoke(request.cookies.get(COOKIE))    # a copied cookie stops working too
    response = web.json_response({"ok": True}) if _wants_json(request) else _redirect("/staff/login")
    response.del_cookie(COOKIE, path="/")
    return response


def _require_session(request: web.Request) -> StaffSession:
    session = _session(request)
    if session is None:
        raise _json_error(web.HTTPUnauthorized, "请先登录员工控制台")
    if session.must_change_password:
        raise _json_error(web.HTTPForbidden, "请先修改初始密码")
    return session


async def _require_staff(request: web.Request) -> dict:
    return _require_session(request).me


async def snapshot(request: web.Request) -> web.Response:
    session = _require_session(request)
    return web.json_response({**request.app[BOARD].snapshot(), "me": session.me})


async def ack(request: web.Request) -> web.Response:
    session = _require_session(request)
    _check_csrf(request, session)
    try:
        notice = await request.app[BOARD].ack(request.match_info["notice_id"], session.staff_id, session.name)
    except UnknownNotice as exc:
        return web.json_response({"error": exc.message}, status=404)
    return web.json_response({"notice": notice.to_dict()})


async def decide_review(request: web.Request) -> web.Response:
    """Staff approve or refuse a paused operation (a risk review); the kiosk tells the customer."""
    session = _require_session(request)
    _check_csrf(request, session)
    decision = request.match_info["decision"]
    if decision not in ("approve", "refuse"):
        return web.json_response({"error": "只能通过或拒绝"}, status=400)
    try:
        notice = await request.app[BOARD].decide(request.match_info["notice_id"], session.staff_id, session.name,
                                                 approve=decision == "approve")
    except UnknownNotice as exc:
        return web.json_response({"error": exc.message}, status=404)
    return web.json_response({"notice": notice.to_dict()})


def _require_manager(request: web.Request) -> StaffSession:
    session = _require_session(request)
    account = request.app[ACCOUNTS].get(session.staff_id)
    if account is None or not account.manager:
        raise _json_error(web.HTTPForbidden, "运营看板只对营业厅经理开放")
    return session


def _report_day(request: web.Request) -> dt.date:
    text = request.query.get("day") or ""
    try:
        return dt.date.fromisoformat(text) if text else dt.date.today()
    except ValueError:
        raise _json_error(web.HTTPBadRequest, "日期格式应为 YYYY-MM-DD") from None


async def _report(request: web.Request) -> DailyReport:
    visits = request.app[VISITS]
    if visits is None:
        raise _json_error(web.HTTPServiceUnavailable, "没有访问记录")
    day = _report_day(request)
    return await asyncio.to_thread(daily_report, visits, request.app[BOARD].reviews, day)


async def dashboard_page(request: web.Request) -> web.StreamResponse:
    session = _session(request)
    if session is None:
        raise web.HTTPFound("/staff/login")
    try:
        _require_manager(request)
    except web.HTTPException:
        return web.Response(text="运营看板只对营业厅经理开放", status=403)
    return _page((STATIC / "dashboard.html").read_text(encoding="utf-8"), csrf=session.csrf)


async def dashboard_data(request: web.Request) -> web.Response:
    _require_manager(request)
    report = await _report(request)
    return web.json_response({"report": report.to_dict(), "live": live_figures(request.app[BOARD].snapshot())})


async def dashboard_csv(request: web.Request) -> web.Response:
    _require_manager(request)
    report = await _report(request)
    return web.Response(body=("\ufeff" + to_csv(report)).encode("utf-8"),   # the BOM: spreadsheets read it as UTF-8
                        headers={"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
                                 "Content-Disposition": f'attachment; filename="hall-report-{report.day}.csv"'})


async def chart_library(request: web.Request) -> web.StreamResponse:
    """chart.js from npm, installed by setup (scripts/post_install/dashboard.sh): the hall may be offline."""
    if not CHART_JS.is_file():
        return web.Response(text="chart.js is not installed: run make setup", status=404)
    return web.FileResponse(CHART_JS, headers={"Content-Type": "application/javascript; charset=utf-8",
                                               "Cache-Control": "max-age=86400"})


async def unlock(request: web.Request) -> web.Response:
    """A supervisor lifts the login back-off of a staff id (a burst of wrong guesses against it)."""
    session = _require_session(request)
    _check_csrf(request, session)
    account = request.app[ACCOUNTS].get(session.staff_id)
    if account is None or not account.supervisor:
        return web.json_response({"error": "只有值班长可以解除登录锁定"}, status=403)
    target = request.match_info["staff_id"].strip().upper()[:32]
    was = request.app[LIMITER].unlock(("id", target))
    log.warning("staff console: %s lifted the login back-off of %s", session.staff_id, target)
    return web.json_response({"staff_id": target, "was_locked": was})


async def sms_unlock(request: web.Request) -> web.Response:
    """A supervisor who checked the customer in person lifts the SMS lock of a phone (identity.sms)."""
    from identity.account_number import InvalidNumber, parse_phone
    from identity.masking import mask_phone

    session = _require_session(request)
    data = await _form(request)
    _check_csrf(request, session, data)
    account = request.app[ACCOUNTS].get(session.staff_id)
    if account is None or not account.supervisor:
        return web.json_response({"error": "只有值班长可以解除短信验证锁定"}, status=403)
    try:
        phone = parse_phone(str(data.get("phone") or ""))
    except InvalidNumber as exc:
        return web.json_response({"error": exc.reason}, status=400)
    was = await asyncio.to_thread(request.app[SMS]().unlock, phone)
    log.warning("staff console: %s lifted the SMS lock of %s", session.staff_id, mask_phone(phone))
    return web.json_response({"phone": mask_phone(phone), "was_locked": was})


async def delete_face(request: web.Request) -> web.Response:
    """On the customer's request (staff checked who they are in person): withdraw their face
    consent and delete their face data from every store (bot.privacy.erase_face: templates and
    consents, the running app's ANN index and recently-served memory, the business record's face
    id). Form or JSON {customer_id} or {id_number}, CSRF token; one audit line, ID number masked."""
    from identity.id_number import InvalidIdNumber
    from identity.id_number import parse as parse_id
    from identity.masking import mask_id_number

    session = _require_session(request)
    data = await _form(request)
    _check_csrf(request, session, data)
    customer_id = str(data.get("customer_id") or "").strip().upper()
    raw_id_number = str(data.get("id_number") or "").strip()
    how = "customer id"
    if not customer_id and raw_id_number:
        try:
            id_number = parse_id(raw_id_number).value
        except InvalidIdNumber as exc:
            return web.json_response({"error": exc.reason}, status=400)
        try:
            customer = await asyncio.to_thread(
                lambda: request.app[BOARD].business_system().find_customer(id_number=id_number))
        except Exception:  # business system down: staff can still give the customer id
            log.exception("staff console: customer lookup for a face deletion failed")
            return web.json_response({"error": "业务系统暂时无法访问，请输入客户编号删除"}, status=503)
        if customer is None:
            return web.json_response({"error": "没有找到该身份证号对应的客户"}, status=404)
        customer_id, how = customer.customer_id, f"ID number {mask_id_number(id_number)}"
    if not CUSTOMER_ID.match(customer_id):
        return web.json_response({"error": "请输入客户编号或身份证号"}, status=400)
    try:
        erased = await asyncio.to_thread(request.app[ERASE], customer_id)
    except Exception:  # the face store failed: nothing to confirm
        log.exception("staff console: face deletion for %s failed", customer_id)
        return web.json_response({"error": "删除失败，请稍后重试"}, status=500)
    log.warning("staff console: AUDIT %s %s deleted the face data of customer %s (found by %s) on request: %s",
                session.staff_id, session.name, customer_id, how, json.dumps(erased.to_dict()))
    return web.json_response({"customer_id": customer_id, "erased": erased.to_dict(), "complete": erased.complete})


async def websocket(request: web.Request) -> web.StreamResponse:
    staff = await _require_staff(request)
    if not _same_origin(request):
        raise web.HTTPForbidden(text="跨站连接被拒绝")
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=64 * 1024)   # the console only sends small acks
    await ws.prepare(request)
    board = request.app[BOARD]
    request.app[SOCKETS].add(ws)
    sub = board.subscribe()
    try:
        await ws.send_json({"event": "snapshot", **board.snapshot(), "me": staff})
        pump = asyncio.create_task(_pump(sub, ws))
        try:
            async for msg in ws:      # the console may acknowledge over the socket too
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                    if isinstance(data, dict) and data.get("type") == "ack":
                        await board.ack(str(data.get("notice_id")), staff["staff_id"], staff["name"])
                except UnknownNotice as exc:
                    await ws.send_json({"event": "error", "error": exc.message})
                except (ValueError, TypeError):
                    await ws.send_json({"event": "error", "error": "消息必须是JSON对象"})
        finally:
            pump.cancel()
    finally:
        sub.close()
    return ws


async def _pump(sub, ws: web.WebSocketResponse) -> None:
    async for update in sub:
        if ws.closed:
            break
        await ws.send_json(update)
    if not ws.closed:                  # fell behind: let the console reconnect and reload
        await ws.close(code=1011, message=b"resync")


async def _close_sockets(app: web.Application) -> None:
    sockets = app[SOCKETS]
    for ws in list(sockets):
        await ws.close(code=1001, message=b"server shutdown")


async def _close_sessions(app: web.Application) -> None:
    app[SESSIONS].close()


def _default_sms(var_dir: Path):
    from identity.sms import default_verifier
    return default_verifier(var_dir)


def _static(name: str, content_type: str):
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / name, headers={"Content-Type": content_type, "Cache-Control": "no-cache"})
    return handler


def _default_eraser(settings) -> Callable[[str], FaceErasure]:
    from bot import privacy
    from business.factory import get_business
    from vision.config import VisionConfig

    vision = getattr(settings, "vision", None)
    url = VisionConfig(var_dir=Path(settings.var_dir), db_url=getattr(vision, "face_db", None)).database_url()
    return privacy.eraser(None, url, get_business)


def add_routes(app: web.Application, board: HallBoard, settings, *, accounts: StaffAccounts | None = None,
               limiter: LoginLimiter | None = None, sessions: StaffSessions | None = None,
               sms=None, erase_face: Callable[[str], FaceErasure] | None = None,
               visits: VisitLog | None = None) -> None:
    """Mount the staff console on `app` (before it starts): /staff, /staff/login, /staff/password,
    /staff/logout, /staff/api/snapshot, /staff/api/ack/{notice_id}, /staff/api/review/{notice_id}/{approve|refuse},
    /staff/api/unlock/{staff_id}, /staff/api/sms-unlock, /staff/api/face-delete, /ws/staff, the trainer page
    (bot.staff.trainer) and the dashboard. Sessions live in settings.var_dir/staff_sessions.sqlite;
    cookies are Secure when the app serves HTTPS (settings.tls_cert). `erase_face`: the app's face
    erasure (bot.kiosk.deps.face_eraser, through the running face service); default the face store alone."""
    var_dir = Path(settings.var_dir)
    app[BOARD] = board
    app[ACCOUNTS] = accounts or StaffAccounts(var_dir / "staff_accounts.json", demo=getattr(settings, "demo", None))
    app[LIMITER] = limiter or LoginLimiter()
    app[SESSIONS] = sessions or StaffSessions(var_dir / "staff_sessions.sqlite")
    app[SECURE] = bool(getattr(settings, "https", False))
    app[SMS] = sms or (lambda: _default_sms(var_dir))
    app[ERASE] = erase_face or _default_eraser(settings)
    app[VISITS] = visits
    app[SOCKETS] = weakref.WeakSet()
    app.on_shutdown.append(_close_sockets)
    app.on_cleanup.append(_close_sessions)
    app.router.add_get("/staff", console)
    app.router.add_get("/staff/login", login_form)
    app.router.add_post("/staff/login", login)
    app.router.add_get("/staff/password", password_form)
    app.router.add_post("/staff/password", change_password)
    app.router.add_post("/staff/logout", logout)
    app.router.add_get("/staff/api/snapshot", snapshot)
    app.router.add_post("/staff/api/ack/{notice_id}", ack)
    app.router.add_post("/staff/api/review/{notice_id}/{decision}", decide_review)
    app.router.add_get("/staff/dashboard", dashboard_page)
    app.router.add_get("/staff/api/dashboard", dashboard_data)
    app.router.add_get("/staff/api/dashboard.csv", dashboard_csv)
    app.router.add_get("/staff/vendor/chart.umd.min.js", chart_library)
    app.router.add_get("/staff/dashboard.js", _static("dashboard.js", "application/javascript; charset=utf-8"))
    app.router.add_post("/staff/api/unlock/{staff_id}", unlock)
    app.router.add_post("/staff/api/sms-unlock", sms_unlock)
    app.router.add_post("/staff/api/face-delete", delete_face)
    app.router.add_get("/ws/staff", websocket)
    app.router.add_get("/staff/staff.js", _static("staff.js", "application/javascript; charset=utf-8"))
    app.router.add_get("/staff/staff.css", _static("staff.css", "text/css; charset=utf-8"))
    from bot.staff import trainer  # the trainer page, for the trainer role (it imports this module)
    trainer.add_routes(app, settings)
