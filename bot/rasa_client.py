"""Async HTTP client of the Rasa server (REST channel + HTTP API). Transport only.

Every call carries Rasa's token. What customers type or say goes out as text that cannot be
read as `/intent{entities}` (as_text); buttons are pressed with `press`, whose payload the app
took from its own record of the buttons it offered (bot/buttons.py)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

MAX_MESSAGE_CHARS = 500
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")   # a turn's id as the hall channel accepts it
FULLWIDTH_SLASH = "\uff0f"


class RasaUnavailable(RuntimeError):
    """The Rasa server cannot be reached or failed; the message is safe to show."""


@dataclass(frozen=True)
class BotMessage:
    text: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] | None = None
    image: str | None = None

    @classmethod
    def from_rasa(cls, data: dict[str, Any]) -> BotMessage:
        return cls(text=data.get("text"), buttons=list(data.get("buttons") or []),
                   custom=data.get("custom"), image=data.get("image"))


@dataclass(frozen=True)
class Turn:
    """Rasa's replies to one turn and the conversation's state right after it (slots, active loop)
    from the same answer: a second GET of the tracker cost a round trip and a wait for Rasa's lock."""
    messages: list[BotMessage]
    tracker: dict[str, Any] | None = None
    repeated: bool = False   # a repeat of a turn Rasa had already handled (its answer, or none after a restart)

    @classmethod
    def from_channel(cls, data: Any) -> Turn:
        """A hall-channel answer {"messages", "tracker"}, trigger_intent's answer (the same keys),
        or the stock channel's bare list of messages (no state)."""
        if isinstance(data, list):
            return cls([BotMessage.from_rasa(m) for m in data])
        tracker = data.get("tracker")
        return cls([BotMessage.from_rasa(m) for m in data.get("messages") or []],
                   tracker if isinstance(tracker, dict) else None, data.get("repeated") is True)


def clean_text(text: str) -> str:
    """Drop control/unassigned characters and cap the length; keep emoji and CJK."""
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return " ".join(kept.split())[:MAX_MESSAGE_CHARS]


def as_text(text: str) -> str:
    """Rasa reads a message starting with "/" as an intent with entities: a customer's text never
    is one, so its leading "/" becomes the full-width "／" (the Rasa channel does the same)."""
    stripped = text.lstrip()
    return FULLWIDTH_SLASH + stripped[1:] if stripped.startswith("/") else text


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout_s: float = 15.0,
                 client: httpx.AsyncClient | None = None) -> None:
        if not token:
            raise ValueError("RasaClient needs Rasa's token (var/rasa.token)")
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.AsyncClient(timeout=timeout_s)
        self._token = token

    async def close(self) -> None:
        await self._client.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            params = {**kwargs.pop("params", {}), "token": self._token}
            response = await self._client.request(method, self.base_url + path, params=params, **kwargs)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"对话服务暂时无法连接（{type(exc).__name__}），请稍后再试") from exc
        if response.status_code in (401, 403):
            raise RasaUnavailable(f"对话服务拒绝了请求（HTTP {response.status_code}）：Rasa 令牌不符，请检查 var/rasa.token")
        if response.status_code >= 500:
            raise RasaUnavailable(f"对话服务出错（HTTP {response.status_code}），请稍后再试")
        response.raise_for_status()
        return response.json() if response.content else None

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any] | None = None,
                   message_id: str | None = None, retry: bool = False) -> list[BotMessage]:
        """What a customer typed or said: always text. message_id/retry: as for send_turn."""
        body: dict[str, Any] = {"sender": sender_id, "message": as_text(text), "metadata": metadata or {}}
        if message_id is not None:
            body.update(message_id=message_id, retry=retry)
        data = await self._request("POST", "/webhooks/rest/webhook", json=body)
        return [BotMessage.from_rasa(m) for m in data]

    async def press(self, sender_id: str, payload: str) -> list[BotMessage]:
        """A button the app itself offered in this conversation ("/intent" or "/intent{json}")."""
        return (await self.press_turn(sender_id, payload)).messages

    async def trigger_intent(self, sender_id: str, intent: str, entities: dict[str, Any] | None = None) -> list[BotMessage]:
        return (await self.trigger_turn(sender_id, intent, entities)).messages

    # The kiosk's calls: replies and the state after them in one answer (rasa_addons/hall_channel.py
    # adds the state when asked `with_state`; trigger_intent returns it anyway).
    # message_id: the same for every attempt of one turn, so a repeat after a lost answer is handled
    # once (rasa_addons/turn_ledger.py); retry: this attempt repeats one whose answer was lost.
    # metadata: what the app itself vouches for with the turn (its signed emotion verdict,
    # actions/risk_review.py), never anything the page sent.
    async def send_turn(self, sender_id: str, text: str, message_id: str | None = None, retry: bool = False,
                        metadata: dict[str, Any] | None = None) -> Turn:
        body = {"sender": sender_id, "message": as_text(text), "with_state": True, "metadata": metadata or {}}
        return await self._turn(body, message_id, retry)

    async def press_turn(self, sender_id: str, payload: str, message_id: str | None = None,
                         retry: bool = False, metadata: dict[str, Any] | None = None) -> Turn:
        body = {"sender": sender_id, "payload": payload, "with_state": True, "metadata": metadata or {}}
        return await self._turn(body, message_id, retry)

    async def _turn(self, body: dict[str, Any], message_id: str | None, retry: bool) -> Turn:
        if message_id is not None:
            body.update(message_id=message_id, retry=retry)
        return Turn.from_channel(await self._request("POST", "/webhooks/rest/webhook", json=body))

    async def trigger_turn(self, sender_id: str, intent: str, entities: dict[str, Any] | None = None) -> Turn:
        data = await self._request("POST", f"/conversations/{quote(sender_id, safe=':')}/trigger_intent",
                                   params={"output_channel": "latest", "include_events": "NONE"},
                                   json={"name": intent, "entities": entities or {}})
        return Turn.from_channel(data)

    async def parse(self, text: str) -> dict[str, Any]:
        return await self._request("POST", "/model/parse", json={"text": text})

    async def tracker(self, sender_id: str, include_events: str = "AFTER_RESTART") -> dict[str, Any]:
        """include_events: ALL | APPLIED | AFTER_RESTART | NONE (NONE: slots and state only, cheap)."""
        return await self._request("GET", f"/conversations/{quote(sender_id, safe=':')}/tracker",
                                   params={"include_events": include_events})

    async def status(self) -> dict[str, Any]:
        return await self._request("GET", "/status")

    async def load_model(self, model_file: str, timeout_s: float = 600.0) -> None:
        """Rasa's PUT /model: it loads the model beside the one serving and swaps them when ready
        (turns in the meantime are answered by the old model). Loading takes a minute on 2 cores."""
        await self._request("PUT", "/model", json={"model_file": model_file}, timeout=timeout_s)
