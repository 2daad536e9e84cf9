"""The SIP endpoint and RTP against SIPp, a real SIP peer, on loopback: a PCMU call with RFC 4733
keys and BYE, an unsupported codec (488), malformed SIP (400, then the next call still works),
callers outside the allow list (403), several calls at once. The conversation is a recorder here
(what the endpoint handed it); tests/phone/test_phone_dialogue.py runs the real one."""
from __future__ import annotations

import asyncio
import socket

import numpy as np
import pytest

from phone.endpoint import SipEndpoint, allowed_networks, serve
from phone.sip import sip_ping

from .messages import request
from .sipp_peer import SCENARIOS, SIPP, free_udp_port, run_sipp

pytestmark = pytest.mark.skipif(SIPP is None, reason="needs SIPp (apt-get install sip-tester)")

TONE = (np.sin(np.arange(8000) * 2 * np.pi * 440 / 8000) * 8000).astype("<i2").tobytes()   # 1 s, 8 kHz


class Recorder:
    """Stands in for PhoneConversation: records what the caller sent, plays a tone once connected."""

    def __init__(self, conversation_id, media, hang_up) -> None:
        self.conversation_id, self.media = conversation_id, media
        self.keys: list[str] = []
        self.audio_bytes = 0
        self.started = self.closed = False

    def start(self) -> None:
        self.started = True
        self.media.play(TONE)

    def caller_audio(self, pcm16: bytes) -> None:
        self.audio_bytes += len(pcm16)

    def caller_key(self, digit: str) -> None:
        self.keys.append(digit)

    async def close(self) -> None:
        self.closed = True


@pytest.fixture
async def endpoint():
    made: list[Recorder] = []

    def conversation(conversation_id, media, hang_up):
        made.append(Recorder(conversation_id, media, hang_up))
        return made[-1]

    low = free_udp_port() // 2 * 2
    ep = SipEndpoint("127.0.0.1", conversation, max_calls=8, allow=("127.0.0.1",), rtp_ports=(low, low + 200))
    await serve(ep, "127.0.0.1", 0)
    ep.recorders = made   # type: ignore[attr-defined]
    yield ep
    await ep.close()


async def wait_closed(endpoint, count: int, timeout_s: float = 10.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if len(endpoint.recorders) >= count and all(r.closed for r in endpoint.recorders):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"calls not freed: {[(r.conversation_id, r.closed) for r in endpoint.recorders]}")


async def test_pcmu_call_with_rfc4733_keys_and_bye(endpoint, tmp_path):
    sipp = asyncio.create_task(run_sipp("pcmu_call_dtmf.xml", endpoint.port, tmp_path, hold_ms=1000))
    while not endpoint.recorders or endpoint.recorders[0].media.guard.latched is None:
        await asyncio.sleep(0.02)      # the caller's first packet (its key 1) latched the source
    caller = endpoint.recorders[0].media.guard.latched
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:   # RTP from a wrong source: ignored
        for seq in range(20):
            stranger.sendto(bytes([0x80, 0, 0, seq, 0, 0, 0, seq, 0, 0, 0, 9]) + b"\x00" * 160,
                            ("127.0.0.1", endpoint.recorders[0].media.local_port))
            await asyncio.sleep(0.01)
    run = await sipp
    assert run.returncode == 0, run.output
    await wait_closed(endpoint, 1)
    (call,) = endpoint.recorders
    assert call.started and call.keys == ["1", "2", "#"]
    assert call.conversation_id.startswith("phone:")
    assert call.media.frames_sent >= 50               # >= 1 s of 20 ms frames went to the caller
    guard = call.media.guard
    assert guard.latched == caller and guard.counts.get("unexpected source") == 20
    assert endpoint.active_calls == 0


