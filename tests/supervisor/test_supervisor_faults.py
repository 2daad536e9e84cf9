"""Faults the supervisor must ride out without stopping the robot: a service that keeps exiting is
restarted with growing back-off while the others keep running; a hung service (alive, but its health
check no longer answers) is killed and restarted; failures are forgiven after a stable run; logs
rotate and restarts leak no file handles. Real child processes, small timings."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from bot.supervisor import RestartPolicy, Service, Supervisor, free_port

# Serves /; blocks every request while the file named by argv[2] exists (a hung process).
SERVER = """
import http.server, os, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        while os.path.exists(sys.argv[2]):
            time.sleep(0.1)
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
print("serving", flush=True)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""
# Becomes ready, then exits after argv[2] seconds.
FLAPPER = """
import http.server, sys, threading, os
port, life = int(sys.argv[1]), float(sys.argv[2])
threading.Timer(life, lambda: os._exit(3)).start()
http.server.HTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler).serve_forever()
"""
# Prints a lot and stays up.
CHATTY = """
import http.server, sys, threading
def talk():
    for i in range(4000):
        print("line %05d " % i + "x" * 60, flush=True)
threading.Thread(target=talk, daemon=True).start()
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()
"""
FAST = RestartPolicy(backoff_base_s=0.2, backoff_max_s=0.8, stable_s=30, health_interval_s=0.2,
                     health_timeout_s=0.3, hung_after_missed=3)


def service(name: str, script: str, *args: str) -> Service:
    port = free_port()
    return Service(name, [sys.executable, "-c", script, str(port), *args], port, f"http://127.0.0.1:{port}/",
                   startup_timeout_s=20)


def watch_for(supervisor: Supervisor, seconds: float) -> None:
    end = time.monotonic() + seconds
    supervisor.watch(poll_s=0.05, until=lambda: time.monotonic() > end)


def test_a_flapping_service_is_restarted_with_back_off_and_the_others_keep_running(tmp_path):
    steady = service("steady", SERVER, str(tmp_path / "never"))
    flapper = service("flapper", FLAPPER, "0.3")
    supervisor = Supervisor([steady, flapper], tmp_path / "logs", policy=FAST)
    spawns: list[float] = []
    original_spawn = supervisor._spawn

    def recording_spawn(svc: Service) -> None:
        if svc.name == "flapper":
            spawns.append(time.monotonic())
        original_spawn(svc)

    supervisor._spawn = recording_spawn   # type: ignore[method-assign]
    try:
        supervisor.start()
        steady_pid = steady.process.pid
        watch_for(supervisor, 6.0)   # the old supervisor raised after the 4th exit and stopped everything
        assert flapper.restarts >= 3
        assert steady.process.pid == steady_pid and steady.process.poll() is None
        assert supervisor.status()["steady"] == "running"
    finally:
        supervisor.stop()
    gaps = [b - a for a, b in zip(spawns, spawns[1:])]
    # each gap = life (0.3 s) + start-up + back-off; the back-off doubles up to its cap
    assert gaps[-1] > gaps[0] + 0.3, gaps


def test_a_hung_service_is_killed_and_restarted(tmp_path):
    hang_flag = tmp_path / "hang"
    svc = service("hanger", SERVER, str(hang_flag))
    supervisor = Supervisor([svc], tmp_path / "logs", policy=FAST)
    try:
        supervisor.start()
        first_pid = svc.process.pid
        hang_flag.touch()                      # alive, but no longer answers
        watch_for(supervisor, 2.5)
        assert svc.restarts >= 1 and svc.process.pid != first_pid
        hang_flag.unlink()
        watch_for(supervisor, 2.0)
        assert supervisor.status()["hanger"] == "running"
    finally:
        supervisor.stop()


def test_failures_are_forgiven_after_a_stable_run(tmp_path):
    svc = service("steady", SERVER, str(tmp_path / "never"))
    supervisor = Supervisor([svc], tmp_path / "logs", policy=FAST)
    try:
        supervisor.start()
        svc.failures = 5                      # a bad morning, long ago
        svc.process.kill()
        svc.process.wait()
        later = svc.healthy_since + FAST.stable_s + 1
        supervisor.tick(now=later)
        assert svc.failures == 1 and svc.state == "backoff"
        assert svc.next_start_at == pytest.approx(later + FAST.backoff_base_s)   # not 2**4 times longer
    finally:
        supervisor.stop()


def test_back_off_doubles_up_to_its_cap():
    policy = RestartPolicy(backoff_base_s=1, backoff_max_s=60)
    assert [policy.backoff_s(n) for n in (1, 2, 3, 4, 7, 8, 20)] == [1, 2, 4, 8, 60, 60, 60]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_logs_rotate_and_restarts_leak_no_file_handles(tmp_path):
    logs = tmp_path / "logs"
    chatty = service("chatty", CHATTY)
    supervisor = Supervisor([chatty], logs, policy=FAST, log_max_bytes=64 * 1024, log_backups=2)
    try:
        supervisor.start()
        before = open_fds()
        for _ in range(3):
            supervisor.restart("chatty")
        time.sleep(1.0)
        assert open_fds() <= before + 1    # the old supervisor opened one log handle per restart
    finally:
        supervisor.stop()
    files = sorted(p.name for p in logs.iterdir())
    assert files == ["chatty.log", "chatty.log.1", "chatty.log.2"]
    assert all(Path(logs / name).stat().st_size <= 64 * 1024 + 200 for name in files)
    assert "line 03999" in "".join((logs / name).read_text() for name in files)


def test_periodic_jobs_run_on_schedule_and_a_failing_one_does_not_stop_the_watch(tmp_path):
    from bot.supervisor import PeriodicJob

    runs: list[str] = []

    def broken() -> None:
        runs.append("broken")
        raise RuntimeError("disk full")

    jobs = [PeriodicJob("prune", 10.0, lambda: runs.append("prune")), PeriodicJob("broken", 10.0, broken)]
    supervisor = Supervisor([], tmp_path / "logs", policy=FAST)
    for now in (100.0, 105.0, 110.0):
        supervisor.run_due(jobs, now)
    assert runs == ["prune", "broken", "prune", "broken"]
