"""Start, health-check, restart and stop the robot's processes (Rasa, action server, app, speech, phone).

A robot in a hall runs for months: one flapping service must never take the others down. So a
service that exits or stops answering its health check (hung) is restarted with exponential
back-off, its failure count is forgiven after it has run healthy for a while, and the supervisor
never gives up on the whole robot. Children's output goes through a pipe into size-rotated logs
(var/logs/<service>.log, .1 ... .5), so a chatty service cannot fill the disk and a restart
leaks no file handle."""
from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hallbot.settings import child_environment

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
    # a service that speaks no HTTP (the SIP endpoint): its own health check, and its port's protocol
    probe: Callable[[float], bool] | None = None
    protocol: str = "tcp"
    process: subprocess.Popen | None = None
    restarts: int = 0
    spawned_at: float = 0.0   # monotonic: start-up time counts from here, not from when we began to wait
    # watch() bookkeeping: starting -> running -> (exited | hung) -> backoff -> starting ...
    state: str = "stopped"
    failures: int = 0          # consecutive failures; decides the next back-off, forgiven after stable_s
    healthy_since: float = 0.0
    missed_checks: int = 0
    next_check_at: float = 0.0
    next_start_at: float = 0.0


@dataclass(frozen=True)
class RestartPolicy:
    """How the supervisor treats a failing service. Pure numbers, so tests can shrink them."""
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    stable_s: float = 120.0            # healthy this long: earlier failures are forgiven
    health_interval_s: float = 5.0
    health_timeout_s: float = 5.0
    hung_after_missed: int = 4         # consecutive failed health checks of a live process = hung

    def backoff_s(self, failures: int) -> float:
        return min(self.backoff_max_s, self.backoff_base_s * 2 ** max(0, failures - 1))


