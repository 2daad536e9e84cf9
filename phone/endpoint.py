"""The SIP endpoint: a UDP protocol that parses each datagram, hands it to its call's state
machine (phone/call.py) and does what the machine answers: send, bind RTP, start or end the call.

It never raises out of `datagram_received`: a malformed request is answered 400 (with the reason
in a Warning) when it can be addressed and dropped when not; requests from addresses outside
HALLBOT_SIP_ALLOW get 403 (the PBX or softphone that may call is configured, not guessed). The
endpoint is a UAS only: it answers calls and ends them, it never places one."""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, cast

from aiortp import PortAllocator

from .call import Action, Call, Confirmed, SendReply, SendRequest, StartMedia, StopMedia
from .rtp import CallMedia
from .sip import Incomplete, Reply, SipRequest, SipResponse, branch, parse_lenient, response_bytes, tag_of

log = logging.getLogger(__name__)

T1_S, T2_S, TIMER_H_S = 0.5, 4.0, 32.0     # RFC 3261: 200 retransmits until ACK, give up after 64*T1
ENDED_KEPT_S = 32.0                        # an ended call still answers a retransmitted BYE
ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS"


class CallConversation(Protocol):
    """What runs while a call is up (phone.conversation.PhoneConversation)."""

    def start(self) -> None: ...

    def caller_audio(self, pcm16: bytes) -> None: ...

    def caller_key(self, digit: str) -> None: ...

    async def close(self) -> None: ...


# (conversation id, the call's media, a way to hang up) -> the call's conversation
ConversationFactory = Callable[[str, CallMedia, Callable[[str], Awaitable[None]]], CallConversation]


@dataclass
class ActiveCall:
    call: Call
    peer: tuple[str, int]
    media: CallMedia | None = None
    conversation: CallConversation | None = None
    retransmit: asyncio.Task | None = None
    ended_at: float = 0.0
    started: float = field(default_factory=time.monotonic)


@dataclass
class EndpointStats:
    calls: int = 0
    peak_calls: int = 0                                       # answered or ringing at once, at most
    rejected: dict[int, int] = field(default_factory=dict)   # status -> count
    dropped: int = 0                                          # datagrams not even a 400 could answer


def allowed_networks(words: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(w, strict=False) for w in words)


