"""ID card: SAM frames, UCS-2 fields, the serial driver over a real pseudo-terminal, the
file-backed simulator and field validation."""
from __future__ import annotations

import datetime as dt
import json
import os
import threading
import tty

import pytest

from identity import id_number
from identity.idcard import sam
from identity.idcard.base import IdCardData, IdCardReadError
from identity.idcard.photo import ImageBytesDecoder
from identity.idcard.serial_reader import SamSerialReader
from identity.idcard.simulator import DirectorySimulator, SamEmulator

TODAY = dt.date(2026, 11, 24)


def make_card(**over) -> IdCardData:
    base = dict(name="李娜", sex="女", ethnicity="汉", birth_date="19880716",
                address="北京市东城区东华门街道南池子大街12号", id_number=id_number.make("110101", dt.date(1988, 7, 16), 124),
                issuer="北京市公安局东城分局", valid_from="20180101", valid_to="20380101",
                photo=b"\xff\xd8fakejpeg", photo_format="jpeg")
    base.update(over)
    return IdCardData(**base)


def test_command_frame_layout_and_checksum():
    frame = sam.build_command(0x20, 0x01)
    assert frame.hex().upper() == "AAAAAA96690003200122"  # the documented find-card frame
    assert sam.parse_command(frame) == (0x20, 0x01, b"")


def test_response_checksum_error_is_detected():
    good = sam.build_response(0x90, b"\x01\x02")
    bad = good[:-1] + bytes([good[-1] ^ 0x55])
    with pytest.raises(IdCardReadError) as err:
        sam.parse_frame(bad)
    assert err.value.code == "checksum"
    with pytest.raises(IdCardReadError) as err:
        sam.parse_frame(b"\x00" * 10)
    assert err.value.code == "bad_frame"


def test_text_fields_round_trip_through_ucs2():
    card = make_card()
    payload = sam.basic_info_payload(card)
    assert int.from_bytes(payload[:2], "big") == 256
    text = payload[4:260]
    assert text[:4] == "李娜".encode("utf-16-le")
    assert text[30:32] == "2".encode("utf-16-le")  # sex code
    assert text[32:36] == "01".encode("utf-16-le")  # ethnicity code
    back = sam.card_from_basic_info(payload)
    assert (back.name, back.sex, back.ethnicity, back.address, back.id_number, back.valid_to) == \
        (card.name, card.sex, card.ethnicity, card.address, card.id_number, card.valid_to)
    assert back.photo == card.photo and back.photo_format == "jpeg"


def test_status_words_map_to_clear_errors():
    with pytest.raises(IdCardReadError) as err:
        sam.check_status(sam.parse_frame(sam.build_response(0x80)))
    assert err.value.code == "no_card" and "身份证" in err.value.message


class PtyEmulator:
    """A SAM reader on the other end of a pseudo-terminal, so pyserial does real tty I/O."""

    def __init__(self, emulator: SamEmulator) -> None:
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self._slave = slave
        self.emulator = emulator
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        buf = b""
        while not self.stop.is_set():
            import select
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            buf += os.read(self.master, 4096)
            while len(buf) >= 7 and len(buf) >= sam.frame_length(buf[:7]):
                n = sam.frame_length(buf[:7])
                frame, buf = buf[:n], buf[n:]
                os.write(self.master, self.emulator.respond(frame))

    def close(self) -> None:
        self.stop.set()
        self.thread.join(1)
        os.close(self.master)
        os.close(self._slave)


@pytest.fixture
def pty_reader():
    opened = []

    def make(emulator: SamEmulator, timeout_s: float = 2.0) -> SamSerialReader:
        from identity.idcard.serial_reader import open_serial
        pty = PtyEmulator(emulator)
        port = open_serial(pty.path, 115200, timeout=0.2)
        opened.append((pty, port))
        return SamSerialReader(port, timeout_s=timeout_s)

    yield make
    for pty, port in opened:
        port.close()
        pty.close()


