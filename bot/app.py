"""The app server (aiohttp): the kiosk page and its WebSocket (bot.kiosk), the staff console
(bot.staff), a text chat page and a small JSON API in front of Rasa. Transport stays here;
dialogue logic stays in Rasa and the actions, session logic in bot.kiosk."""
from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

from aiohttp import web

from bot.rasa_client import RasaClient, RasaUnavailable, clean_text
from bot.settings import Settings, load

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
RASA = web.AppKey("rasa", RasaClient)
EMPTY_HINT = "请说出或输入您要办理的业务，例如“查电费”“交电费”“停电报修”。"


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _json_body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text=json.dumps({"error": "请求体必须是JSON"}), content_type="application/json")
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "请求体必须是JSON对象"}), content_type="application/json")
    return body


def _sender(body: dict) -> str:
    sender = str(body.get("sender") or "").strip()
    if not sender or len(sender) > 64:
        raise web.HTTPBadRequest(text=json.dumps({"error": "缺少会话编号 sender（1-64个字符）"}),
                                 content_type="application/json")
    return sender


async def message(request: web.Request) -> web.Response:
    body = await _json_body(request)
    sender, text = _sender(body), clean_text(str(body.get("text") or ""))
    if not text:
        return web.json_response({"messages": [{"text": EMPTY_HINT}]})
    try:
        replies = await request.app[RASA].send(sender, text)
    except RasaUnavailable as exc:
        return _error(503, str(exc))
    return web.json_response({"messages": [asdict(m) for m in replies]})


async def event(request: web.Request) -> web.Response:
    body = await _json_body(request)
    sender, intent = _sender(body), str(body.get("intent") or "")
    if not intent.startswith("EXTERNAL_"):
        return _error(400, "只能触发 EXTERNAL_ 开头的传感器事件")
    entities = body.get("entities") or {}
    if not isinstance(entities, dict):
        return _error(400, "entities 必须是对象")
    try:
        replies = await request.app[RASA].trigger_intent(sender, intent, entities)
    except RasaUnavailable as exc:
        return _error(503, str(exc))
    return web.json_response({"messages": [asdict(m) for m in replies]})


async def health(request: web.Request) -> web.Response:
    try:
        status = await request.app[RASA].status()
        rasa = "ok" if status.get("model_file") else "no model"
    except RasaUnavailable:
        rasa = "down"
    return web.json_response({"app": "ok", "rasa": rasa})


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "chat.html")


def make_app(settings: Settings, media: bool = False) -> web.Application:
    """media=True loads the camera and voice models (the running robot); False serves the same
    pages and APIs with text only (quick tests of the dialogue API)."""
    from bot.kiosk import deps as kiosk_deps
    from bot.kiosk import routes as kiosk_routes
    from bot.staff import HallBoard, add_routes as add_staff_routes

    app = web.Application(client_max_size=64 * 1024)
    app[RASA] = RasaClient(settings.rasa_url)
    board = HallBoard()
    add_staff_routes(app, board, settings)
    kiosk_routes.add_routes(app, kiosk_deps.build(app, settings, app[RASA], board=board, media=media))

    async def close_client(app: web.Application) -> None:
        await app[RASA].close()

    app.on_cleanup.append(close_client)
    app.add_routes([web.get("/", index), web.get("/health", health),
                    web.post("/api/message", message), web.post("/api/event", event)])
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load()
    # HTTPS when HALLBOT_TLS_CERT/KEY are set (kiosks off localhost need it for camera and microphone)
    from bot.tls import server_context
    ssl_context = server_context(settings.tls_cert, settings.tls_key)
    web.run_app(make_app(settings, media=True), host=settings.host, port=settings.app_port, print=None,
                ssl_context=ssl_context)


if __name__ == "__main__":
    main()
