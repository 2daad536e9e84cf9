"""Rasa's PUT /model without stopping the conversation: the new model loads in a worker thread.

Why: Rasa 3.6's handler (rasa/server.py `load_model` -> `_load_agent` -> rasa.core.agent.load_agent)
calls the synchronous `Agent.load_model` on the event loop, so every turn waits while TensorFlow
unpacks and builds the new model (seconds to a minute on 2 cores: longer than the app's timeout).
Here the agent is built like load_agent builds it (tracker store, lock store, event broker, action
endpoint from endpoints.yml), the model is loaded in a thread, and Rasa's own handler then swaps
`app.ctx.agent` in one step: turns meanwhile are answered by the old model, turns after by the new.
Model servers and remote storage (unused here) keep Rasa's own path. Pinned to Rasa 3.6.21."""
from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any

log = logging.getLogger("hallbot.live_model")


def install() -> None:
    from rasa import server

    original = server._load_agent

    async def load_agent_off_loop(model_path: str | None = None, model_server: Any = None,
                                  remote_storage: str | None = None, endpoints: Any = None) -> Any:
        if model_server is not None or remote_storage is not None or not model_path \
                or (endpoints is not None and endpoints.model):
            return await original(model_path=model_path, model_server=model_server,
                                  remote_storage=remote_storage, endpoints=endpoints)
        agent = await _agent_without_model(endpoints)
        try:
            await asyncio.get_running_loop().run_in_executor(None, agent.load_model, model_path)
        except Exception as exc:   # Rasa's own answer for a model that does not load
            log.exception("loading %s failed", model_path)
            raise server.ErrorResponse(HTTPStatus.INTERNAL_SERVER_ERROR, "LoadingError",
                                       f"An unexpected error occurred. Error: {exc}") from exc
        if not agent.is_ready():
            raise server.ErrorResponse(HTTPStatus.BAD_REQUEST, "BadRequest",
                                       f"Agent with name '{model_path}' could not be loaded.",
                                       {"parameter": "model", "in": "query"})
        log.info("loaded %s beside the model in service", model_path)
        return agent

    server._load_agent = load_agent_off_loop


async def _agent_without_model(endpoints: Any) -> Any:
    """rasa.core.agent.load_agent's construction, without its model load."""
    from rasa.core.agent import Agent
    from rasa.core.brokers.broker import EventBroker
    from rasa.core.http_interpreter import RasaNLUHttpInterpreter
    from rasa.core.lock_store import LockStore
    from rasa.core.tracker_store import TrackerStore

    if endpoints is None:
        return Agent()
    broker = await EventBroker.create(endpoints.event_broker)
    return Agent(generator=endpoints.nlg,
                 tracker_store=TrackerStore.create(endpoints.tracker_store, event_broker=broker),
                 lock_store=LockStore.create(endpoints.lock_store), action_endpoint=endpoints.action,
                 http_interpreter=RasaNLUHttpInterpreter(endpoints.nlu) if endpoints.nlu else None)