def test_serial_driver_reads_a_card_over_a_tty(pty_reader):
    card = make_card(photo=bytes(range(256)) * 4, photo_format="wlt")  # 1024-byte WLT-sized photo
    got = pty_reader(SamEmulator(card)).read()
    assert got.name == "李娜" and got.id_number == card.id_number and got.sex == "女"
    assert got.photo_format == "wlt" and len(got.photo) == 1024
    assert got.problems(TODAY) == []


@pytest.mark.parametrize("emulator, code", [
    (SamEmulator(None), "no_card"),
    (SamEmulator(make_card(), fail_read=True), "read_failed"),
    (SamEmulator(make_card(), corrupt=True), "checksum"),
])
def test_serial_driver_errors(pty_reader, emulator, code):
    with pytest.raises(IdCardReadError) as err:
        pty_reader(emulator).read()
    assert err.value.code == code


def test_serial_driver_times_out_on_a_silent_reader():
    class Silent:
        def write(self, data):
            return len(data)

        def read(self, n):
            return b""

    with pytest.raises(IdCardReadError) as err:
        SamSerialReader(Silent(), timeout_s=0.2).read()
    assert err.value.code == "timeout"


def test_wlt_photo_needs_a_vendor_decoder():
    with pytest.raises(IdCardReadError) as err:
        ImageBytesDecoder().decode(b"\x57\x4c" + b"\x00" * 1022, "wlt")
    assert err.value.code == "photo_decode"
    assert ImageBytesDecoder().decode(b"\xff\xd8abc", "jpeg") == b"\xff\xd8abc"


def test_simulator_reads_directory(tmp_path):
    card = make_card()
    DirectorySimulator.write(tmp_path, card)
    got = DirectorySimulator(tmp_path).read()
    assert got == card


def test_simulator_errors(tmp_path):
    with pytest.raises(IdCardReadError) as err:
        DirectorySimulator(tmp_path).read()
    assert err.value.code == "no_card"
    (tmp_path / "card.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IdCardReadError) as err:
        DirectorySimulator(tmp_path).read()
    assert err.value.code == "bad_frame"
    (tmp_path / "card.json").write_text(json.dumps({"error": "read_failed"}), encoding="utf-8")
    with pytest.raises(IdCardReadError) as err:
        DirectorySimulator(tmp_path).read()
    assert err.value.code == "read_failed" and err.value.message


def test_shipped_demo_card_is_valid():
    from pathlib import Path
    card = DirectorySimulator(Path(__file__).parents[1] / "vision" / "data" / "idcard-sim").read()
    assert card.problems(TODAY) == []
    assert card.photo[:2] == b"\xff\xd8"


@pytest.mark.parametrize("change, problem", [
    ({"id_number": "BAD_CHECK"}, "id_number"),
    ({"birth_date": "19880717"}, "birth_date"),
    ({"sex": "男"}, "sex"),
    ({"valid_to": "20200101"}, "valid_to"),
    ({"ethnicity": "火星"}, "ethnicity"),
])
def test_field_validation(change, problem):
    if change.get("id_number") == "BAD_CHECK":
        good = make_card().id_number
        change = {"id_number": good[:17] + ("1" if good[17] != "1" else "2")}
    card = make_card(**change)
    problems = card.problems(TODAY)
    assert problems and problems[0].startswith(problem)


def test_long_term_validity_is_fine():
    assert make_card(valid_to="长期").problems(TODAY) == []


def test_factory_picks_the_simulator_from_the_spec(tmp_path):
    from identity.idcard.factory import id_card_reader

    default = id_card_reader("", tmp_path)
    assert isinstance(default, DirectorySimulator) and default.directory == tmp_path / "idcard-sim"
    chosen = id_card_reader(str(tmp_path / "cards"), tmp_path)
    assert isinstance(chosen, DirectorySimulator) and chosen.directory == tmp_path / "cards"
    with pytest.raises(IdCardReadError) as err:   # a serial spec opens the port (none here)
        id_card_reader("serial:/dev/nonexistent-reader@9600", tmp_path)
    assert err.value.code == "device"
