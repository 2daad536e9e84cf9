"""SIP messages (RFC 3261) as frozen records: parse a datagram, build responses and requests.

Parsing is strict where a wrong guess would be unsafe (request line, CSeq, Content-Length) and
raises `SipParseError`, which the endpoint turns into 400 when it can address a reply (Via, From,
To, Call-ID present) and drops otherwise; nothing a caller sends raises anything else."""
from __future__ import annotations

import re
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_MESSAGE_BYTES = 8192            # UDP SIP stays well below; more is not a phone
SIP_VERSION = "SIP/2.0"
USER_AGENT = "hallbot"
COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
           "c": "content-type", "k": "supported", "s": "subject", "e": "content-encoding"}
REQUIRED = ("via", "from", "to", "call-id", "cseq")
_TOKEN = re.compile(r"^[A-Za-z0-9.!%*_+`'~-]+$")
_STATUS = re.compile(r"^SIP/2\.0 ([1-6]\d\d) (.*)$")
_REQUEST = re.compile(r"^([A-Za-z0-9.!%*_+`'~-]+) (\S+) SIP/2\.0$")
_TAG = re.compile(r";\s*tag=([^;>\s]+)", re.IGNORECASE)


class SipParseError(ValueError):
    """A datagram that is not a SIP message we can act on; the message says what is wrong."""


Headers = tuple[tuple[str, str], ...]   # (lower-case name, value), in order; repeated names kept


@dataclass(frozen=True)
class SipMessage:
    headers: Headers
    body: bytes = b""

    def all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def get(self, name: str, default: str = "") -> str:
        values = self.all(name)
        return values[0] if values else default

    @property
    def call_id(self) -> str:
        return self.get("call-id")

    @property
    def cseq(self) -> tuple[int, str]:
        number, _, method = self.get("cseq").partition(" ")
        return int(number), method.strip().upper()

    def addressable(self) -> bool:
        """A reply can be built: the headers a response copies are all there."""
        return all(self.get(h) for h in ("via", "from", "to", "call-id")) and bool(self.get("cseq"))


@dataclass(frozen=True)
class SipRequest(SipMessage):
    method: str = ""
    uri: str = ""


@dataclass(frozen=True)
class SipResponse(SipMessage):
    status: int = 0
    reason: str = ""


@dataclass(frozen=True)
class Incomplete:
    """What could be read of a message that failed to parse: enough to answer 400, maybe."""
    request: SipRequest | None
    error: str


def tag_of(header_value: str) -> str:
    match = _TAG.search(header_value)
    return match.group(1) if match else ""


def _headers(lines: Iterable[str]) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (" ", "\t") and headers:      # folded continuation line
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        name = name.strip().lower()
        if not sep or not _TOKEN.match(name):
            raise SipParseError(f"bad header line {line[:40]!r}")
        name = COMPACT.get(name, name)
        if name in ("via", "contact") and "," in value:   # comma-joined values are separate headers
            headers += [(name, part.strip()) for part in value.split(",") if part.strip()]
        else:
            headers.append((name, value.strip()))
    return headers


def parse(data: bytes) -> SipRequest | SipResponse:
    """One UDP datagram -> a request or response. Raises SipParseError (see `parse_lenient`)."""
    result = parse_lenient(data)
    if isinstance(result, Incomplete):
        raise SipParseError(result.error)
    return result


def parse_lenient(data: bytes) -> SipRequest | SipResponse | Incomplete:
    """Like `parse`, but a malformed request comes back as `Incomplete` with what was readable."""
    if len(data) > MAX_MESSAGE_BYTES:
        return Incomplete(None, f"message of {len(data)} bytes (limit {MAX_MESSAGE_BYTES})")
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return Incomplete(None, "no blank line after the headers")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return Incomplete(None, "headers are not UTF-8")
    first, *lines = text.split("\r\n")
    try:
        headers = tuple(_headers(lines))
    except SipParseError as exc:
        return Incomplete(None, str(exc))
    status = _STATUS.match(first)
    request = _REQUEST.match(first)
    if not status and not request:
        return Incomplete(None, f"not a SIP request or status line: {first[:60]!r}")
    message: SipRequest | SipResponse
    if status:
        message = SipResponse(headers, body, int(status.group(1)), status.group(2))
    else:
        assert request is not None
        message = SipRequest(headers, body, request.group(1).upper(), request.group(2))
    problem = _problem(message, body)
    if problem:
        return Incomplete(message if isinstance(message, SipRequest) else None, problem)
    return message


