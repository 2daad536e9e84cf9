"""Which RTP packets belong to a call (phone/rtp.py's SourceGuard): pure, no sockets."""
from __future__ import annotations

import struct

from phone.rtp import SourceGuard


def rtp(pt: int = 0, seq: int = 1) -> bytes:
    return struct.pack("!BBHII", 0x80, pt, seq, 160 * seq, 0x1234) + b"\xff" * 160


def test_latches_on_the_first_packet_from_an_expected_host_and_keeps_that_source():
    guard = SourceGuard(frozenset({"10.0.0.5", "192.0.2.1"}), frozenset({0, 101}))
    assert not guard.admit(rtp(), ("198.51.100.7", 4000))         # a stranger before the caller: ignored
    assert guard.admit(rtp(), ("192.0.2.1", 31000))                # the INVITE's host, a NAT's port: latched
    assert guard.latched == ("192.0.2.1", 31000)
    assert guard.admit(rtp(101, 2), ("192.0.2.1", 31000))
    assert not guard.admit(rtp(), ("192.0.2.1", 31002))            # same host, another port: not the call
    assert not guard.admit(rtp(), ("10.0.0.5", 31000))             # the SDP's host, but not the latched source
    assert guard.counts == {"unexpected source": 3}


def test_ignores_what_is_not_negotiated_rtp():
    guard = SourceGuard(frozenset({"127.0.0.1"}), frozenset({0}))
    addr = ("127.0.0.1", 4000)
    assert not guard.admit(rtp(8), addr)                           # PCMA when PCMU was agreed
    assert not guard.admit(b"\x80\x00\x00", addr)                  # shorter than an RTP header
    assert not guard.admit(b"\x40" + rtp()[1:], addr)              # RTP version 1
    assert guard.latched is None and guard.counts == {"not our RTP": 3}
    assert guard.admit(rtp(), addr)
