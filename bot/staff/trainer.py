"""The staff console's trainer page (/staff/trainer), for staff with the trainer role only.

Transport only: conversations come from bot.conversations (the tracker store, read-only, private
data masked), corrections go through bot.corrections into nlu_data/corrections.yml (the answer
shows the file, the YAML change the trainer made). Same login, session and CSRF checks as the rest
of the console (bot.staff.web); a member without the role gets 403."""
from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiohttp import web

from bot import conversations, corrections, data_warnings, labelling, privacy, story_export
from bot.staff.web import ACCOUNTS, STATIC, _check_csrf, _form, _json_error, _page, _require_session, _session, _static
from identity import keys

ROOT_DIR = web.AppKey("trainer_root", Path)
TRACKER = web.AppKey("trainer_tracker", tuple)   # (SQLAlchemy URL, var dir holding the tracker key)
MAX_CONVERSATIONS = 50


def _require_trainer(request: web.Request):
    session = _require_session(request)
    account = request.app[ACCOUNTS].get(session.staff_id)
    if account is None or not account.trainer:
        raise _json_error(web.HTTPForbidden, "只有机器人训练员可以使用训练页面")
    return session


async def page(request: web.Request) -> web.StreamResponse:
    session = _session(request)
    if session is None:
        raise web.HTTPFound("/staff/login")
    if session.must_change_password:
        raise web.HTTPFound("/staff/password")
    _require_trainer(request)
    return _page((STATIC / "trainer.html").read_text(encoding="utf-8"), csrf=session.csrf)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        raise _json_error(web.HTTPBadRequest, f"不是数字: {value}") from None


