"""The app server (aiohttp): the kiosk page and its WebSocket (bot.kiosk), the staff console
(bot.staff), a text chat page and a small JSON API in front of Rasa. Transport stays here;
dialogue logic stays in Rasa and the actions, session logic in bot.kiosk.

POST /api/message takes {"sender", "text"} (always text) or {"sender", "button": id} (an id from
an earlier reply's buttons); an optional "id" (8-64 of A-Z a-z 0-9 _ -) names the text turn, so a
client that lost the answer (a 5xx, a dropped connection) sends it again with the same id and
"retry": true, and it is handled once (rasa_addons/turn_ledger.py). Sensor events have no public API: only the kiosk sessions, which saw
them, report them to the dialogue, signed (docs/security.md)."""
from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

from aiohttp import web

from bot.buttons import OfferedButtons
from bot.rasa_client import MESSAGE_ID, BotMessage, RasaClient, RasaUnavailable, clean_text
from hallbot.settings import Settings, load
from identity import keys

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
RASA = web.AppKey("rasa", RasaClient)
CHAT_BUTTONS = web.AppKey("chat_buttons", OfferedButtons)
WEB_PREFIX = "web-"   # chat-page conversations can never address a kiosk's conversation
EMPTY_HINT = "请说出或输入您要办理的业务，例如“查电费”“交电费”“停电报修”。"


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _json_body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text=json.dumps({"error": "请求体必须是JSON"}), content_type="application/json") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "请求体必须是JSON对象"}), content_type="application/json")
    return body


def _sender(body: dict) -> str:
    sender = str(body.get("sender") or "").strip()
    if not sender or len(sender) > 64:
        raise web.HTTPBadRequest(text=json.dumps({"error": "缺少会话编号 sender（1-64个字符）"}),
                                 content_type="application/json")
    return WEB_PREFIX + sender


def _shown(buttons: OfferedButtons, sender: str, replies: list[BotMessage]) -> list[dict]:
    return [{**asdict(m), "buttons": buttons.offer(sender, m)} for m in replies]


async def message(request: web.Request) -> web.Response:
    body = await _json_body(request)
    sender, buttons = _sender(body), request.app[CHAT_BUTTONS]
    button_id, text = body.get("button"), clean_text(str(body.get("text") or ""))
    pressed = buttons.press(sender, str(button_id)) if button_id is not None else None
    if button_id is not None and pressed is None:
        return _error(400, "这个按钮已失效，请重新选择或直接输入")
    if pressed is None and not text:
        return web.json_response({"messages": [{"text": EMPTY_HINT}]})
    turn_id = body.get("id")
    if turn_id is not None and not (isinstance(turn_id, str) and MESSAGE_ID.match(turn_id)):
        return _error(400, "id 须为8-64个字母、数字、-或_")
    try:
        rasa = request.app[RASA]
        replies = await (rasa.press(sender, pressed.payload) if pressed else
                         rasa.send(sender, text, message_id=turn_id, retry=body.get("retry") is True))
    except RasaUnavailable as exc:
        return _error(503, str(exc))
    return web.json_response({"messages": _shown(buttons, sender, replies)})


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
    from bot.staff import HallBoard
    from bot.staff import add_routes as add_staff_routes
    from bot.staff.reviews import ReviewLog
    from bot.visits import VisitLog

    app = web.Application(client_max_size=64 * 1024)
    app[RASA] = RasaClient(settings.rasa_url, keys.secret(keys.RASA_TOKEN, settings.var_dir),
                           timeout_s=settings.rasa_timeout_s)
    app[CHAT_BUTTONS] = OfferedButtons()
    board = HallBoard(reviews=ReviewLog(settings.var_dir / "risk_reviews.sqlite"))
    visits = VisitLog(settings.var_dir / "visits.sqlite")
    deps = kiosk_deps.build(settings, app[RASA], board=board, media=media, visits=visits)
    # one face erasure for the kiosks and the console: through this process's running face service
    add_staff_routes(app, board, settings, erase_face=deps.erase_face, visits=visits)
    kiosk_routes.add_routes(app, deps)

    async def close_client(app: web.Application) -> None:
        await app[RASA].close()

    app.on_cleanup.append(close_client)
    app.add_routes([web.get("/", index), web.get("/health", health),
                    web.post("/api/message", message)])
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)   # its INFO lines carry URLs with Rasa's ?token=
    settings = load()
    # HTTPS when HALLBOT_TLS_CERT/KEY are set (kiosks off localhost need it for camera and microphone)
    from bot.tls import server_context
    ssl_context = server_context(settings.tls_cert, settings.tls_key)
    web.run_app(make_app(settings, media=True), host=settings.host, port=settings.app_port, print=None,
                ssl_context=ssl_context)


if __name__ == "__main__":
    main()