@dataclass
class PeriodicJob:
    """Housekeeping the supervisor runs beside its checks (e.g. the daily privacy prune)."""
    name: str
    interval_s: float
    run: Callable[[], object]
    next_at: float = 0.0       # 0: run at the first round


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (tests and benchmarks start services on it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def ensure_port_free(host: str, port: int, name: str, protocol: str = "tcp") -> None:
    kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise PortInUse(f"{name}: port {port}{'/udp' if protocol == 'udp' else ''} on {host} is already in use (is another hallbot or "
                            f"rasa running? stop it, or choose another port with the HALLBOT_*_PORT "
                            f"variables)") from None


class Supervisor:
    """Runs services as child processes in their own process groups, logs to var/logs."""

    def __init__(self, services: list[Service], log_dir: Path, host: str = "127.0.0.1",
                 policy: RestartPolicy | None = None, log_max_bytes: int = 10 * 1024 * 1024,
                 log_backups: int = 5) -> None:
        self.services, self.log_dir, self.host = services, log_dir, host
        self.policy = policy or RestartPolicy()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._stopping = False
        self._logs: dict[str, logging.handlers.RotatingFileHandler] = {}
        self._pumps: list[threading.Thread] = []
        self._log_max_bytes, self._log_backups = log_max_bytes, log_backups

    def _log_handler(self, name: str) -> logging.handlers.RotatingFileHandler:
        if name not in self._logs:
            handler = logging.handlers.RotatingFileHandler(self.log_dir / f"{name}.log", maxBytes=self._log_max_bytes,
                                                           backupCount=self._log_backups, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(message)s"))
            self._logs[name] = handler
        return self._logs[name]

    def _pump(self, stream, handler: logging.handlers.RotatingFileHandler) -> None:
        """Copy a child's output line by line into its rotating log; ends when the child closes it."""
        with stream:
            for raw in iter(stream.readline, b""):
                handler.emit(logging.makeLogRecord({"msg": raw.decode("utf-8", errors="replace").rstrip("\n")}))

    def _spawn(self, service: Service) -> None:
        env = child_environment({"PYTHONUNBUFFERED": "1", **service.env})
        service.process = subprocess.Popen(service.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                           cwd=Path(__file__).resolve().parent.parent, start_new_session=True)
        pump = threading.Thread(target=self._pump, args=(service.process.stdout, self._log_handler(service.name)),
                                name=f"log-{service.name}", daemon=True)
        pump.start()
        self._pumps = [t for t in self._pumps if t.is_alive()] + [pump]
        service.spawned_at = time.monotonic()
        service.state, service.missed_checks = "starting", 0
        log.info("started %s (pid %s): %s", service.name, service.process.pid, " ".join(service.command))

    def _log_tail(self, service: Service) -> str:
        path = self.log_dir / f"{service.name}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def _healthy(self, service: Service, timeout_s: float = 2.0) -> bool:
        if service.probe is not None:
            return service.probe(timeout_s)
        try:   # verify=False: a local readiness probe of an app with its own (self-signed) certificate
            return bool(service.ready(httpx.get(service.health_url, timeout=timeout_s, verify=False)))
        except httpx.HTTPError:
            return False

    def wait_ready(self, service: Service) -> float:
        """Seconds from the spawn until the health check passed (all services start together, so
        timing the wait alone would credit later services with the time spent waiting for earlier ones)."""
        started = service.spawned_at or time.monotonic()
        deadline = time.monotonic() + service.startup_timeout_s
        while time.monotonic() < deadline:
            if service.process and service.process.poll() is not None:
                time.sleep(0.2)   # let the log pump write the last lines
                raise StartupFailed(f"{service.name} exited with code {service.process.returncode} during start-up. "
                                    f"Last log lines:\n{self._log_tail(service)}")
            if self._healthy(service):
                self._mark_running(service, time.monotonic())
                return time.monotonic() - started
            time.sleep(0.25)
        raise StartupFailed(f"{service.name} not ready after {service.startup_timeout_s:.0f} s "
                            f"(log: {self.log_dir / (service.name + '.log')})")

    def check_ports(self) -> None:
        for service in self.services:
            ensure_port_free(self.host, service.port, service.name, service.protocol)

    def start(self) -> dict[str, float]:
        """Start every service (ports checked first); returns seconds each took to be ready.
        A service that cannot start at all is a configuration error: that fails loudly."""
        self.check_ports()
        for service in self.services:
            self._spawn(service)
        try:
            return {service.name: self.wait_ready(service) for service in self.services}
        except BaseException:
            self.stop()
            raise

    def _service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def _kill(self, service: Service, sig: int = signal.SIGTERM, wait_s: float = 30.0) -> None:
        if not service.process or service.process.poll() is not None:
            return
        try:
            os.killpg(service.process.pid, sig)
            service.process.wait(wait_s)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in time; killing it", service.name)
            os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait()

    def restart(self, name: str) -> float:
        """Stop one service and start it again; returns seconds until it was ready."""
        service = self._service(name)
        self._kill(service)
        self._spawn(service)
        return self.wait_ready(service)

    def _mark_running(self, service: Service, now: float) -> None:
        service.state, service.healthy_since, service.missed_checks = "running", now, 0
        service.next_check_at = now + self.policy.health_interval_s

    def _failed(self, service: Service, now: float, why: str) -> None:
        if service.state == "running" and now - service.healthy_since >= self.policy.stable_s:
            service.failures = 0   # it ran well for a long time: this is a new incident, not a flap
        service.failures += 1
        service.restarts += 1
        delay = self.policy.backoff_s(service.failures)
        service.state, service.next_start_at = "backoff", now + delay
        log.warning("%s %s; restarting in %.1f s (failure %d in a row, %d restarts in all)",
                    service.name, why, delay, service.failures, service.restarts)

    def tick(self, now: float | None = None) -> None:
        """One round of supervision: restart the exited, health-check the running, kill the hung."""
        for service in self.services:
            if self._stopping:
                return
            self._supervise(service, time.monotonic() if now is None else now)

    def _supervise(self, service: Service, now: float) -> None:
        policy = self.policy
        if service.state == "backoff":
            if now >= service.next_start_at:
                self._spawn(service)
            return
        code = service.process.poll() if service.process else None
        if code is not None:
            self._failed(service, now, f"exited with code {code}")
            return
        if service.state == "starting":
            if self._healthy(service, policy.health_timeout_s):
                self._mark_running(service, now)
                log.info("%s is ready again after %.1f s", service.name, now - service.spawned_at)
            elif now - service.spawned_at > service.startup_timeout_s:
                self._kill(service, signal.SIGKILL)
                self._failed(service, now, f"was not ready within {service.startup_timeout_s:.0f} s")
            return
        if service.state != "running" or now < service.next_check_at:
            return
        service.next_check_at = now + policy.health_interval_s
        if self._healthy(service, policy.health_timeout_s):
            service.missed_checks = 0
            if service.failures and now - service.healthy_since >= policy.stable_s:
                log.info("%s has run healthy for %.0f s; failures forgiven", service.name, now - service.healthy_since)
                service.failures = 0
            return
        service.missed_checks += 1
        log.warning("%s missed health check %d/%d", service.name, service.missed_checks, policy.hung_after_missed)
        if service.missed_checks >= policy.hung_after_missed:
            self._kill(service, signal.SIGKILL)   # hung: SIGTERM may never be handled
            self._failed(service, now, f"stopped answering its health check ({service.missed_checks} in a row)")

    def status(self) -> dict[str, str]:
        """Each service's state (starting, running, backoff, stopped), for logs and operators."""
        return {service.name: service.state for service in self.services}

    def run_due(self, jobs: list[PeriodicJob], now: float) -> None:
        for job in jobs:
            if now < job.next_at:
                continue
            job.next_at = now + job.interval_s
            try:
                log.info("%s: %s", job.name, job.run())
            except Exception:   # housekeeping failing must not stop the robot (logged with its trace)
                log.exception("%s failed; next try in %.0f s", job.name, job.interval_s)

    def watch(self, poll_s: float = 1.0, until: Callable[[], bool] | None = None,
              jobs: list[PeriodicJob] | None = None) -> None:
        """Block until stopped (or `until()` is true), supervising every service; never gives up."""
        while not self._stopping and not (until and until()):
            self.tick()
            self.run_due(jobs or [], time.monotonic())
            time.sleep(poll_s)

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stopping = True
        running = [(s.name, s.process) for s in self.services if s.process and s.process.poll() is None]
        for _, process in running:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout_s
        for name, process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in time; killing it", name)
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for service in self.services:
            service.state = "stopped"
        for pump in self._pumps:   # the last lines reach the log before it closes
            pump.join(timeout=2.0)
        for handler in self._logs.values():
            handler.close()
