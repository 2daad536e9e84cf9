"""The NLU step as the pipeline sees it: `respond(session_id, text) -> list[str]`.
Uses the project's Rasa client (bot.rasa_client.RasaClient) when present, else posts to Rasa's
REST webhook directly."""
from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

DEFAULT_RASA_URL = "http://127.0.0.1:5005"


def rasa_url() -> str:
    return os.environ.get("HALLBOT_RASA_URL", DEFAULT_RASA_URL).rstrip("/")


def rasa_token() -> str:
    """Rasa answers only with its token (var/rasa.token, identity.keys)."""
    from identity import keys

    return keys.secret(keys.RASA_TOKEN)


def make_rasa_respond(url: str | None = None, timeout_s: float = 10.0) -> Callable[[str, str], Awaitable[list[str]]]:
    url = (url or rasa_url()).rstrip("/")
    try:
        from bot.rasa_client import RasaClient  # the lead's client, when it exists

        client = RasaClient(url, rasa_token())

        async def respond(session_id: str, text: str) -> list[str]:
            messages = await client.send(session_id, text)
            texts = [m.get("text") if isinstance(m, dict) else getattr(m, "text", None) for m in messages]
            return [t for t in texts if t]

        return respond
    except (ImportError, TypeError):
        pass
    import httpx

    async def respond_by_webhook(session_id: str, text: str) -> list[str]:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            r = await client.post(f"{url}/webhooks/rest/webhook", params={"token": rasa_token()},
                                  json={"sender": session_id, "message": text})
            r.raise_for_status()
            return [m["text"] for m in r.json() if m.get("text")]

    return respond_by_webhook


async def rasa_reachable(url: str | None = None) -> bool:
    import httpx

    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            r = await client.get(f"{(url or rasa_url()).rstrip('/')}/status", params={"token": rasa_token()})
            return r.status_code == 200
    except httpx.HTTPError:
        return False
