"""`python -m actions.server`: rasa-sdk's action server, bound to HALLBOT_HOST and answering only
callers with the shared secret in var/actions.token (Rasa sends it from endpoints.yml as
`Authorization: Bearer ...`). Stock `python -m rasa_sdk` binds 0.0.0.0 and asks nobody."""
from __future__ import annotations

import argparse
import hmac
import logging
from functools import partial

from sanic import Sanic, response
from sanic.request import Request
from sanic.worker.loader import AppLoader

from identity import keys

log = logging.getLogger(__name__)
OPEN_PATHS = {"/health"}   # the supervisor's readiness probe; it reveals nothing


def authorised(request: Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    given = header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""
    return hmac.compare_digest(given.encode(), token.encode())


def create_app(package: str) -> Sanic:
    """Module-level factory: Sanic's AppLoader rebuilds the app in each worker process."""
    from rasa_sdk.endpoint import create_app_for_serve
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package(package)
    app = create_app_for_serve(executor, cors_origins=None)
    token = keys.secret(keys.ACTIONS_TOKEN)

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
    keys.secret(keys.ACTIONS_TOKEN)  # before the workers start, so they agree on it
    loader = AppLoader(factory=partial(create_app, args.actions))
    app = loader.load()
    app.prepare(host=args.host, port=args.port, workers=1, access_log=False)
    log.info("action server on http://%s:%s (secret required)", args.host, args.port)
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
