"""Debian's baresip (baresip-core) as a real caller: it dials the endpoint, sends a WAV as its
microphone (aufile) and writes what it hears to a WAV (sndfile's decoder dump), then quits."""
from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .sipp_peer import free_udp_port

BARESIP = shutil.which("baresip")
PROGRESS = re.compile(r"\[\d+:\d\d:\d\d\] audio=\S+ \(bit/s\)\s*")   # its once-a-frame status line
MODULES = Path("/usr/lib/baresip/modules")


@dataclass
class BaresipCall:
    returncode: int
    output: str
    heard: Path | None        # the robot's audio as baresip decoded it (8 kHz WAV)


def write_config(home: Path, microphone: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "recordings").mkdir(exist_ok=True)
    port = free_udp_port()
    (home / "config").write_text("\n".join([
        "poll_method epoll",
        f"sip_listen 127.0.0.1:{port}",
        "sip_trans_def udp",
        f"audio_source aufile,{microphone}",
        "audio_player aubridge,nowhere",     # nothing to play on: sndfile records the decoded audio
        "audio_alert aubridge,nowhere",
        "audio_srate 8000",
        "audio_channels 1",
        "rtp_ports 20000-20999",
        f"module_path {MODULES}",
        "module g711.so", "module aufile.so", "module aubridge.so", "module sndfile.so",
        "module_app menu.so", "module_app account.so",
        f"snd_path {home / 'recordings'}",
        "",
    ]), encoding="utf-8")
    (home / "accounts").write_text("<sip:caller@127.0.0.1>;regint=0;audio_codecs=PCMU/8000/1\n", encoding="utf-8")


async def call(uri: str, microphone: Path, home: Path, seconds: int) -> BaresipCall:
    assert BARESIP, "baresip is not installed (apt-get install baresip-core)"
    write_config(home, microphone)
    proc = await asyncio.create_subprocess_exec(BARESIP, "-f", str(home), "-e", f"/dial {uri}", "-t", str(seconds),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                                                stdin=asyncio.subprocess.DEVNULL, cwd=home)
    out, _ = await asyncio.wait_for(proc.communicate(), seconds + 30)
    decoded = sorted((home / "recordings").glob("*dec*.wav"))
    assert proc.returncode is not None
    text = PROGRESS.sub("", out.decode(errors="replace"))
    return BaresipCall(proc.returncode, text[-6000:], decoded[-1] if decoded else None)
