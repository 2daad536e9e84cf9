"""Phone benchmarks over real SIP/RTP on loopback: call answered -> first prompt audio; caller's end
of speech -> first reply audio (G.711 both ways); key -> reply audio; and the same with several
calls at once. The caller is a small UAC here that stamps each RTP packet as it is sent and
received, so the times are what a caller hears (the robot's 20 ms send clock included).

The endpoint runs in this process with the real pipeline (Silero VAD, Whisper, Kokoro at 8 kHz).
NLU: the real Rasa when one answers at HALLBOT_RASA_URL (`make demo`), else a stub that replies at
once (the row says which). Appends a section to BENCHMARKS.md.

    .venv/bin/python bench/bench_phone.py [--runs 3] [--concurrent 1,2,4] [--output BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from load_stats import percentile  # noqa: E402  (bench/ is on sys.path when run as a script)
from machine_info import describe  # noqa: E402

from phone import sdp  # noqa: E402
from phone.sip import SipResponse, branch, new_tag, parse, request_bytes  # noqa: E402
from voice import audio as A  # noqa: E402

SPOKEN = "我想查一下电费"
VOICED = 600            # mean |sample| of a 20 ms frame that counts as voice (silence is 0)
FRAME = 160


@dataclass
class CallTimes:
    prompt_ms: float = -1.0        # 200 OK received -> first voiced RTP packet
    reply_ms: float = -1.0         # last speech packet sent -> first voiced packet after it
    key_ms: float = -1.0           # last RFC 4733 end packet sent -> first voiced packet after it
    problems: list[str] = field(default_factory=list)


class Caller(asyncio.DatagramProtocol):
    """One datagram socket per leg; `arrivals` keeps (monotonic time, voiced?) of each RTP packet."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.arrivals: list[tuple[float, bool]] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.rtp = False
        self.source: tuple[str, int] | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        if not self.rtp:
            self.queue.put_nowait(data)
            return
        if len(data) > 12 and data[1] & 0x7F == 0:
            pcm = np.frombuffer(A.ulaw_decode(data[12:]), "<i2")
            self.arrivals.append((time.monotonic(), float(np.abs(pcm.astype(np.int32)).mean()) > VOICED))

    def first_voiced_after(self, t: float) -> float | None:
        return next((at for at, voiced in self.arrivals if at > t and voiced), None)

    def silent_since(self, t: float) -> bool:
        return not any(voiced for at, voiced in self.arrivals if at > t)


async def open_leg(rtp: bool) -> Caller:
    loop = asyncio.get_running_loop()
    _, proto = await loop.create_datagram_endpoint(Caller, local_addr=("127.0.0.1", 0))
    proto.rtp = rtp
    return proto


def _port(leg: Caller) -> int:
    assert leg.transport is not None
    return leg.transport.get_extra_info("sockname")[1]


