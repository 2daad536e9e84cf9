"""SDP offer/answer (RFC 3264) for one audio stream: G.711 at 8 kHz (PCMU or PCMA) and RFC 4733
telephone-event. Pure functions: `parse_offer` reads what the caller offers, `choose` picks our
codec in the caller's order of preference or says why none fits, `answer` writes our SDP."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

STATIC = {0: ("PCMU", 8000), 8: ("PCMA", 8000)}   # RFC 3551 static payload types we speak
SUPPORTED = ("PCMU", "PCMA")
_RTPMAP = re.compile(r"^(\d+) ([\w.-]+)/(\d+)(?:/\d+)?$")


class SdpError(ValueError):
    """An offer we cannot read; the message says what is missing."""


@dataclass(frozen=True)
class Offer:
    host: str
    port: int
    payload_types: tuple[int, ...]
    rtpmap: dict[int, tuple[str, int]] = field(default_factory=dict)
    direction: str = "sendrecv"

    def codec_of(self, pt: int) -> tuple[str, int] | None:
        return self.rtpmap.get(pt) or STATIC.get(pt)


@dataclass(frozen=True)
class Choice:
    codec: str             # "PCMU" | "PCMA"
    payload_type: int
    dtmf_payload_type: int | None


@dataclass(frozen=True)
class NoCodec:
    """Nothing we can speak was offered: the 488's Warning text."""
    offered: tuple[str, ...]

    @property
    def warning(self) -> str:
        offered = ", ".join(self.offered) or "none"
        return f'305 hallbot "Incompatible media format: only PCMU/8000 or PCMA/8000 (offered: {offered})"'


def parse_offer(body: bytes) -> Offer:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SdpError("SDP is not UTF-8") from None
    session_host, media_host = "", ""
    port = -1
    pts: tuple[int, ...] = ()
    rtpmap: dict[int, tuple[str, int]] = {}
    direction = "sendrecv"
    in_audio = seen_audio = False
    for raw in text.splitlines():
        line = raw.strip()
        kind, _, value = line.partition("=")
        if kind == "m":
            in_audio = value.startswith("audio ") and not seen_audio
            if in_audio:
                seen_audio = True
                parts = value.split()
                if len(parts) < 4 or not parts[1].split("/")[0].isdigit() or parts[2] not in ("RTP/AVP", "RTP/AVPF"):
                    raise SdpError(f"bad audio media line {value[:60]!r} (need RTP/AVP)")
                port = int(parts[1].split("/")[0])
                pts = tuple(int(p) for p in parts[3:] if p.isdigit() and int(p) < 128)
        elif kind == "c":
            host = _connection_host(value)
            if in_audio:
                media_host = host
            elif not seen_audio:
                session_host = host
        elif kind == "a" and in_audio:
            name, _, rest = value.partition(":")
            if name == "rtpmap":
                match = _RTPMAP.match(rest.strip())
                if match:
                    rtpmap[int(match.group(1))] = (match.group(2).upper(), int(match.group(3)))
            elif name in ("sendrecv", "sendonly", "recvonly", "inactive"):
                direction = name
    if not seen_audio:
        raise SdpError("no audio stream (m=audio) in the offer")
    host = media_host or session_host
    if not host:
        raise SdpError("no connection address (c=IN IP4 ...) for the audio stream")
    if not 0 < port < 65536:
        raise SdpError(f"audio port {port} out of range")
    return Offer(host, port, pts, rtpmap, direction)


def _connection_host(value: str) -> str:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpError(f"bad connection line {value[:60]!r}")
    return parts[2].split("/")[0]


def choose(offer: Offer) -> Choice | NoCodec:
    """The caller's most preferred codec we speak; telephone-event/8000 when offered."""
    dtmf = next((pt for pt in offer.payload_types if offer.rtpmap.get(pt, ("", 0)) == ("TELEPHONE-EVENT", 8000)), None)
    for pt in offer.payload_types:
        codec = offer.codec_of(pt)
        if codec and codec[0] in SUPPORTED and codec[1] == 8000:
            return Choice(codec[0], pt, dtmf)
    offered = tuple(f"{c[0]}/{c[1]}" if (c := offer.codec_of(pt)) else str(pt) for pt in offer.payload_types)
    return NoCodec(offered)


def answer(choice: Choice, host: str, port: int, session_id: int | None = None) -> bytes:
    sid = session_id if session_id is not None else secrets.randbelow(2 ** 31)
    pts = [choice.payload_type] + ([choice.dtmf_payload_type] if choice.dtmf_payload_type is not None else [])
    family = "IP6" if ":" in host else "IP4"
    lines = ["v=0", f"o=hallbot {sid} {sid} IN {family} {host}", "s=hallbot", f"c=IN {family} {host}", "t=0 0",
             f"m=audio {port} RTP/AVP {' '.join(map(str, pts))}", f"a=rtpmap:{choice.payload_type} {choice.codec}/8000"]
    if choice.dtmf_payload_type is not None:
        lines += [f"a=rtpmap:{choice.dtmf_payload_type} telephone-event/8000", f"a=fmtp:{choice.dtmf_payload_type} 0-16"]
    lines += ["a=ptime:20", "a=sendrecv"]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