async def test_a_caller_preferring_pcma_is_answered_with_pcma(endpoint, tmp_path):
    scenario = (SCENARIOS / "pcmu_call_dtmf.xml").read_text(encoding="utf-8")
    scenario = scenario.replace('"m=audio [0-9]+ RTP/AVP 0 101"', '"m=audio [0-9]+ RTP/AVP 8 101"').replace(
        '"a=rtpmap:0 PCMU/8000"', '"a=rtpmap:8 PCMA/8000"')               # what the answer must say
    scenario = scenario.replace("RTP/AVP 0 101", "RTP/AVP 8 0 101")        # the offer: PCMA first
    (tmp_path / "pcma.xml").write_text(scenario, encoding="utf-8")
    run = await run_sipp(tmp_path / "pcma.xml", endpoint.port, tmp_path, hold_ms=200)
    assert run.returncode == 0, run.output      # its ereg checks: the answer is PCMA + telephone-event
    await wait_closed(endpoint, 1)
    assert endpoint.recorders[0].keys == ["1", "2", "#"]


async def test_unsupported_codec_gets_488_with_a_warning(endpoint, tmp_path):
    run = await run_sipp("unsupported_codec.xml", endpoint.port, tmp_path)
    assert run.returncode == 0, run.output
    assert endpoint.stats.rejected.get(488) == 1 and endpoint.recorders == []


async def test_malformed_sip_gets_400_and_the_next_call_is_answered(endpoint, tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:   # not even a request line: dropped
        for junk in (b"\x00\xff\xfe", b"INVITE\r\n\r\n", b"SIP/2.0 200 OK\r\n\r\n", b"\r\n\r\n" * 3):
            raw.sendto(junk, ("127.0.0.1", endpoint.port))
    run = await run_sipp("malformed.xml", endpoint.port, tmp_path)
    assert run.returncode == 0, run.output
    assert endpoint.stats.rejected.get(400) == 1 and endpoint.stats.dropped >= 2
    assert await asyncio.to_thread(sip_ping, "127.0.0.1", endpoint.port)
    run = await run_sipp("pcmu_call_dtmf.xml", endpoint.port, tmp_path, hold_ms=200)
    assert run.returncode == 0, run.output
    await wait_closed(endpoint, 1)


async def test_callers_outside_the_allow_list_get_403(endpoint, tmp_path):
    endpoint.allow = endpoint.allow.__class__()       # nobody may call (the health ping still answers)
    run = await run_sipp("pcmu_call_dtmf.xml", endpoint.port, tmp_path, hold_ms=0, timeout_s=10)
    assert run.returncode != 0 and "403" in run.output
    assert endpoint.stats.rejected.get(403, 0) >= 1 and endpoint.recorders == []
    assert await asyncio.to_thread(sip_ping, "127.0.0.1", endpoint.port)


async def test_several_calls_at_once_each_with_its_own_conversation(endpoint, tmp_path):
    run = await run_sipp("pcmu_call_dtmf.xml", endpoint.port, tmp_path, calls=4, at_once=4, hold_ms=1500)
    assert run.returncode == 0, run.output
    await wait_closed(endpoint, 4)
    assert endpoint.stats.peak_calls == 4
    assert len({r.conversation_id for r in endpoint.recorders}) == 4
    assert all(r.keys == ["1", "2", "#"] for r in endpoint.recorders)
    assert len({r.media.local_port for r in endpoint.recorders}) == 4


async def test_another_host_cannot_end_someone_elses_call(endpoint, tmp_path):
    endpoint.allow = allowed_networks(("127.0.0.0/8",))
    sipp = asyncio.create_task(run_sipp("pcmu_call_dtmf.xml", endpoint.port, tmp_path, hold_ms=1500))
    while not endpoint.recorders or not endpoint.recorders[0].started:
        await asyncio.sleep(0.02)
    (call_id,) = endpoint.calls
    bye = request("BYE", body="", call_id=call_id, cseq="9 BYE", to_tag=endpoint.calls[call_id].call.to_tag)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind(("127.0.0.2", 0))
        other.settimeout(2)
        other.sendto(bye, ("127.0.0.1", endpoint.port))
        assert (await asyncio.to_thread(other.recv, 2048)).startswith(b"SIP/2.0 403")   # the endpoint shares this loop
    assert endpoint.active_calls == 1
    run = await sipp                                  # the caller's own BYE still ends it
    assert run.returncode == 0, run.output
    await wait_closed(endpoint, 1)
