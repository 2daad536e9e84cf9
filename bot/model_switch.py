"""Put a model version in service: the pointer first (what every later start loads), then the
running Rasa server, if one answers, through its HTTP API (PUT /model, with Rasa's token like
every other call), checked with GET /status. No restart: conversations keep their trackers
(they live in the tracker store, not in the model) and turns go on being answered."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.model_versions import ModelStore, ModelStoreError
from bot.rasa_client import RasaClient, RasaUnavailable
from hallbot.settings import Settings
from identity import keys


@dataclass(frozen=True)
class LiveSwitch:
    running: bool            # a Rasa server answered at settings.rasa_url
    loaded: str | None       # the model file it reports after the switch
    error: str | None = None


async def reload_running(settings: Settings, model_file: str) -> LiveSwitch:
    client = RasaClient(settings.rasa_url, keys.secret(keys.RASA_TOKEN, settings.var_dir), timeout_s=10.0)
    try:
        try:
            await client.status()
        except RasaUnavailable:
            return LiveSwitch(running=False, loaded=None)
        try:
            await client.load_model(model_file)
            status = await client.status()
        except (RasaUnavailable, OSError) as exc:
            return LiveSwitch(running=True, loaded=None, error=str(exc))
        return LiveSwitch(running=True, loaded=str(status.get("model_file") or ""))
    finally:
        await client.close()


def switch(settings: Settings, store: ModelStore, name: str, reason: str) -> int:
    try:
        version = store.point_to(name, reason)
    except ModelStoreError as error:
        print(error)
        return 1
    print(f"in service: {version.name} ({version.mode}, held-out "
          + (f"accuracy {version.heldout.accuracy:.3f}, macro F1 {version.heldout.macro_f1:.3f})"
             if version.heldout else "not scored)"))
    model_file = store.model_file(name)
    live = asyncio.run(reload_running(settings, str(model_file)))
    if not live.running:
        print(f"no Rasa server at {settings.rasa_url}: its next start loads {store.service_path.name} -> {name}")
        return 0
    if live.loaded != model_file.name:
        print(f"the running Rasa server did not load it ({live.error or live.loaded}); "
              "it loads it at its next start", flush=True)
        return 1
    print(f"the running Rasa server now answers with {name} (no restart)")
    return 0


def rollback(settings: Settings, store: ModelStore) -> int:
    try:
        target = store.rollback_target()
    except ModelStoreError as error:
        print(error)
        return 1
    return switch(settings, store, target.name, "rollback")
