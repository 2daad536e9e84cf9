"""The per-call SIP state machine (phone/call.py): every path as plain data, no sockets."""
from __future__ import annotations

from phone import call as C
from phone.sip import SipRequest, parse, tag_of

from .messages import G729_ONLY, request


def req(*args, **kwargs) -> SipRequest:
    message = parse(request(*args, **kwargs))
    assert isinstance(message, SipRequest)
    return message


def statuses(actions) -> list[int]:
    return [a.reply.status for a in actions if isinstance(a, C.SendReply)]


def answered() -> C.Call:
    call = C.Call("abc@127.0.0.1", "127.0.0.1", 5080)
    actions = call.receive(req())
    assert statuses(actions) == [100]
    media = [a for a in actions if isinstance(a, C.StartMedia)]
    assert media and media[0].remote == ("127.0.0.1", 40000) and media[0].choice.codec == "PCMU"
    ok = call.media_ready("127.0.0.1", 16400)
    assert statuses(ok) == [200] and b"m=audio 16400 RTP/AVP 0 101" in ok[0].reply.body
    return call


def test_invite_ack_bye():
    call = answered()
    assert call.state == "answered" and call.unanswered_200() is not None
    assert isinstance(call.receive(req("ACK", body=""))[0], C.Confirmed)
    assert call.state == "confirmed" and call.unanswered_200() is None
    bye = call.receive(req("BYE", body="", cseq="2 BYE", to_tag=call.to_tag))
    assert statuses(bye) == [200] and any(isinstance(a, C.StopMedia) for a in bye)
    assert call.ended and call.end_reason == "caller hung up"
    assert statuses(call.receive(req("BYE", body="", cseq="3 BYE", to_tag=call.to_tag))) == [481]


def test_conversation_id_is_ours_not_the_callers_call_id():
    first, again = C.Call("same@host", "127.0.0.1", 5080), C.Call("same@host", "127.0.0.1", 5080)
    assert first.conversation_id.startswith("phone:") and "same" not in first.conversation_id
    assert first.conversation_id != again.conversation_id


def test_unsupported_codec_and_missing_offer_get_488_with_a_warning():
    call = C.Call("x", "127.0.0.1", 5080)
    actions = call.receive(req(body=G729_ONLY))
    assert statuses(actions) == [488] and call.ended
    headers = dict(actions[0].reply.headers)
    assert "PCMU/8000" in headers["warning"] and "488" in headers["reason"]
    late = C.Call("y", "127.0.0.1", 5080)
    assert statuses(late.receive(req(body=""))) == [488] and late.ended


def test_retransmitted_invite_gets_the_same_answer_and_cancel_after_200_changes_nothing():
    call = answered()
    again = call.receive(req())
    assert statuses(again) == [200] and not any(isinstance(a, C.StartMedia) for a in again)
    assert statuses(call.receive(req("CANCEL", body="", cseq="1 CANCEL"))) == [200]
    assert call.state == "answered"


def test_cancel_before_the_answer_ends_the_call_with_487():
    call = C.Call("abc@127.0.0.1", "127.0.0.1", 5080)
    call.receive(req())
    actions = call.receive(req("CANCEL", body="", cseq="1 CANCEL"))
    assert statuses(actions) == [200, 487] and call.ended
    assert call.media_ready("127.0.0.1", 16400) == []     # media bound too late: no 200 after a CANCEL


def test_we_hang_up_with_a_bye_in_the_dialog():
    call = answered()
    call.receive(req("ACK", body=""))
    actions = call.hang_up("silence")
    bye = parse(next(a for a in actions if isinstance(a, C.SendRequest)).data)
    assert isinstance(bye, SipRequest) and bye.method == "BYE" and bye.uri == "sip:caller@127.0.0.1:5999"
    assert tag_of(bye.get("from")) == call.to_tag and tag_of(bye.get("to")) == "c1"
    assert bye.call_id == call.call_id and bye.cseq == (1, "BYE")
    assert call.ended and call.hang_up("again") == []


def test_other_methods_get_405_and_reinvite_keeps_the_media():
    call = answered()
    call.receive(req("ACK", body=""))
    assert statuses(call.receive(req("INFO", body="", cseq="2 INFO", to_tag=call.to_tag))) == [405]
    reinvite = call.receive(req(cseq="3 INVITE", to_tag=call.to_tag))
    assert statuses(reinvite) == [200] and b"m=audio 16400" in reinvite[0].reply.body
