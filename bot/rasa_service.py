"""How to run the Rasa service: endpoints.yml from settings, and the command lines.
Nothing here imports rasa; Rasa runs in its own venv (.venv-rasa)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from hallbot.settings import RASA_MAX_BODY_BYTES, Settings, child_environment
from identity import keys

# identity/spoken_numbers.py: rasa_addons/spoken_numbers.py rewrites every training text with it
TRAINING_INPUTS = ("config.yml", "domain.yml", "nlu_data", "stories", "identity/spoken_numbers.py")


# Rasa's SQL store with each event's data encrypted, key in var/tracker.key (not in the database).
ENCRYPTED_TRACKER_STORE = "rasa_addons.encrypted_tracker_store.EncryptedSQLTrackerStore"
ENCRYPTED_EVENT_BROKER = "rasa_addons.encrypted_event_broker.EncryptedPikaEventBroker"



def rasa_env() -> dict[str, str]:
    """The environment of a Rasa command run from here (train, test, data validate): quiet libraries."""
    return child_environment({"SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONWARNINGS": "ignore::DeprecationWarning"})

def tracker_store_config(settings: Settings) -> dict:
    encrypted = {"type": ENCRYPTED_TRACKER_STORE,
                 "key_file": str(keys.secret_path(keys.TRACKER_KEY, settings.var_dir))}
    if not settings.tracker_db:
        return {**encrypted, "dialect": "sqlite", "db": str(settings.var_dir / "tracker.sqlite")}
    url = urlsplit(settings.tracker_db)
    if not url.scheme.startswith("postgres"):
        raise ValueError(f"HALLBOT_TRACKER_DB must be a postgresql:// URL, got {settings.tracker_db!r}")
    return {**encrypted, "dialect": "postgresql", "url": url.hostname or "127.0.0.1", "port": url.port or 5432,
            "db": url.path.lstrip("/") or "hallbot", "username": url.username or "postgres",
            "password": url.password or "", "login_db": "postgres"}


def lock_store_config(settings: Settings) -> dict | None:
    if not settings.lock_store:
        return None  # Rasa's in-memory lock store: fine for one Rasa process
    url = urlsplit(settings.lock_store)
    if url.scheme != "redis":
        raise ValueError(f"HALLBOT_LOCK_STORE must be a redis:// URL, got {settings.lock_store!r}")
    config = {"type": "redis", "url": url.hostname or "127.0.0.1", "port": url.port or 6379,
              "db": int(url.path.lstrip("/") or 0), "key_prefix": "hallbot"}
    if url.password:
        config["password"] = url.password
    return config


def rasa_sanic_env() -> dict[str, str]:
    """Rasa's Sanic reads SANIC_* from its environment: a cap on request bodies (its default, 100 MB,
    let one request hold that much memory)."""
    return {"SANIC_REQUEST_MAX_SIZE": str(RASA_MAX_BODY_BYTES)}


def event_broker_config(settings: Settings) -> dict | None:
    if not settings.event_broker:
        return None
    url = urlsplit(settings.event_broker)
    # the stock pika broker, with each event encrypted under the tracker key (rasa_addons/encrypted_event_broker.py)
    return {"type": ENCRYPTED_EVENT_BROKER, "url": url.hostname or "127.0.0.1", "port": url.port or 5672,
            "username": url.username or "guest", "password": url.password or "guest",
            "queues": ["hallbot_events"], "key_file": str(keys.secret_path(keys.TRACKER_KEY, settings.var_dir))}


def _write_private(path: Path, config: dict) -> Path:
    """A config file holding secrets: readable by the robot's user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_endpoints(settings: Settings) -> Path:
    # the action server answers only with this secret (actions/server.py)
    actions_auth = {"Authorization": f"Bearer {keys.secret(keys.ACTIONS_TOKEN, settings.var_dir)}"}
    config: dict = {"action_endpoint": {"url": settings.actions_url, "headers": actions_auth},
                    "tracker_store": tracker_store_config(settings)}
    for key, value in (("lock_store", lock_store_config(settings)), ("event_broker", event_broker_config(settings))):
        if value:
            config[key] = value
    return _write_private(settings.var_dir / "endpoints.yml", config)


def write_credentials(settings: Settings) -> Path:
    """Rasa's only input channel: the token-checking, text-only REST channel (rasa_addons)."""
    token_file = keys.secret_path(keys.RASA_TOKEN, settings.var_dir)
    return _write_private(settings.var_dir / "credentials.yml",
                          {"rasa_addons.hall_channel.HallInput": {"token_file": str(token_file)}})


def custom_components(root: Path) -> list[str]:
    """The rasa_addons modules config.yml names: their code shapes the trained model too (the rest of
    rasa_addons, e.g. the launcher or the tracker store, does not, and must not force a retrain)."""
    config = yaml.safe_load((root / "config.yml").read_text(encoding="utf-8")) or {}
    names = [c.get("name", "") for c in (config.get("pipeline") or []) + (config.get("policies") or [])]
    return sorted({"/".join(n.split(".")[:-1]) + ".py" for n in names if n.startswith("rasa_addons.")})


def _digest(root: Path, names: list[str] | tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in names:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) \
            if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def training_fingerprint(root: Path) -> str:
    """Hash of everything training reads: retrain only when it changes."""
    return _digest(root, (*TRAINING_INPUTS, *custom_components(root)))


def input_fingerprints(root: Path) -> dict[str, str]:
    """One hash per kind of training input, so `hallbot train` can say what changed and finetune
    when only the NLU examples did ("code": the custom components and the number normaliser)."""
    return {"config": _digest(root, ("config.yml",)), "domain": _digest(root, ("domain.yml",)),
            "stories": _digest(root, ("stories",)), "nlu_data": _digest(root, ("nlu_data",)),
            "code": _digest(root, ("identity/spoken_numbers.py", *custom_components(root)))}


def rasa_command(settings: Settings, *args: str) -> list[str]:
    """`rasa <args>` through hallbot's launcher (applies the fast-load patch)."""
    return [str(settings.rasa_python), "-m", "rasa_addons.launch", *args]


def rasa_server_command(settings: Settings, endpoints: Path, credentials: Path) -> list[str]:
    """The HTTP API needs the token (the launcher reads the file, so it is not in `ps`); no CORS
    headers: no web page talks to Rasa, only the app server."""
    return rasa_command(settings, "run", "--enable-api", "--model", str(settings.model_path),
                        "--endpoints", str(endpoints), "--credentials", str(credentials),
                        "--auth-token-file", str(keys.secret_path(keys.RASA_TOKEN, settings.var_dir)),
                        "--interface", settings.host, "--port", str(settings.rasa_port))


def action_server_command(settings: Settings) -> list[str]:
    return [str(settings.app_python), "-m", "actions.server", "--actions", "actions",
            "--host", settings.host, "--port", str(settings.actions_port)]
