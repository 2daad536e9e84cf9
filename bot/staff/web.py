"""HTTP and websocket transport of the staff console: login, the console page, a snapshot/ack JSON
API and a websocket that pushes the HallBoard's updates live. Logic stays in HallBoard."""
from __future__ import annotations

import asyncio
import base64
import html
import json
import logging
import os
import time
import weakref
from collections import deque
from pathlib import Path

import aiohttp_session
from aiohttp import WSMsgType, web
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from bot.staff.accounts import StaffAccounts
from bot.staff.board import HallBoard, UnknownNotice
from bot.staff.login_page import LOGIN_PAGE

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "static"
COOKIE = "hallbot_staff"
SESSION_MAX_AGE = 12 * 3600           # one working day
BOARD = web.AppKey("staff_board", HallBoard)
ACCOUNTS = web.AppKey("staff_accounts", StaffAccounts)
LIMITER = web.AppKey("staff_login_limiter", object)
SOCKETS = web.AppKey("staff_sockets", weakref.WeakSet)


class LoginLimiter:
    """At most `attempts` failed logins per client address within `window_s`; then refuse until the
    oldest failure ages out. A success clears the address's failures."""

    def __init__(self, attempts: int = 5, window_s: float = 300.0) -> None:
        self.attempts, self.window_s = attempts, window_s
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        now = time.monotonic()
        while failures and now - failures[0] > self.window_s:
            failures.popleft()
        return failures

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again; 0 when it may now."""
        failures = self._recent(key)
        if len(failures) < self.attempts:
            return 0
        return max(1, int(self.window_s - (time.monotonic() - failures[0])) + 1)

    def failed(self, key: str) -> None:
        self._recent(key).append(time.monotonic())
        if len(self._failures) > 10000:     # bounded: forget the quiet addresses
            for k in [k for k, v in self._failures.items() if not v]:
                del self._failures[k]

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


def session_key(var_dir: Path) -> str:
    """The cookie encryption key, created once in var/ (mode 600) so logins survive restarts."""
    path = Path(var_dir) / "staff_session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
    key = path.read_text(encoding="ascii").strip()
    if len(base64.urlsafe_b64decode(key)) != 32:        # a damaged key file fails here, loudly
        raise ValueError(f"{path}: not a Fernet key; delete it to make a new one (staff must log in again)")
    return key      # str: aiohttp-session takes a str key as the Fernet key itself


async def current_staff(request: web.Request) -> dict | None:
    session = await aiohttp_session.get_session(request)
    staff = session.get("staff")
    return staff if isinstance(staff, dict) and staff.get("staff_id") else None


def _login_page(error: str = "", staff_id: str = "", status: int = 200) -> web.Response:
    page = LOGIN_PAGE.replace("{{error}}", html.escape(error)).replace("{{staff_id}}", html.escape(staff_id))
    return web.Response(text=page, content_type="text/html", status=status,
                        headers={"Cache-Control": "no-store"})


def _wants_json(request: web.Request) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get("Accept", "")


async def console(request: web.Request) -> web.StreamResponse:
    if await current_staff(request) is None:
        raise web.HTTPFound("/staff/login")
    return web.FileResponse(STATIC / "staff.html", headers={"Cache-Control": "no-store"})


async def login_form(request: web.Request) -> web.Response:
    if await current_staff(request) is not None:
        raise web.HTTPFound("/staff")
    return _login_page()


async def login(request: web.Request) -> web.Response:
    as_json = _wants_json(request)
    try:
        data = await request.json() if request.content_type == "application/json" else await request.post()
        staff_id, password = str(data.get("staff_id") or "").strip(), str(data.get("password") or "")
    except (ValueError, UnicodeDecodeError, AttributeError):
        staff_id, password = "", ""

    def fail(message: str, status: int, **headers: str) -> web.Response:
        if as_json:
            return web.json_response({"error": message}, status=status, headers=headers)
        response = _login_page(message, staff_id, status)
        response.headers.update(headers)
        return response

    if not staff_id or not password or len(staff_id) > 32 or len(password) > 256:
        return fail("请输入工号和密码", 400)
    limiter: LoginLimiter = request.app[LIMITER]
    client = request.remote or "?"
    wait = limiter.retry_after(client)
    if wait:
        return fail(f"登录失败次数过多，请{(wait + 59) // 60}分钟后再试", 429, **{"Retry-After": str(wait)})
    account = await asyncio.to_thread(request.app[ACCOUNTS].authenticate, staff_id, password)
    if account is None:
        limiter.failed(client)
        log.warning("staff console: failed login for %r from %s", staff_id, client)
        return fail("工号或密码错误", 401)
    limiter.succeeded(client)
    session = await aiohttp_session.new_session(request)
    session["staff"] = {"staff_id": account.staff_id, "name": account.name}
    log.info("staff console: %s %s logged in", account.staff_id, account.name)
    if as_json:
        return web.json_response({"staff": session["staff"]})
    raise web.HTTPFound("/staff")


async def logout(request: web.Request) -> web.Response:
    session = await aiohttp_session.get_session(request)
    session.invalidate()
    if _wants_json(request):
        return web.json_response({"ok": True})
    raise web.HTTPFound("/staff/login")


async def _require_staff(request: web.Request) -> dict:
    staff = await current_staff(request)
    if staff is None:
        raise web.HTTPUnauthorized(text=json.dumps({"error": "请先登录员工控制台"}, ensure_ascii=False),
                                   content_type="application/json")
    return staff


async def snapshot(request: web.Request) -> web.Response:
    staff = await _require_staff(request)
    return web.json_response({**request.app[BOARD].snapshot(), "me": staff})


async def ack(request: web.Request) -> web.Response:
    staff = await _require_staff(request)
    try:
        notice = await request.app[BOARD].ack(request.match_info["notice_id"], staff["staff_id"], staff["name"])
    except UnknownNotice as exc:
        return web.json_response({"error": exc.message}, status=404)
    return web.json_response({"notice": notice.to_dict()})


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if not origin:
        return True                   # not a browser page (tools, tests)
    return origin.split("://", 1)[-1].rstrip("/") == request.host


async def websocket(request: web.Request) -> web.StreamResponse:
    staff = await _require_staff(request)
    if not _same_origin(request):
        raise web.HTTPForbidden(text="跨站连接被拒绝")
    ws = web.WebSocketResponse(heartbeat=20)
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
    for ws in list(app[SOCKETS]):
        await ws.close(code=1001, message=b"server shutdown")


def _static(name: str, content_type: str):
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / name, headers={"Content-Type": content_type, "Cache-Control": "no-cache"})
    return handler


def add_routes(app: web.Application, board: HallBoard, settings, *, accounts: StaffAccounts | None = None,
               limiter: LoginLimiter | None = None) -> None:
    """Mount the staff console on `app` (before it starts): /staff, /staff/login, /staff/logout,
    /staff/api/snapshot, /staff/api/ack/{notice_id}, /ws/staff. Sets up aiohttp-session with an
    encrypted cookie whose key lives in settings.var_dir."""
    var_dir = Path(settings.var_dir)
    aiohttp_session.setup(app, EncryptedCookieStorage(session_key(var_dir), cookie_name=COOKIE,
                                                      max_age=SESSION_MAX_AGE, httponly=True, samesite="Strict",
                                                      path="/"))
    app[BOARD] = board
    app[ACCOUNTS] = accounts or StaffAccounts(var_dir / "staff_accounts.json")
    app[LIMITER] = limiter or LoginLimiter()
    app[SOCKETS] = weakref.WeakSet()
    app.on_shutdown.append(_close_sockets)
    app.router.add_get("/staff", console)
    app.router.add_get("/staff/login", login_form)
    app.router.add_post("/staff/login", login)
    app.router.add_post("/staff/logout", logout)
    app.router.add_get("/staff/api/snapshot", snapshot)
    app.router.add_post("/staff/api/ack/{notice_id}", ack)
    app.router.add_get("/ws/staff", websocket)
    app.router.add_get("/staff/staff.js", _static("staff.js", "application/javascript; charset=utf-8"))
    app.router.add_get("/staff/staff.css", _static("staff.css", "text/css; charset=utf-8"))
