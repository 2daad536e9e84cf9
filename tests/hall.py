"""A real hall for tests (dialogue, kiosk, browser): the trained Rasa model served by a Rasa server (its own
venv), the action server, and a freshly seeded business database, all on free ports."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bot.commands import build_services
from bot.settings import Settings
from bot.supervisor import Supervisor, free_port

DEMO_CUSTOMERS = "150"


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


@dataclass
class Conversation:
    rasa_url: str
    sender: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:10]}")

    def say(self, text: str) -> Reply:
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": self.sender, "message": text},
                              timeout=60)
        assert response.status_code == 200, response.text
        return Reply(response.json())

    def event(self, intent: str, **entities) -> Reply:
        response = httpx.post(f"{self.rasa_url}/conversations/{self.sender}/trigger_intent",
                              params={"output_channel": "latest"}, json={"name": intent, "entities": entities},
                              timeout=60)
        assert response.status_code == 200, response.text
        return Reply(response.json().get("messages", []))

    def slots(self) -> dict:
        return httpx.get(f"{self.rasa_url}/conversations/{self.sender}/tracker", timeout=30).json()["slots"]


@dataclass
class Hall:
    settings: Settings
    supervisor: Supervisor | None = None   # restart("rasa") etc. for robustness tests

    def conversation(self) -> Conversation:
        return Conversation(self.settings.rasa_url)

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
