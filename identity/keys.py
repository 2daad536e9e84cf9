"""Secrets shared between hallbot's own processes, one file each under var/ (mode 0600).

| file | who reads it | what for |
|---|---|---|
| `sensor.key` | app server, action server (never Rasa) | HMAC proof of sensor events and identity seals |
| `rasa.token` | app server, Rasa, trainer tools | Rasa's HTTP API (--auth-token) and its REST channel |
| `actions.token` | Rasa (endpoints.yml), action server | who may call the action server's /webhook |
| `speech.token` | app server, speech service | the speech service (ASR + TTS) |
| `tracker.key` | Rasa's tracker store (rasa_addons/encrypted_tracker_store.py) | encrypts conversation events at rest |

Created on first use with `secrets`; whoever can read var/ is trusted (the robot's own user)."""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from hallbot.settings import default_var_dir

SENSOR_KEY, RASA_TOKEN, ACTIONS_TOKEN, SPEECH_TOKEN = "sensor.key", "rasa.token", "actions.token", "speech.token"
TRACKER_KEY = "tracker.key"


def var_dir() -> Path:
    return default_var_dir()


def secret(name: str, directory: Path | None = None) -> str:
    """The secret in <var>/<name>, created (0600, 256 random bits, URL-safe) if missing."""
    path = (directory or var_dir()) / name
    try:
        value = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        value = ""
    if value:
        return value
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: two processes starting together agree on one value
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _wait_for(path)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(32))
    return path.read_text(encoding="ascii").strip()


def _wait_for(path: Path) -> str:
    import time

    for _ in range(50):  # the creator is writing it right now
        value = path.read_text(encoding="ascii").strip()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"{path} exists but is empty: delete it to create a new secret")


def secret_path(name: str, directory: Path | None = None) -> Path:
    """Path of the secret's file, creating the secret first."""
    secret(name, directory)
    return (directory or var_dir()) / name


def fernet_key(secret_value: str) -> bytes:
    """A Fernet key (32 bytes, URL-safe base64) from one of these secrets: the tracker store in
    Rasa's venv and the app's privacy tools derive the same key from var/tracker.key."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret_value.encode("ascii")).digest())
