"""A real hall for tests (dialogue, kiosk, browser): the trained Rasa model served by a Rasa server (its own
venv), the action server, and a freshly seeded business database, all on free ports."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bot.commands import build_services
from bot.supervisor import Supervisor, free_port
from hallbot.settings import Settings
from identity import keys
from identity.proof import signed_entities

DEMO_CUSTOMERS = "150"
# every reply any conversation got in this process, in order (tests/dialogue/conftest.py checks them)
SPOKEN: list[list[dict]] = []


def make_settings(var_dir: Path, **overrides) -> Settings:
    return Settings(var_dir=var_dir, rasa_port=free_port(), actions_port=free_port(), app_port=free_port(),
                    **overrides)


@dataclass
class Reply:
    messages: list[dict]

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.messages)

    @property
    def buttons(self) -> list[dict]:
        return [b for m in self.messages for b in m.get("buttons") or []]

    def custom(self, kind: str) -> dict | None:
        return next((m["custom"] for m in self.messages if (m.get("custom") or {}).get("type") == kind), None)


def _spoken(messages: list[dict]) -> Reply:
    SPOKEN.append(messages)
    return Reply(messages)


@dataclass
class Conversation:
    """Talks to Rasa the way the app does: with Rasa's token, text as text, buttons pressed by
    payload, sensor events signed with the app's key (tests play the app server here)."""
    rasa_url: str
    token: str
    sensor_key: str
    sender: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:10]}")

    def _post(self, path: str, body: dict, **params) -> httpx.Response:
        response = httpx.post(f"{self.rasa_url}{path}", params={"token": self.token, **params}, json=body, timeout=60)
        assert response.status_code == 200, response.text
        return response

    def say(self, text: str) -> Reply:
        """What a customer types or says (a leading "/" is just a character)."""
        return _spoken(self._post("/webhooks/rest/webhook", {"sender": self.sender, "message": text}).json())

    def press(self, payload: str) -> Reply:
        """A button the bot offered, e.g. reply.buttons[0]["payload"] or "/affirm"."""
        return _spoken(self._post("/webhooks/rest/webhook", {"sender": self.sender, "payload": payload}).json())

    def event(self, intent: str, **entities) -> Reply:
        """A sensor event as the app server reports it: signed for this conversation, now."""
        return self.raw_event(intent, signed_entities(self.sensor_key, self.sender, intent, entities))

    def raw_event(self, intent: str, entities: dict) -> Reply:
        """trigger_intent with exactly these entities (no proof unless given)."""
        response = self._post(f"/conversations/{self.sender}/trigger_intent", {"name": intent, "entities": entities},
                              output_channel="latest")
        return _spoken(response.json().get("messages", []))

    def slots(self) -> dict:
        return httpx.get(f"{self.rasa_url}/conversations/{self.sender}/tracker", params={"token": self.token},
                         timeout=30).json()["slots"]


@dataclass
class Hall:
    settings: Settings
    supervisor: Supervisor | None = None   # restart("rasa") etc. for robustness tests

    @property
    def rasa_token(self) -> str:
        return keys.secret(keys.RASA_TOKEN, self.settings.var_dir)

    @property
    def sensor_key(self) -> str:
        return keys.secret(keys.SENSOR_KEY, self.settings.var_dir)

    def rasa_client(self):
        from bot.rasa_client import RasaClient

        return RasaClient(self.settings.rasa_url, self.rasa_token)

    def conversation(self) -> Conversation:
        return conversation_for(self.settings)

    def business(self):
        """The hall's business system, opened in this process (same SQLite file as the actions)."""
        if not hasattr(self, "_business"):
            from business.factory import open_sql

            self._business = open_sql(f"sqlite:///{self.settings.var_dir / 'business.sqlite'}", seed_if_empty=False)
        return self._business

    def walk_in(self, index: int):
        """A seeded customer (not one of the three demo customers other tests use) with an account."""
        biz = self.business()
        for n in range(10 + index * 7, 150):
            customer = biz.find_customer(customer_id=f"C{n:06d}")
            if customer and customer.phone and biz.accounts_of(customer.customer_id):
                return customer
        raise AssertionError("no seeded customer with an account")

    def sms_code(self, phone: str) -> str:
        """The code the demo SMS gateway echoed (demo mode, HALLBOT_DEMO=1) to the action server's log:
        the outbox file keeps messages masked."""
        from identity.sms import last_demo_code

        log = self.settings.var_dir / "logs" / "actions.log"
        code = last_demo_code(log.read_text(encoding="utf-8", errors="replace"), phone) if log.exists() else None
        assert code, f"no SMS sent to {phone}"
        return code


def conversation_for(settings: Settings) -> Conversation:
    """A new conversation with the hall at `settings`, holding the app's credentials from its var/."""
    return Conversation(settings.rasa_url, keys.secret(keys.RASA_TOKEN, settings.var_dir),
                        keys.secret(keys.SENSOR_KEY, settings.var_dir))


def seed_business(var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seed in this process first, so the action server's first turn does not pay for it."""
    monkeypatch.setenv("HALLBOT_VAR_DIR", str(var_dir))
    monkeypatch.setenv("HALLBOT_DEMO_CUSTOMERS", DEMO_CUSTOMERS)
    monkeypatch.setenv("HALLBOT_DEMO", "1")     # the hall runs as `make demo` does: demo SMS codes echoed
    from business import factory

    factory.reset()
    factory.get_business()
    factory.reset()


def start_hall(var_dir: Path, **overrides) -> tuple[Supervisor, Settings]:
    settings = make_settings(var_dir, **overrides)
    supervisor = Supervisor(build_services(settings, with_app=False), var_dir / "logs", settings.host)
    supervisor.start()
    return supervisor, settings