async def one_call(sip_port: int, speech: bytes, key: bool = True) -> CallTimes:
    times = CallTimes()
    sig, media = await open_leg(False), await open_leg(True)
    assert sig.transport is not None and media.transport is not None
    me, call_id, tag = f"127.0.0.1:{_port(sig)}", branch()[7:], new_tag()
    head = [("from", f"<sip:bench@{me}>;tag={tag}"), ("call-id", call_id)]
    offer = sdp.answer(sdp.Choice("PCMU", 0, 101), "127.0.0.1", _port(media))
    target = ("127.0.0.1", sip_port)
    sig.transport.sendto(request_bytes("INVITE", f"sip:hallbot@127.0.0.1:{sip_port}", [
        ("via", f"SIP/2.0/UDP {me};branch={branch()}"), ("max-forwards", "70"), *head, ("to", "<sip:hallbot@127.0.0.1>"),
        ("cseq", "1 INVITE"), ("contact", f"<sip:bench@{me}>"), ("content-type", "application/sdp")], offer), target)
    while True:
        answer = parse(await asyncio.wait_for(sig.queue.get(), 10))
        if isinstance(answer, SipResponse) and answer.status >= 200:
            break
    answered = time.monotonic()
    if answer.status != 200:
        times.problems.append(f"INVITE answered {answer.status}")
        return times
    to = answer.get("to")
    remote = sdp.parse_offer(answer.body)
    sig.transport.sendto(request_bytes("ACK", f"sip:hallbot@127.0.0.1:{sip_port}", [
        ("via", f"SIP/2.0/UDP {me};branch={branch()}"), ("max-forwards", "70"), *head, ("to", to), ("cseq", "1 ACK")]), target)
    rtp_to = (remote.host, remote.port)
    seq, ts, ssrc = 1, 0, 0x5EED
    out = media.transport

    async def send(payload: bytes, pt: int = 0, marker: bool = False, advance: bool = True) -> None:
        nonlocal seq, ts
        header = bytes([0x80, (0x80 if marker else 0) | pt]) + seq.to_bytes(2, "big") + ts.to_bytes(4, "big") + ssrc.to_bytes(4, "big")
        out.sendto(header + payload, rtp_to)
        seq = (seq + 1) & 0xFFFF
        if advance:
            ts = (ts + FRAME) & 0xFFFFFFFF

    silence = A.ulaw_encode(b"\x00" * FRAME * 2)

    async def talk(pcm: bytes, seconds_after: float) -> float:
        """Send 20 ms frames in real time; returns when the last voiced one left."""
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        last_voice = 0.0
        frames = [pcm[i:i + FRAME * 2].ljust(FRAME * 2, b"\x00") for i in range(0, len(pcm), FRAME * 2)]
        frames += [b"\x00" * FRAME * 2] * int(seconds_after / 0.02)
        for i, frame in enumerate(frames):
            await send(A.ulaw_encode(frame))
            if i < len(frames) - int(seconds_after / 0.02):
                last_voice = time.monotonic()
            next_at += 0.02
            await asyncio.sleep(max(0.0, next_at - loop.time()))
        return last_voice

    await talk(b"", 1.0)                                   # the greeting starts; 1 s in, the caller speaks over it
    first = media.first_voiced_after(answered)
    times.prompt_ms = (first - answered) * 1000 if first else -1
    spoke_until = await talk(speech, 0.0)
    waited = 0.0
    while media.first_voiced_after(spoke_until) is None and waited < 20:
        await send(silence)
        await asyncio.sleep(0.02)
        waited += 0.02
    heard = media.first_voiced_after(spoke_until)
    times.reply_ms = (heard - spoke_until) * 1000 if heard else -1
    if heard is None:
        times.problems.append("no reply audio")
    if key and heard is not None:
        for _ in range(1000):                              # the reply plays out: 1 s of silence
            await send(silence)
            await asyncio.sleep(0.02)
            if media.silent_since(time.monotonic() - 1.0):
                break
        for i in range(6):                                 # RFC 4733 "0": 3 updates, 3 end packets, one timestamp
            end, duration = i >= 3, min(i + 1, 4) * FRAME
            await send(bytes([0, (0x80 if end else 0) | 10]) + duration.to_bytes(2, "big"), pt=101, marker=i == 0,
                       advance=False)
            await asyncio.sleep(0.02)
        keyed = time.monotonic()
        ts = (ts + 4 * FRAME) & 0xFFFFFFFF
        for _ in range(1000):
            if media.first_voiced_after(keyed):
                break
            await send(silence)
            await asyncio.sleep(0.02)
        key_heard = media.first_voiced_after(keyed)
        times.key_ms = (key_heard - keyed) * 1000 if key_heard else -1
    sig.transport.sendto(request_bytes("BYE", f"sip:hallbot@127.0.0.1:{sip_port}", [
        ("via", f"SIP/2.0/UDP {me};branch={branch()}"), ("max-forwards", "70"), *head, ("to", to), ("cseq", "2 BYE")]), target)
    await asyncio.sleep(0.2)
    sig.transport.close()
    media.transport.close()
    return times


class StubBrain:
    """Replies at once, different words each turn (no TTS cache hits)."""

    def __init__(self) -> None:
        self.n = 0

    async def say(self, conversation_id: str, text: str) -> list[str]:
        self.n += 1
        return [f"好的，请稍等，我来为您查询第{self.n}笔电费。"]

    async def press(self, conversation_id: str, payload: str) -> list[str]:
        self.n += 1
        return [f"好的，正在为您转接人工服务，第{self.n}位。"]