def _loopback(host: str) -> bool:
    """The supervisor's health ping comes from here, whatever HALLBOT_SIP_ALLOW says."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SipEndpoint(asyncio.DatagramProtocol):
    def __init__(self, host: str, conversations: ConversationFactory, *, max_calls: int = 8,
                 allow: tuple[str, ...] = ("127.0.0.1",), rtp_ports: tuple[int, int] = (16384, 16999)) -> None:
        self.host = host
        self.port = 0
        self.conversations = conversations
        self.max_calls = max_calls
        self.allow = allowed_networks(allow)
        self.calls: dict[str, ActiveCall] = {}
        self.stats = EndpointStats()
        self.ports = PortAllocator(rtp_ports)
        self.transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task] = set()

    # --- transport ------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)   # a datagram endpoint's transport
        self.port = transport.get_extra_info("sockname")[1]

    def error_received(self, exc: Exception) -> None:
        log.debug("SIP socket error: %s", exc)   # ICMP unreachable from a gone caller: nothing to do

    def _send(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None:
            self.transport.sendto(data, addr)

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def active_calls(self) -> int:
        return sum(1 for c in self.calls.values() if not c.call.ended)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            self._datagram(data, addr)
        except Exception:   # one bad datagram or a bug in one call must not stop the endpoint
            log.exception("SIP datagram from %s failed", addr[0])

    def _allowed(self, host: str) -> bool:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(ip in net for net in self.allow)

    def _datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        if not data.strip():
            return                                  # keep-alive CRLFs (RFC 5626)
        message = parse_lenient(data)
        if isinstance(message, SipResponse):
            return                                  # the caller's 200 to our BYE: nothing to do
        if isinstance(message, Incomplete):
            request = message.request
            if request is not None and request.addressable() and request.method != "ACK":
                self._reject(request, addr, 400, "Bad Request", (("warning", f'399 hallbot "{message.error[:120]}"'),))
            else:
                self.stats.dropped += 1
                log.info("dropped a malformed SIP datagram from %s: %s", addr[0], message.error)
            return
        if not self._allowed(addr[0]) and not (message.method == "OPTIONS" and _loopback(addr[0])):
            if message.method != "ACK":
                self._reject(message, addr, 403, "Forbidden")
            return
        self._request(message, addr)

    def _reject(self, request: SipRequest, addr: tuple[str, int], status: int, reason: str,
                headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.stats.rejected[status] = self.stats.rejected.get(status, 0) + 1
        self._send(response_bytes(request, Reply(status, reason, headers, to_tag="x" + branch()[7:])), addr)

    def _request(self, request: SipRequest, addr: tuple[str, int]) -> None:
        active = self.calls.get(request.call_id)
        if request.method == "OPTIONS" and active is None:
            self._send(response_bytes(request, Reply(200, "OK", (("allow", ALLOW), ("accept", "application/sdp")))), addr)
            return
        if active is None:
            if request.method == "INVITE" and not tag_of(request.get("to")):
                self._new_call(request, addr)
            elif request.method in ("BYE", "CANCEL", "INVITE"):
                self._reject(request, addr, 481, "Call/Transaction Does Not Exist")
            elif request.method != "ACK":
                self._reject(request, addr, 405, "Method Not Allowed", (("allow", ALLOW),))
            return
        if addr[0] != active.peer[0]:      # another host must not end or change someone else's call
            if request.method != "ACK":
                self._reject(request, addr, 403, "Forbidden")
            return
        self._run(active, active.call.receive(request), addr)

    def _new_call(self, request: SipRequest, addr: tuple[str, int]) -> None:
        self._forget_ended()
        if self.active_calls >= self.max_calls:
            self._reject(request, addr, 486, "Busy Here", (("warning", f'399 hallbot "{self.max_calls} calls at once already"'),))
            return
        active = ActiveCall(Call(request.call_id, self.host, self.port), addr)
        self.calls[request.call_id] = active
        self.stats.calls += 1
        self._run(active, active.call.receive(request), addr)
        self.stats.peak_calls = max(self.stats.peak_calls, self.active_calls)
        if active.call.ended:      # refused (488): keep it only to answer retransmissions
            active.ended_at = time.monotonic()
            self.stats.rejected[488] = self.stats.rejected.get(488, 0) + 1

    def _forget_ended(self) -> None:
        now = time.monotonic()
        for call_id in [k for k, c in self.calls.items() if c.ended_at and now - c.ended_at > ENDED_KEPT_S]:
            del self.calls[call_id]

    # --- actions --------------------------------------------------------------------------------
    def _run(self, active: ActiveCall, actions: list[Action], addr: tuple[str, int] | None = None) -> None:
        for action in actions:
            if isinstance(action, SendReply):
                self._send(response_bytes(action.request, action.reply), addr or active.peer)
            elif isinstance(action, SendRequest):
                self._send(action.data, active.peer)
            elif isinstance(action, StartMedia):
                self._spawn(self._start_media(active, action))
            elif isinstance(action, Confirmed):
                if active.retransmit is not None:
                    active.retransmit.cancel()
                if active.conversation is not None:
                    active.conversation.start()
            elif isinstance(action, StopMedia):
                active.ended_at = time.monotonic()
                self._spawn(self._teardown(active, action.reason))

    async def _start_media(self, active: ActiveCall, start: StartMedia) -> None:
        call = active.call
        try:
            media = await CallMedia.open(self.host, self.ports, start.choice, start.remote, active.peer[0],
                                         on_audio=lambda pcm: self._audio(active, pcm),
                                         on_dtmf=lambda digit: self._dtmf(active, digit))
        except (OSError, RuntimeError) as exc:
            log.warning("call %s: no RTP port: %s", call.conversation_id, exc)
            self._run(active, call.media_failed(str(exc)))
            return
        if call.ended:          # cancelled while the port was bound
            await media.close()
            return
        active.media = media
        active.conversation = self.conversations(call.conversation_id, media, lambda why: self.hang_up(call.call_id, why))
        self._run(active, call.media_ready(self.host, media.local_port))
        active.retransmit = asyncio.create_task(self._retransmit_200(active))
        log.info("call %s answered (%s)", call.conversation_id, start.choice.codec)

    def _audio(self, active: ActiveCall, pcm: bytes) -> None:
        if active.conversation is not None and active.call.state == "confirmed":
            active.conversation.caller_audio(pcm)

    def _dtmf(self, active: ActiveCall, digit: str) -> None:
        if active.conversation is not None and active.call.state == "confirmed":
            active.conversation.caller_key(digit)

    async def _retransmit_200(self, active: ActiveCall) -> None:
        interval, waited = T1_S, 0.0
        while waited < TIMER_H_S:
            await asyncio.sleep(interval)
            waited += interval
            again = active.call.unanswered_200()
            if again is None:
                return
            self._send(response_bytes(again.request, again.reply), active.peer)
            interval = min(interval * 2, T2_S)
        self._run(active, active.call.hang_up("no ACK"))

    async def hang_up(self, call_id: str, reason: str) -> None:
        active = self.calls.get(call_id)
        if active is not None:
            self._run(active, active.call.hang_up(reason))

    async def _teardown(self, active: ActiveCall, reason: str) -> None:
        if active.retransmit is not None:
            active.retransmit.cancel()
        if active.conversation is not None:
            await active.conversation.close()
        if active.media is not None:
            await active.media.close()
        log.info("call %s ended (%s) after %.1f s", active.call.conversation_id, reason, time.monotonic() - active.started)

    async def close(self) -> None:
        """Shutdown: say goodbye to every caller (BYE), free every call."""
        for active in list(self.calls.values()):
            if not active.call.ended:
                self._run(active, active.call.hang_up("shutdown"))
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self.transport is not None:
            self.transport.close()


async def serve(endpoint: SipEndpoint, host: str, port: int) -> SipEndpoint:
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: endpoint, local_addr=(host, port))
    return endpoint