def _problem(message: SipMessage, body: bytes) -> str:
    missing = [h for h in REQUIRED if not message.get(h)]
    if missing:
        return f"missing header(s): {', '.join(missing)}"
    number, _, method = message.get("cseq").partition(" ")
    if not number.isdigit() or not _TOKEN.match(method.strip() or "?") or int(number) >= 2 ** 31:
        return f"bad CSeq {message.get('cseq')[:40]!r}"
    if isinstance(message, SipRequest) and method.strip().upper() != message.method:
        return f"CSeq method {method.strip()!r} does not match {message.method}"
    length = message.get("content-length")
    if length:
        if not length.isdigit():
            return f"bad Content-Length {length[:20]!r}"
        if int(length) > len(body):
            return f"Content-Length {length} but {len(body)} body bytes"
    return ""


@dataclass(frozen=True)
class Outgoing:
    """A message to send and where (the endpoint's transport does the sending)."""
    data: bytes
    addr: tuple[str, int]


def _serialise(first: str, headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    names = {"call-id": "Call-ID", "cseq": "CSeq", "www-authenticate": "WWW-Authenticate"}
    lines = [first]
    for name, value in headers:
        lines.append(f"{names.get(name) or '-'.join(p.capitalize() for p in name.split('-'))}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def new_tag() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True)
class Reply:
    """A response to build for a request: status, extra headers, body; the To tag is ours."""
    status: int
    reason: str
    headers: Headers = ()
    body: bytes = b""
    to_tag: str = field(default="")


def response_bytes(request: SipMessage, reply: Reply) -> bytes:
    """A response copying Via, From, To (with our tag), Call-ID and CSeq of the request."""
    to = request.get("to")
    if reply.to_tag and not tag_of(to) and reply.status != 100:
        to = f"{to};tag={reply.to_tag}"
    copied = [("via", v) for v in request.all("via")]
    copied += [("from", request.get("from")), ("to", to), ("call-id", request.call_id),
               ("cseq", request.get("cseq"))]
    return _serialise(f"{SIP_VERSION} {reply.status} {reply.reason}",
                      [*copied, ("server", USER_AGENT), *reply.headers], reply.body)


def request_bytes(method: str, uri: str, headers: Iterable[tuple[str, str]], body: bytes = b"") -> bytes:
    return _serialise(f"{method} {uri} {SIP_VERSION}", [*headers, ("user-agent", USER_AGENT)], body)


def uri_of(name_addr: str) -> str:
    """The URI of a From/To/Contact value: `"A" <sip:a@h;x>;tag=1` -> `sip:a@h;x`."""
    if "<" in name_addr and ">" in name_addr:
        return name_addr[name_addr.index("<") + 1:name_addr.index(">")]
    return name_addr.split(";", maxsplit=1)[0].strip()


def branch() -> str:
    return "z9hG4bK" + secrets.token_hex(8)


def sip_ping(host: str, port: int, timeout_s: float = 2.0) -> bool:
    """OPTIONS to the endpoint, as a PBX pings a trunk: True when it answers 200 (the supervisor's health check)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout_s)
        try:
            sock.connect((host, port))
            local_host, local_port = sock.getsockname()
            call_id = branch()[7:]
            sock.send(request_bytes("OPTIONS", f"sip:hallbot@{host}:{port}", [
                ("via", f"SIP/2.0/UDP {local_host}:{local_port};branch={branch()};rport"), ("max-forwards", "70"),
                ("from", f"<sip:health@{local_host}>;tag={call_id[:8]}"), ("to", f"<sip:hallbot@{host}>"),
                ("call-id", call_id), ("cseq", "1 OPTIONS")]))
            return sock.recv(4096).startswith(b"SIP/2.0 200")
        except OSError:
            return False
