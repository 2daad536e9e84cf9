"""The only way messages reach Rasa: the REST channel (same /webhooks/rest/webhook address), made
safe. Configured in var/credentials.yml by bot/rasa_service.py instead of the stock `rest`.

- Every request must carry the app's token (`?token=` or `Authorization: Bearer`): the stock REST
  channel is not covered by Rasa's --auth-token, so without this anyone who reaches the port talks.
- `message` is always text. Rasa parses any text starting with "/" as `/intent{entities}`, so a
  leading "/" becomes the full-width "／": to the NLU it is just a character.
- `with_state: true` (the kiosk) answers {"messages", "tracker"}: the replies and the slots and
  active loop after them, read in-process, instead of a bare list and a second HTTP call.
- `payload` is how the app presses a button it offered: "/intent" or "/intent{json}", never a
  sensor (EXTERNAL_) intent. Only a token holder (the app, a trainer's terminal) can send it.
- `message_id` (optional) makes a turn idempotent: the app repeats a turn whose answer it lost with
  the same id (and `retry: true`), and it is handled once (rasa_addons/turn_ledger.py).
"""
from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_addons.turn_ledger import MESSAGE_ID, TurnLedger, handled_before

PAYLOAD = re.compile(r"^/(?!EXTERNAL_)[A-Za-z][A-Za-z0-9_]*(/[A-Za-z0-9_]+)?(\{.*\})?$", re.S)
FULLWIDTH_SLASH = "\uff0f"
MAX_TEXT = 2000


def as_text(message: str) -> str:
    """Text that Rasa cannot read as an intent: its leading "/" (after blanks) is neutralised."""
    stripped = message.lstrip()
    if stripped.startswith("/"):
        return FULLWIDTH_SLASH + stripped[1:]
    return message


def request_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):].strip()
    return request.args.get("token", "") or ""


async def turn_state(request: Request, sender: str) -> dict[str, Any] | None:
    """The tracker as `GET /conversations/<id>/tracker?include_events=NONE` gives it, read in-process."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.processor is None:
        return None
    from rasa.shared.core.trackers import EventVerbosity

    tracker = await agent.processor.get_tracker(sender)
    return tracker.current_state(EventVerbosity.NONE)


class HallInput(RestInput):
    """REST channel with caller authentication and text-only messages."""

    def __init__(self, token: str) -> None:
        if len(token) < 16:
            raise ValueError("hall channel: the token must be at least 16 characters")
        self.token = token
        self.ledger = TurnLedger()

    @classmethod
    def name(cls) -> str:
        return "rest"   # same URL as the stock channel, which is not loaded

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> HallInput:
        path = (credentials or {}).get("token_file")
        if not path:
            raise ValueError("hall channel: credentials need token_file")
        return cls(Path(path).read_text(encoding="utf-8").strip())

    async def _handled_before_restart(self, request: Request, sender: str, message_id: str) -> bool:
        if self.ledger.knows(sender, message_id):
            return False   # this process has (or is making) the answer: the ledger gives it
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or agent.processor is None:
            return False
        tracker = await agent.tracker_store.retrieve_full_tracker(sender)
        return tracker is not None and handled_before(list(tracker.events), message_id)

    def authorised(self, request: Request) -> bool:
        return hmac.compare_digest(request_token(request).encode(), self.token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        hook = Blueprint("hall_rest_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.authorised(request):
                return response.json({"error": "token required"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender = body.get("sender")
            if not isinstance(sender, str) or not sender:
                return response.json({"error": "sender required"}, status=400)
            payload, message = body.get("payload"), body.get("message")
            if payload is not None:
                if not isinstance(payload, str) or not PAYLOAD.match(payload):
                    return response.json({"error": "payload must be /intent or /intent{json}"}, status=400)
                text = payload
            else:
                text = as_text(str(message or "")[:MAX_TEXT])
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            message_id = body.get("message_id")
            if message_id is not None and (not isinstance(message_id, str) or not MESSAGE_ID.match(message_id)):
                return response.json({"error": "message_id: 8-64 letters, digits, - or _"}, status=400)

            async def handle() -> list[dict[str, Any]]:
                collector = CollectingOutputChannel()
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(),
                                                 metadata=metadata, message_id=message_id))
                return collector.messages

            repeated = False
            if message_id is None:
                messages = await handle()
            elif body.get("retry") is True and await self._handled_before_restart(request, sender, message_id):
                messages, repeated = [], True
            else:
                messages, repeated = await self.ledger.once(sender, message_id, handle)
            if body.get("with_state") is True:   # the kiosk: the state after this turn, saving a GET of the tracker
                return response.json({"messages": messages, "tracker": await turn_state(request, sender),
                                      "repeated": repeated})
            return response.json(messages)

        return hook