def _day(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return time.mktime(time.strptime(value, "%Y-%m-%d"))
    except ValueError:
        raise _json_error(web.HTTPBadRequest, f"日期格式应为 YYYY-MM-DD: {value}") from None


def filters_of(query: Any) -> conversations.Filters:
    until = _day(query.get("until"))
    return conversations.Filters(
        fallback=query.get("fallback") == "1", handoff=query.get("handoff") == "1", below=_float(query.get("below")),
        channel=query.get("channel") or None, since=_day(query.get("since")),
        until=until + conversations.DAY_S if until is not None else None,
        intent=query.get("intent") or None, search=query.get("search") or None)


def _store(url: str, var_dir: Path) -> privacy.TrackerEvents:
    return privacy.TrackerEvents(url, keys.secret(keys.TRACKER_KEY, var_dir))


def _listing(url: str, var_dir: Path, wanted: conversations.Filters) -> list[dict[str, Any]]:
    store = _store(url, var_dir)
    try:
        found = list(itertools.islice(conversations.reviewed(store, wanted), MAX_CONVERSATIONS))
    finally:
        store.close()
    return [{**asdict(c), "fallback": c.fallback, "handoff": c.handoff,
             "messages": [{**asdict(m), "fallback": m.fallback} for m in c.messages]} for c in found]


def _figures(url: str, var_dir: Path, wanted: conversations.Filters) -> dict[str, Any]:
    store = _store(url, var_dir)
    try:
        figures = labelling.analytics(conversations.reviewed(store, wanted))
    finally:
        store.close()

    def rates(r: labelling.Rates) -> dict[str, Any]:
        return {"conversations": r.conversations, "fallback": r.share(r.fallback), "handoff": r.share(r.handoff),
                "contained": r.share(r.contained)}
    return {"by_day": {d: rates(r) for d, r in figures.by_day.items()},
            "by_intent": {i: rates(r) for i, r in figures.by_intent.items()},
            "misunderstood": [{"text": text, "times": times} for text, times in figures.misunderstood]}


async def stats(request: web.Request) -> web.Response:
    """Fallback, handoff and containment per day and intent; the most misunderstood messages (masked)."""
    _require_trainer(request)
    url, var_dir = request.app[TRACKER]
    return web.json_response(await asyncio.to_thread(_figures, url, var_dir, filters_of(request.query)))


async def list_conversations(request: web.Request) -> web.Response:
    _require_trainer(request)
    wanted = filters_of(request.query)
    url, var_dir = request.app[TRACKER]
    return web.json_response({"conversations": await asyncio.to_thread(_listing, url, var_dir, wanted)})


async def intents(request: web.Request) -> web.Response:
    _require_trainer(request)
    root = request.app[ROOT_DIR]
    known = corrections.domain_intents(root) | corrections.retrieval_intents(root)
    names = sorted(i for i in known if not i.startswith("EXTERNAL_") and i not in corrections.retrieval_roots(known))
    return web.json_response({"intents": names})


async def warnings(request: web.Request) -> web.Response:
    """The training data's warnings (bot/data_warnings.py): few examples, conflicts, entity shapes."""
    _require_trainer(request)
    found = await asyncio.to_thread(data_warnings.check, request.app[ROOT_DIR])
    return web.json_response({"warnings": [asdict(w) for w in found]})


async def add_example(request: web.Request) -> web.Response:
    session = _require_trainer(request)
    data = await _form(request)
    _check_csrf(request, session, data)
    root = request.app[ROOT_DIR]
    try:
        added = await asyncio.to_thread(corrections.add_example, root, str(data.get("intent") or ""),
                                        str(data.get("text") or ""))
    except corrections.CorrectionRefused as refused:
        return web.json_response({"error": str(refused)}, status=400)
    return web.json_response({"added": added.new, "intent": added.intent, "text": added.text,
                              "file": str(added.path.relative_to(root)),
                              "yaml": added.path.read_text(encoding="utf-8")})


def _keep_story(url: str, var_dir: Path, root: Path, sender: str, kind: str,
                relabel: dict[int, str]) -> story_export.Saved:
    store = _store(url, var_dir)
    try:
        events = store.events(sender)
    finally:
        store.close()
    if not events:
        raise story_export.StoryRefused("没有这段对话")
    return story_export.keep(root, sender, events, kind, relabel)


async def keep_story(request: web.Request) -> web.Response:
    """A conversation as a conversation test (kind test) or a training story, with the intents the
    trainer corrected on the page (relabel: {turn: intent}, turn 1 = the first message)."""
    session = _require_trainer(request)
    data = await _form(request)
    _check_csrf(request, session, data)
    raw = data.get("relabel") or {}
    try:
        relabel = {int(turn): str(intent) for turn, intent in raw.items() if intent} if isinstance(raw, dict) else {}
    except ValueError:
        return web.json_response({"error": "relabel: 轮次应为数字"}, status=400)
    kind = str(data.get("kind") or "test")
    url, var_dir = request.app[TRACKER]
    root = request.app[ROOT_DIR]
    try:
        saved = await asyncio.to_thread(_keep_story, url, var_dir, root, str(data.get("sender") or ""), kind, relabel)
    except story_export.StoryRefused as refused:
        return web.json_response({"error": str(refused)}, status=400)
    return web.json_response({"name": saved.name, "unsure": saved.unsure, "file": str(saved.path.relative_to(root)),
                              "yaml": saved.path.read_text(encoding="utf-8")})


def add_routes(app: web.Application, settings: Any) -> None:
    app[ROOT_DIR] = Path(settings.root)
    var_dir = Path(settings.var_dir)
    app[TRACKER] = (privacy.tracker_url(var_dir, getattr(settings, "tracker_db", None)), var_dir)
    app.router.add_get("/staff/trainer", page)
    app.router.add_get("/staff/api/trainer/conversations", list_conversations)
    app.router.add_get("/staff/api/trainer/intents", intents)
    app.router.add_get("/staff/api/trainer/warnings", warnings)
    app.router.add_get("/staff/api/trainer/stats", stats)
    app.router.add_post("/staff/api/trainer/example", add_example)
    app.router.add_post("/staff/api/trainer/story", keep_story)
    app.router.add_get("/staff/trainer.js", _static("trainer.js", "application/javascript; charset=utf-8"))
