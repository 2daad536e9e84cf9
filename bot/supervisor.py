"""Start, health-check, restart and stop the robot's processes (Rasa, action server, app)."""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

log = logging.getLogger(__name__)


class PortInUse(RuntimeError):
    pass


class StartupFailed(RuntimeError):
    pass


@dataclass
class Service:
    name: str
    command: list[str]
    port: int
    health_url: str
    ready: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200
    startup_timeout_s: float = 180.0
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    restarts: int = 0
    spawned_at: float = 0.0   # monotonic: start-up time counts from here, not from when we began to wait


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (tests and benchmarks start services on it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def ensure_port_free(host: str, port: int, name: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise PortInUse(f"{name}: port {port} on {host} is already in use (is another hallbot or "
                            f"rasa running? stop it, or choose another port with the HALLBOT_*_PORT "
                            f"variables)") from None


class Supervisor:
    """Runs services as child processes in their own process groups, logs to var/logs."""

    def __init__(self, services: list[Service], log_dir: Path, host: str = "127.0.0.1",
                 max_restarts: int = 3) -> None:
        self.services, self.log_dir, self.host, self.max_restarts = services, log_dir, host, max_restarts
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._stopping = False

    def _spawn(self, service: Service) -> None:
        logfile = open(self.log_dir / f"{service.name}.log", "ab")  # noqa: SIM115 - child owns it
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
               "PYTHONUNBUFFERED": "1", **service.env}
        service.process = subprocess.Popen(service.command, stdout=logfile, stderr=subprocess.STDOUT, env=env,
                                           cwd=Path(__file__).resolve().parent.parent, start_new_session=True)
        service.spawned_at = time.monotonic()
        log.info("started %s (pid %s): %s", service.name, service.process.pid, " ".join(service.command))

    def wait_ready(self, service: Service) -> float:
        """Seconds from the spawn until the health check passed (all services start together, so
        timing the wait alone would credit later services with the time spent waiting for earlier ones)."""
        started = service.spawned_at or time.monotonic()
        deadline = time.monotonic() + service.startup_timeout_s
        while time.monotonic() < deadline:
            if service.process and service.process.poll() is not None:
                tail = (self.log_dir / f"{service.name}.log").read_text(errors="replace")[-2000:]
                raise StartupFailed(f"{service.name} exited with code {service.process.returncode} during start-up. "
                                    f"Last log lines:\n{tail}")
            try:   # verify=False: a local readiness probe of an app with its own (self-signed) certificate
                if service.ready(httpx.get(service.health_url, timeout=2.0, verify=False)):
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise StartupFailed(f"{service.name} not ready after {service.startup_timeout_s:.0f} s "
                            f"(log: {self.log_dir / (service.name + '.log')})")

    def check_ports(self) -> None:
        for service in self.services:
            ensure_port_free(self.host, service.port, service.name)

    def start(self) -> dict[str, float]:
        """Start every service (ports checked first); returns seconds each took to be ready."""
        self.check_ports()
        for service in self.services:
            self._spawn(service)
        try:
            return {service.name: self.wait_ready(service) for service in self.services}
        except BaseException:
            self.stop()
            raise

    def restart(self, name: str) -> float:
        """Stop one service and start it again; returns seconds until it was ready."""
        service = next(s for s in self.services if s.name == name)
        if service.process and service.process.poll() is None:
            os.killpg(service.process.pid, signal.SIGTERM)
            service.process.wait(30)
        self._spawn(service)
        return self.wait_ready(service)

    def watch(self, poll_s: float = 1.0) -> None:
        """Block until stopped; restart a service that dies (a few times, then give up)."""
        while not self._stopping:
            for service in self.services:
                code = service.process.poll() if service.process else None
                if code is None or self._stopping:
                    continue
                if service.restarts >= self.max_restarts:
                    raise StartupFailed(f"{service.name} keeps exiting (code {code}); see {self.log_dir}")
                service.restarts += 1
                log.warning("%s exited with code %s; restarting (%d/%d)", service.name, code,
                            service.restarts, self.max_restarts)
                self._spawn(service)
                self.wait_ready(service)
            time.sleep(poll_s)

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stopping = True
        running = [s for s in self.services if s.process and s.process.poll() is None]
        for service in running:
            try:
                os.killpg(service.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout_s
        for service in running:
            try:
                service.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in time; killing it", service.name)
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
