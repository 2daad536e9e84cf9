"""Runtime settings from environment variables (12-factor); defaults run everything on a laptop."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _optional_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).resolve() if value else None


@dataclass(frozen=True)
class Settings:
    root: Path = ROOT
    var_dir: Path = field(default_factory=lambda: Path(_env("HALLBOT_VAR_DIR", str(ROOT / "var"))).resolve())
    host: str = field(default_factory=lambda: _env("HALLBOT_HOST", "127.0.0.1"))
    rasa_port: int = field(default_factory=lambda: int(_env("HALLBOT_RASA_PORT", "5005")))
    actions_port: int = field(default_factory=lambda: int(_env("HALLBOT_ACTIONS_PORT", "5055")))
    app_port: int = field(default_factory=lambda: int(_env("HALLBOT_APP_PORT", "8080")))
    speech_port: int = field(default_factory=lambda: int(_env("HALLBOT_SPEECH_PORT", "5060")))
    # SQLAlchemy-style URLs; unset = embedded defaults (SQLite tracker store, in-memory lock store).
    tracker_db: str | None = field(default_factory=lambda: os.environ.get("HALLBOT_TRACKER_DB"))
    lock_store: str | None = field(default_factory=lambda: os.environ.get("HALLBOT_LOCK_STORE"))
    event_broker: str | None = field(default_factory=lambda: os.environ.get("HALLBOT_EVENT_BROKER"))
    model_dir: Path = field(default_factory=lambda: Path(_env("HALLBOT_MODEL_DIR", str(ROOT / "models"))).resolve())
    # Demo mode (`make demo`): the public demo staff password works without a forced change and the
    # demo SMS gateway shows codes on the terminal. Never on a real robot.
    demo: bool = field(default_factory=lambda: _flag("HALLBOT_DEMO"))
    # HTTPS for the app server (kiosks on the hall network need it for getUserMedia; Secure cookies)
    tls_cert: Path | None = field(default_factory=lambda: _optional_path("HALLBOT_TLS_CERT"))
    tls_key: Path | None = field(default_factory=lambda: _optional_path("HALLBOT_TLS_KEY"))
    rasa_python: Path = ROOT / ".venv-rasa" / "bin" / "python"
    app_python: Path = ROOT / ".venv" / "bin" / "python"

    @property
    def rasa_url(self) -> str:
        return os.environ.get("HALLBOT_RASA_URL", f"http://{self.host}:{self.rasa_port}")

    @property
    def https(self) -> bool:
        return self.tls_cert is not None

    @property
    def speech_url(self) -> str:
        """The speech service (ASR + TTS, voice/server.py); set HALLBOT_SPEECH_URL for a shared remote one."""
        return os.environ.get("HALLBOT_SPEECH_URL", f"http://{self.host}:{self.speech_port}")

    @property
    def actions_url(self) -> str:
        return f"http://{self.host}:{self.actions_port}/webhook"

    def as_env(self) -> dict[str, str]:
        """The variables that make a child process load these same settings."""
        env = {"HALLBOT_VAR_DIR": str(self.var_dir), "HALLBOT_HOST": self.host,
               "HALLBOT_RASA_PORT": str(self.rasa_port), "HALLBOT_ACTIONS_PORT": str(self.actions_port),
               "HALLBOT_APP_PORT": str(self.app_port), "HALLBOT_MODEL_DIR": str(self.model_dir),
               "HALLBOT_RASA_URL": self.rasa_url, "HALLBOT_SPEECH_PORT": str(self.speech_port),
               "HALLBOT_SPEECH_URL": self.speech_url}
        for key, value in (("HALLBOT_TRACKER_DB", self.tracker_db), ("HALLBOT_LOCK_STORE", self.lock_store),
                           ("HALLBOT_EVENT_BROKER", self.event_broker),
                           ("HALLBOT_DEMO", "1" if self.demo else None),
                           ("HALLBOT_TLS_CERT", str(self.tls_cert) if self.tls_cert else None),
                           ("HALLBOT_TLS_KEY", str(self.tls_key) if self.tls_key else None)):
            if value:
                env[key] = value
        return env

    @property
    def model_path(self) -> Path:
        return self.model_dir / "hallbot.tar.gz"


def load() -> Settings:
    return Settings()
