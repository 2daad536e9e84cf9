"""`python -m actions.server`: rasa-sdk's action server, bound to HALLBOT_HOST and answering only
callers with the shared secret in var/actions.token (Rasa sends it from endpoints.yml as
`Authorization: Bearer ...`). Stock `python -m rasa_sdk` binds 0.0.0.0 and asks nobody.

Each action runs in a worker thread under a deadline (HALLBOT_ACTION_DEADLINE_S). Rasa 3.6 waits
300 s for an action and its endpoint timeout is not configurable, while the app gives up on a turn
after HALLBOT_RASA_TIMEOUT_S: without the deadline a hung business call left the customer in
silence and the app replaying a turn Rasa was still working on. Our actions call the business
system synchronously, so on the server's own loop one slow call would also stall every other
conversation; in a thread it stalls only its own."""
from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
from typing import Any

from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request

from hallbot import payloads as P
from hallbot.settings import ACTIONS_MAX_BODY_BYTES
from identity import keys

log = logging.getLogger(__name__)
OPEN_PATHS = {"/health"}   # the supervisor's readiness probe; it reveals nothing
SLOW = "业务系统响应较慢，这一步暂时没有办成，请稍后再说一次；也可以说“转人工”，工作人员马上过来。"


def deadline_executor(deadline_s: float):
    """rasa-sdk's executor whose actions each run in a thread and answer within `deadline_s`:
    on time as usual, else no events (nothing half-done is recorded) and SLOW for the customer.
    The late thread still finishes on its own; business writes are single calls, never left half."""
    from rasa_sdk.executor import ActionExecutor

    class DeadlineExecutor(ActionExecutor):
        async def run(self, action_call: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            run_here = super().run
            try:
                return await asyncio.wait_for(
                    asyncio.to_thread(lambda: asyncio.run(run_here(action_call, *args, **kwargs))), deadline_s)
            except asyncio.TimeoutError:
                log.error("action %s missed its %.0f s deadline", action_call.get("next_action"), deadline_s)
                # the SDK's own result type (a dict in some versions, a model in others)
                return self._create_api_response([], [{"text": SLOW, "custom": P.Error("slow").to_dict()}])

    return DeadlineExecutor()


def authorised(request: Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    given = header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""
    return hmac.compare_digest(given.encode(), token.encode())


def create_app(package: str, deadline_s: float) -> Sanic:
    from rasa_sdk.endpoint import create_app_for_serve

    executor = deadline_executor(deadline_s)
    executor.register_package(package)
    app = create_app_for_serve(executor, cors_origins=None)
    app.config.REQUEST_MAX_SIZE = ACTIONS_MAX_BODY_BYTES   # Sanic's default is 100 MB
    token = keys.secret(keys.ACTIONS_TOKEN)

    @app.exception(PayloadTooLarge)   # rasa-sdk's catch-all would call it a 500
    async def too_large(request: Request, exception: Exception):
        return response.json({"error": "action server: request body too large"}, status=413)

    @app.on_request
    async def require_secret(request: Request):
        if request.path not in OPEN_PATHS and not authorised(request, token):
            return response.json({"error": "action server: caller not authorised"}, status=401)
        return None

    return app


def main(argv: list[str] | None = None) -> None:
    from hallbot.settings import load

    settings = load()
    parser = argparse.ArgumentParser(prog="actions.server")
    parser.add_argument("--actions", default="actions")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.actions_port)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(args.actions, settings.action_deadline_s)
    # one process: Sanic's default worker manager forks a worker that outlives a `kill -9` of its
    # parent and keeps the port, so a restarted server could not bind and the old one answered on
    app.prepare(host=args.host, port=args.port, single_process=True, access_log=False)
    log.info("action server on http://%s:%s (secret required)", args.host, args.port)
    Sanic.serve_single(primary=app)


if __name__ == "__main__":
    main()
