"""Async HTTP client of the Rasa server (REST channel + HTTP API). Transport only."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

MAX_MESSAGE_CHARS = 500


class RasaUnavailable(RuntimeError):
    """The Rasa server cannot be reached or failed; the message is safe to show."""


@dataclass(frozen=True)
class BotMessage:
    text: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] | None = None
    image: str | None = None

    @classmethod
    def from_rasa(cls, data: dict[str, Any]) -> "BotMessage":
        return cls(text=data.get("text"), buttons=list(data.get("buttons") or []),
                   custom=data.get("custom"), image=data.get("image"))


def clean_text(text: str) -> str:
    """Drop control/unassigned characters and cap the length; keep emoji and CJK."""
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return " ".join(kept.split())[:MAX_MESSAGE_CHARS]


class RasaClient:
    def __init__(self, base_url: str, timeout_s: float = 15.0, client: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.AsyncClient(timeout=timeout_s)

    async def close(self) -> None:
        await self._client.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._client.request(method, self.base_url + path, **kwargs)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"对话服务暂时无法连接（{type(exc).__name__}），请稍后再试") from exc
        if response.status_code >= 500:
            raise RasaUnavailable(f"对话服务出错（HTTP {response.status_code}），请稍后再试")
        response.raise_for_status()
        return response.json()

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[BotMessage]:
        payload = {"sender": sender_id, "message": text, "metadata": metadata or {}}
        data = await self._request("POST", "/webhooks/rest/webhook", json=payload)
        return [BotMessage.from_rasa(m) for m in data]

    async def trigger_intent(self, sender_id: str, intent: str, entities: dict[str, Any] | None = None) -> list[BotMessage]:
        data = await self._request("POST", f"/conversations/{quote(sender_id, safe='')}/trigger_intent",
                                   params={"output_channel": "latest", "include_events": "NONE"},
                                   json={"name": intent, "entities": entities or {}})
        return [BotMessage.from_rasa(m) for m in data.get("messages", [])]

    async def parse(self, text: str) -> dict[str, Any]:
        return await self._request("POST", "/model/parse", json={"text": text})

    async def tracker(self, sender_id: str, include_events: str = "AFTER_RESTART") -> dict[str, Any]:
        """include_events: ALL | APPLIED | AFTER_RESTART | NONE (NONE: slots and state only, cheap)."""
        return await self._request("GET", f"/conversations/{quote(sender_id, safe='')}/tracker",
                                   params={"include_events": include_events})

    async def status(self) -> dict[str, Any]:
        return await self._request("GET", "/status")
