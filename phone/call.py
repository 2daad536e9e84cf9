"""One call's SIP dialog as a pure state machine: requests and media events in, actions out.

    new --INVITE--> proceeding (100 sent, media being bound) --media_ready--> answered (200 + SDP)
        --ACK--> confirmed --BYE / hang_up--> ended;   CANCEL before the 200 -> 487, ended

No sockets or clocks here: the endpoint (phone/endpoint.py) feeds it parsed messages and does what
the returned actions say, so every path, bad offers included, is testable as plain data. The
conversation id is minted here, never taken from the caller's Call-ID: a caller who reuses an old
Call-ID must not resume the conversation (and the identity) of whoever used it before."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from . import sdp
from .sip import Reply, SipRequest, branch, new_tag, request_bytes, tag_of, uri_of

CallState = str   # "new" | "proceeding" | "answered" | "confirmed" | "ended"
ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS"


@dataclass(frozen=True)
class SendReply:
    request: SipRequest
    reply: Reply


@dataclass(frozen=True)
class SendRequest:
    data: bytes


@dataclass(frozen=True)
class StartMedia:
    choice: sdp.Choice
    remote: tuple[str, int]


@dataclass(frozen=True)
class StopMedia:
    reason: str


@dataclass(frozen=True)
class Confirmed:
    pass


Action = SendReply | SendRequest | StartMedia | StopMedia | Confirmed


def new_conversation_id() -> str:
    return f"phone:{secrets.token_hex(12)}"


@dataclass
class Call:
    call_id: str
    local_host: str
    local_port: int
    conversation_id: str = field(default_factory=new_conversation_id)
    state: CallState = "new"
    to_tag: str = field(default_factory=new_tag)
    end_reason: str = ""
    _invite: SipRequest | None = None
    _last_reply: Reply | None = None
    _answer: bytes = b""
    _choice: sdp.Choice | None = None
    _local_cseq: int = 0

    @property
    def contact(self) -> str:
        return f"<sip:hallbot@{self.local_host}:{self.local_port}>"

    @property
    def ended(self) -> bool:
        return self.state == "ended"

    def _end(self, reason: str) -> None:
        self.state, self.end_reason = "ended", reason

    def _reply(self, request: SipRequest, status: int, reason: str, headers: tuple[tuple[str, str], ...] = (),
               body: bytes = b"") -> SendReply:
        reply = Reply(status, reason, headers, body, self.to_tag)
        if request is self._invite:
            self._last_reply = reply
        return SendReply(request, reply)

    # --- requests from the caller ---------------------------------------------------------------
    def receive(self, request: SipRequest) -> list[Action]:
        handler = {"INVITE": self._on_invite, "ACK": self._on_ack, "BYE": self._on_bye,
                   "CANCEL": self._on_cancel}.get(request.method)
        if handler is None:
            return [self._reply(request, 405, "Method Not Allowed", (("allow", ALLOW),))]
        return handler(request)

    def _on_invite(self, request: SipRequest) -> list[Action]:
        if self._invite is not None and request.cseq == self._invite.cseq:   # a retransmission
            return [SendReply(request, self._last_reply)] if self._last_reply else []
        if self.state == "ended":
            return [self._reply(request, 481, "Call/Transaction Does Not Exist")]
        if self.state in ("answered", "confirmed"):     # re-INVITE (session refresh, hold): same media
            return [self._reply(request, 200, "OK", self._answer_headers(), self._answer)]
        if self.state == "proceeding":
            return [self._reply(request, 491, "Request Pending")]
        self._invite = request
        try:
            offer = sdp.parse_offer(request.body) if request.body.strip() else None
        except sdp.SdpError as exc:
            self._end(f"bad SDP: {exc}")
            return [self._reply(request, 488, "Not Acceptable Here", (("warning", f'399 hallbot "{exc}"'),))]
        if offer is None:
            self._end("no SDP offer")
            return [self._reply(request, 488, "Not Acceptable Here",
                                (("warning", '399 hallbot "An SDP offer in the INVITE is required"'),))]
        choice = sdp.choose(offer)
        if isinstance(choice, sdp.NoCodec):
            self._end("no common codec")
            return [self._reply(request, 488, "Not Acceptable Here",
                                (("warning", choice.warning), ("reason", 'SIP;cause=488;text="Incompatible codecs"')))]
        self._choice = choice
        self.state = "proceeding"
        return [self._reply(request, 100, "Trying"), StartMedia(choice, (offer.host, offer.port))]

    def _answer_headers(self) -> tuple[tuple[str, str], ...]:
        return (("contact", self.contact), ("allow", ALLOW), ("content-type", "application/sdp"))

    def _on_ack(self, request: SipRequest) -> list[Action]:
        if self.state == "answered":
            self.state = "confirmed"
            return [Confirmed()]
        return []   # ACK of a failure response, or a retransmitted one: nothing to do

    def _on_bye(self, request: SipRequest) -> list[Action]:
        if self.state in ("new", "ended"):
            return [self._reply(request, 481, "Call/Transaction Does Not Exist")]
        self._end("caller hung up")
        return [self._reply(request, 200, "OK"), StopMedia("caller hung up")]

    def _on_cancel(self, request: SipRequest) -> list[Action]:
        if self._invite is None or self.state == "ended":
            return [self._reply(request, 481, "Call/Transaction Does Not Exist")]
        ok = self._reply(request, 200, "OK")
        if self.state != "proceeding":
            return [ok]     # already answered: the caller's BYE ends it
        self._end("caller cancelled")
        return [ok, self._reply(self._invite, 487, "Request Terminated"), StopMedia("caller cancelled")]

    # --- events from the media side -------------------------------------------------------------
    def media_ready(self, host: str, port: int) -> list[Action]:
        """RTP is bound: answer with our SDP."""
        if self.state != "proceeding" or self._invite is None or self._choice is None:
            return []
        self._answer = sdp.answer(self._choice, host, port)
        self.state = "answered"
        return [self._reply(self._invite, 200, "OK", self._answer_headers(), self._answer)]

    def media_failed(self, why: str) -> list[Action]:
        if self.state != "proceeding" or self._invite is None:
            return []
        self._end(f"media failed: {why}")
        return [self._reply(self._invite, 500, "Server Internal Error", (("warning", '399 hallbot "no media port"'),))]

    def unanswered_200(self) -> SendReply | None:
        """The 200 to send again while no ACK came (UDP may lose either)."""
        if self.state == "answered" and self._invite is not None and self._last_reply is not None:
            return SendReply(self._invite, self._last_reply)
        return None

    def hang_up(self, reason: str) -> list[Action]:
        """We end the call (no ACK ever came, the conversation ended, shutdown)."""
        if self.state in ("answered", "confirmed") and self._invite is not None:
            self._end(reason)
            return [SendRequest(self._bye(self._invite)), StopMedia(reason)]
        if self.state == "proceeding" and self._invite is not None:
            self._end(reason)
            return [self._reply(self._invite, 503, "Service Unavailable"), StopMedia(reason)]
        self._end(reason)
        return []

    def _bye(self, invite: SipRequest) -> bytes:
        self._local_cseq += 1
        target = uri_of(invite.get("contact") or invite.get("from"))
        to = invite.get("to")
        ours = to if tag_of(to) else f"{to};tag={self.to_tag}"
        return request_bytes("BYE", target, [
            ("via", f"SIP/2.0/UDP {self.local_host}:{self.local_port};branch={branch()};rport"),
            ("max-forwards", "70"), ("from", ours), ("to", invite.get("from")),
            ("call-id", self.call_id), ("cseq", f"{self._local_cseq} BYE")])