def _ms(values: list[float], q: float) -> str:
    kept = [v for v in values if v >= 0]
    result = percentile(kept, q) if kept else None
    return f"{result:.0f}" if result is not None else "-"


async def bench(runs: int, concurrent: list[int]) -> list[str]:
    from bot.rasa_client import RasaClient
    from hallbot.settings import load
    from identity import keys
    from phone.brain import RasaBrain
    from phone.conversation import GREETING, PhoneConversation
    from phone.endpoint import SipEndpoint, serve
    from phone.service import phone_pipeline
    from voice.asr import ASRConfig, Transcriber
    from voice.nlu import rasa_reachable
    from voice.tts import CachedEngine
    from voice.tts.kokoro_engine import KokoroEngine

    settings = load()
    transcriber, kokoro = Transcriber(ASRConfig.from_env()), KokoroEngine()
    tts = CachedEngine(kokoro)
    pipeline = phone_pipeline(transcriber, tts)
    pipeline.warm()
    tts.warm([GREETING])                                   # as the phone service warms the speech service's cache
    client = None
    if await rasa_reachable(settings.rasa_url):
        client = RasaClient(settings.rasa_url, keys.secret(keys.RASA_TOKEN, settings.var_dir))
        brain: object = RasaBrain(client)
        nlu = f"real Rasa at {settings.rasa_url}"
    else:
        brain, nlu = StubBrain(), "stub (instant reply; no Rasa answered at HALLBOT_RASA_URL)"
    speech = A.float_to_pcm16(A.resample(kokoro.synthesize(SPOKEN), kokoro.sample_rate, 8000))

    def conversation(conversation_id, media, hang_up):
        return PhoneConversation(pipeline, brain, conversation_id, media, hang_up)  # type: ignore[arg-type]

    endpoint = SipEndpoint("127.0.0.1", conversation, max_calls=max(concurrent) + 1, rtp_ports=(17000, 17999))
    await serve(endpoint, "127.0.0.1", 0)
    lines = [f"NLU: {nlu}. Caller: a UAC in the benchmark, PCMU + telephone-event, speaking \"{SPOKEN}\" (Kokoro, 8 kHz) 1 s into "
             "the greeting (a barge-in), then key 0 once the reply has played. Times are the caller's: packet sent -> "
             "first voiced packet received.", "",
             "| calls at once | calls | answered -> prompt p50 / p95 ms | end of speech -> reply p50 / p95 ms | key -> reply p50 / p95 ms | problems |",
             "|---|---|---|---|---|---|"]
    try:
        for n in concurrent:
            results: list[CallTimes] = []
            for _ in range(runs):
                results += await asyncio.gather(*(one_call(endpoint.port, speech) for _ in range(n)))
            problems = sorted({p for r in results for p in r.problems})
            lines.append(f"| {n} | {len(results)} | {_ms([r.prompt_ms for r in results], 50)} / {_ms([r.prompt_ms for r in results], 95)} | "
                         f"{_ms([r.reply_ms for r in results], 50)} / {_ms([r.reply_ms for r in results], 95)} | "
                         f"{_ms([r.key_ms for r in results], 50)} / {_ms([r.key_ms for r in results], 95)} | {', '.join(problems) or '-'} |")
            print(lines[-1], flush=True)
    finally:
        await endpoint.close()
        if client is not None:
            await client.close()
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="rounds per row (each round: N calls at once)")
    ap.add_argument("--concurrent", default="1,2,4", help="calls at once, one row each")
    ap.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = ap.parse_args(argv)
    started = dt.datetime.now(dt.timezone.utc)
    machine = describe()
    rows = asyncio.run(bench(args.runs, [int(n) for n in args.concurrent.split(",")]))
    command = "`.venv/bin/python bench/bench_phone.py " + " ".join(argv if argv is not None else sys.argv[1:]) + "`"
    text = "\n".join([f"\n## Phone (phone/) — {started:%Y-%m-%d %H:%M} UTC", "", f"Machine: {machine}. Command: {command}.", "", *rows, ""])
    with open(args.output, "a", encoding="utf-8") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
