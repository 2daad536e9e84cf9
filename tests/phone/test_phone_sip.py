"""SIP parsing and SDP offer/answer (phone/sip.py, phone/sdp.py): pure, no sockets."""
from __future__ import annotations

import pytest

from phone import sdp
from phone.sip import Incomplete, Reply, SipRequest, SipResponse, parse, parse_lenient, response_bytes, tag_of

from .messages import G729_ONLY, PCMA_FIRST, PCMU_OFFER, request


def test_invite_parses_with_compact_headers_and_body():
    data = request().replace(b"Call-ID:", b"i:").replace(b"Via:", b"v:")
    message = parse(data)
    assert isinstance(message, SipRequest) and message.method == "INVITE"
    assert message.call_id == "abc@127.0.0.1" and message.cseq == (1, "INVITE")
    assert message.get("via").startswith("SIP/2.0/UDP 127.0.0.1:5999")
    assert message.body.decode() == PCMU_OFFER


@pytest.mark.parametrize(("data", "why"), [
    (request(cseq="one INVITE"), "bad CSeq"),
    (request(cseq="1 BYE"), "does not match"),
    (request().replace(b"Call-ID: abc@127.0.0.1\r\n", b""), "missing header"),
    (request().replace(b"Content-Length: ", b"Content-Length: 9"), "Content-Length"),
    (request().replace(b"INVITE sip:", b"INVITE  sip:", 1), "not a SIP request"),
    (b"\x00\xff garbage", "no blank line"),
    (b"hello\r\n\r\n", "not a SIP request"),
    (request().replace(b"Max-Forwards", b"Max Forwards"), "bad header"),
    (b"INVITE sip:a SIP/2.0\r\n" + b"X: " + b"y" * 9000 + b"\r\n\r\n", "limit"),
])
def test_malformed_messages_say_why_and_never_raise_otherwise(data, why):
    result = parse_lenient(data)
    assert isinstance(result, Incomplete) and why in result.error
    with pytest.raises(ValueError, match=why):
        parse(data)


def test_a_bad_cseq_can_still_be_answered_but_garbage_cannot():
    assert isinstance(bad := parse_lenient(request(cseq="one INVITE")), Incomplete)
    assert bad.request is not None and bad.request.addressable()
    assert isinstance(garbage := parse_lenient(b"hello\r\n\r\n"), Incomplete) and garbage.request is None


def test_response_copies_the_transaction_and_adds_our_tag():
    invite = parse(request())
    assert isinstance(invite, SipRequest)
    answer = parse(response_bytes(invite, Reply(486, "Busy Here", (("warning", '399 hallbot "full"'),), to_tag="t1")))
    assert isinstance(answer, SipResponse) and answer.status == 486
    assert answer.get("via") == invite.get("via") and answer.call_id == invite.call_id
    assert tag_of(answer.get("to")) == "t1" and answer.get("cseq") == "1 INVITE"
    assert answer.get("warning") == '399 hallbot "full"'
    trying = parse(response_bytes(invite, Reply(100, "Trying", to_tag="t1")))
    assert not tag_of(trying.get("to"))      # 100 carries no To tag (RFC 3261 8.2.6.2)


def test_codec_choice_follows_the_callers_order_and_finds_telephone_event():
    choice = sdp.choose(sdp.parse_offer(PCMU_OFFER.encode()))
    assert choice == sdp.Choice("PCMU", 0, 101)
    assert sdp.choose(sdp.parse_offer(PCMA_FIRST.encode())) == sdp.Choice("PCMA", 8, 101)
    no_dtmf = PCMU_OFFER.replace(" 101\r\n", "\r\n").replace("a=rtpmap:101 telephone-event/8000\r\n", "")
    assert sdp.choose(sdp.parse_offer(no_dtmf.encode())) == sdp.Choice("PCMU", 0, None)


def test_unsupported_codecs_name_what_was_offered_and_what_we_speak():
    refused = sdp.choose(sdp.parse_offer(G729_ONLY.encode()))
    assert isinstance(refused, sdp.NoCodec)
    assert refused.offered == ("G729/8000", "OPUS/48000")
    assert "PCMU/8000" in refused.warning and "G729/8000" in refused.warning


@pytest.mark.parametrize(("body", "why"), [
    ("v=0\r\nc=IN IP4 1.2.3.4\r\n", "no audio"),
    ("v=0\r\nm=audio 4000 RTP/AVP 0\r\n", "no connection address"),
    ("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 0 RTP/AVP 0\r\n", "out of range"),
    ("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/SAVP 0\r\n", "RTP/AVP"),
    ("v=0\r\nc=garbage\r\nm=audio 4000 RTP/AVP 0\r\n", "bad connection"),
])
def test_unreadable_offers_say_why(body, why):
    with pytest.raises(sdp.SdpError, match=why):
        sdp.parse_offer(body.encode())


def test_answer_offers_one_codec_and_telephone_event_at_our_port():
    answer = sdp.answer(sdp.Choice("PCMA", 8, 101), "127.0.0.1", 16400).decode()
    assert "m=audio 16400 RTP/AVP 8 101\r\n" in answer
    assert "a=rtpmap:8 PCMA/8000" in answer and "a=rtpmap:101 telephone-event/8000" in answer
    offer_back = sdp.parse_offer(answer.encode())       # our answer is itself a well-formed description
    assert (offer_back.host, offer_back.port, offer_back.payload_types) == ("127.0.0.1", 16400, (8, 101))
