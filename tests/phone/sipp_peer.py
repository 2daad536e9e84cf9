"""Run Debian's SIPp (sip-tester) against the endpoint: the real SIP peer of the phone tests.

SIPp exits 0 when every call of its scenario went as written (expected responses, headers that
match its ereg checks), 1 when some failed; the caller asserts on that and on what the endpoint saw."""
from __future__ import annotations

import asyncio
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = Path(__file__).parent / "sipp"
SIPP = shutil.which("sipp")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SippRun:
    returncode: int
    output: str


async def run_sipp(scenario: str | Path, port: int, log_dir: Path, *, calls: int = 1, at_once: int = 1,
                   hold_ms: int = 1000, timeout_s: float = 60.0) -> SippRun:
    """`scenario`: a file of tests/phone/sipp or a path; `hold_ms`: what a bare <pause/> waits (SIPp's -d)."""
    assert SIPP, "sipp is not installed (apt-get install sip-tester)"
    name = Path(scenario).name
    args = [SIPP, f"127.0.0.1:{port}", "-sf", str(SCENARIOS / scenario), "-m", str(calls), "-l", str(at_once),
            "-r", str(max(at_once, 1)), "-i", "127.0.0.1", "-p", str(free_udp_port()), "-mp", str(free_udp_port() & ~1),
            "-nostdin", "-timeout", f"{int(timeout_s)}s", "-timeout_error", "-recv_timeout", "10000",
            "-trace_err", "-error_file", str(log_dir / f"{name}.errors.log")]
    args += ["-d", str(hold_ms)]
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                                                cwd=log_dir)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout_s + 15)
    errors = log_dir / f"{name}.errors.log"
    text = out.decode(errors="replace")[-3000:] + (errors.read_text(errors="replace")[-3000:] if errors.exists() else "")
    assert proc.returncode is not None
    return SippRun(proc.returncode, text)
