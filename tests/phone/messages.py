"""SIP requests as a softphone sends them, for the pure tests of phone/ (the SIPp tests send their own)."""
from __future__ import annotations

PCMU_OFFER = ("v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
              "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
              "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n")
PCMA_FIRST = PCMU_OFFER.replace("RTP/AVP 0 8 101", "RTP/AVP 8 0 101")
G729_ONLY = ("v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             "m=audio 40000 RTP/AVP 18 111\r\na=rtpmap:18 G729/8000\r\na=rtpmap:111 opus/48000/2\r\n")


def request(method: str = "INVITE", body: str = PCMU_OFFER, call_id: str = "abc@127.0.0.1", cseq: str | None = None,
            to_tag: str = "", extra: str = "") -> bytes:
    cseq = cseq or f"1 {method}"
    to = "<sip:hallbot@127.0.0.1:5080>" + (f";tag={to_tag}" if to_tag else "")
    head = (f"{method} sip:hallbot@127.0.0.1:5080 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-1;rport\r\n"
            "From: \"caller\" <sip:caller@127.0.0.1:5999>;tag=c1\r\n"
            f"To: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq}\r\n"
            "Contact: <sip:caller@127.0.0.1:5999>\r\nMax-Forwards: 70\r\n" + extra)
    data = body.encode()
    if data:
        head += "Content-Type: application/sdp\r\n"
    return (head + f"Content-Length: {len(data)}\r\n\r\n").encode() + data
