"""The NLU step as the voice console and benchmark see it: `respond(session_id, text) -> list[str]`,
posting to Rasa's REST webhook. The kiosk does not use this: its dialogue goes through the app
server (bot/kiosk), which alone may add sensor events; voice/ never imports bot/."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from hallbot.settings import load


def rasa_url() -> str:
    return load().rasa_url


def rasa_token() -> str:
    """Rasa answers only with its token (var/rasa.token, identity.keys)."""
    from identity import keys

    return keys.secret(keys.RASA_TOKEN)


def make_rasa_respond(url: str | None = None, timeout_s: float = 10.0) -> Callable[[str, str], Awaitable[list[str]]]:
    url = (url or rasa_url()).rstrip("/")
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
