"""The robot as `make demo` runs it, for browser tests and the kiosk benchmark: the hall's Rasa and
action server plus the speech service and the app server (kiosk + staff console) as processes."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from bot.commands import build_services
from bot.supervisor import Supervisor, free_port
from hallbot.settings import Settings


@dataclass
class Robot:
    settings: Settings
    supervisor: Supervisor
    idcard_dir: Path

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.app_port}"

    @property
    def speech_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.speech_port}"

    def stop(self) -> None:
        self.supervisor.stop()


def start_robot(hall_settings: Settings, log_dir: Path, **env: str) -> Robot:
    """Speech service + app server beside an already running Rasa + action server."""
    settings = replace(hall_settings, app_port=free_port(), speech_port=free_port())
    idcard_dir = hall_settings.var_dir / f"idcard-{settings.app_port}"
    services = [s for s in build_services(settings, with_app=True) if s.name in ("speech", "app")]
    for service in services:
        service.env.update({"HALLBOT_SPEECH_URL": f"http://{settings.host}:{settings.speech_port}",
                            "HALLBOT_IDCARD": str(idcard_dir), **env})
    supervisor = Supervisor(services, log_dir, settings.host)
    supervisor.start()
    return Robot(settings, supervisor, idcard_dir)
