"""The supervisor reports each service's own start-up time (spawn -> healthy), not the time it
spent waiting after the previous service: `make demo` printed "speech 0.0 s" for a service that
needs seconds."""
from __future__ import annotations

import sys

from bot.supervisor import Service, Supervisor, free_port

SLOW_SERVER = """
import http.server, sys, time
time.sleep(float(sys.argv[2]))
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()
"""


def _service(name: str, delay_s: float) -> Service:
    port = free_port()
    return Service(name, [sys.executable, "-c", SLOW_SERVER, str(port), str(delay_s)], port,
                   f"http://127.0.0.1:{port}/", startup_timeout_s=30)


def test_each_service_reports_its_own_start_up_time(tmp_path):
    # both start together; the second is already waiting for its own second when the first is ready
    supervisor = Supervisor([_service("first", 1.5), _service("second", 1.0)], tmp_path)
    try:
        timings = supervisor.start()
    finally:
        supervisor.stop()
    assert timings["first"] >= 1.5
    assert timings["second"] >= 1.0   # the old report said ~0 s: its wait began after it was ready
