"""The serial protocol of the common resident-ID SAM readers (GA 467 style framing).

Frame: AA AA AA 96 69 | LEN (2 bytes, big endian) | body | CHK
  LEN counts body + CHK; CHK = XOR of the LEN bytes and the body.
  command body: CMD PARA [data];  response body: SW1 SW2 SW3 [data]  (SW3 0x90 / 0x9F = OK).
Read basic info (0x30 0x01) answers: text length (2, BE), photo length (2, BE), text
(256 bytes UCS-2 LE: fixed-width fields), photo (1024 bytes WLT)."""
from __future__ import annotations

from dataclasses import dataclass

from .base import IdCardData, IdCardReadError
from .ethnicity import CODES, ETHNICITIES

PREAMBLE = bytes.fromhex("AAAAAA9669")
FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_BASIC = (0x30, 0x01)
RESET_SAM = (0x10, 0xFF)

SW_OK = 0x90
SW_FOUND = 0x9F
SW_MESSAGES = {
    0x10: ("checksum", "阅读器收到的数据校验和错误"),
    0x11: ("bad_frame", "阅读器收到的数据长度错误"),
    0x21: ("device", "阅读器不支持该命令"),
    0x23: ("device", "越权操作"),
    0x24: ("device", "阅读器未知错误"),
    0x31: ("read_failed", "卡认证机具失败"),
    0x32: ("read_failed", "机具认证卡失败"),
    0x33: ("read_failed", "信息验证错误"),
    0x40: ("read_failed", "无法识别的卡类型"),
    0x41: ("read_failed", "读卡操作失败，请重新放卡"),
    0x47: ("read_failed", "取随机数失败"),
    0x60: ("device", "SAM模块自检失败"),
    0x66: ("device", "SAM模块未经授权"),
    0x80: ("no_card", "未检测到身份证，请将身份证放在阅读区"),
    0x81: ("select_failed", "选卡失败，请重新放卡"),
    0x91: ("read_failed", "卡中无此项内容"),
}

# (field, bytes) in card order; 256 bytes in all.
TEXT_LAYOUT = (("name", 30), ("sex", 2), ("ethnicity", 4), ("birth_date", 16), ("address", 70),
               ("id_number", 36), ("issuer", 30), ("valid_from", 16), ("valid_to", 16), ("reserved", 36))
TEXT_LEN = sum(n for _, n in TEXT_LAYOUT)
SEX = {"1": "男", "2": "女", "0": "未知", "9": "未说明"}


def checksum(data: bytes) -> int:
    c = 0
    for b in data:
        c ^= b
    return c


def _frame(body: bytes) -> bytes:
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([checksum(length + body)])


def build_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    return _frame(bytes([cmd, para]) + data)


def build_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    return _frame(bytes([sw1, sw2, sw3]) + data)


@dataclass(frozen=True)
class Frame:
    body: bytes  # without preamble, length and checksum

    @property
    def sw3(self) -> int:
        return self.body[2]

    @property
    def data(self) -> bytes:
        return self.body[3:]


def frame_length(header: bytes) -> int:
    """Total frame size from the first 7 bytes."""
    if header[:5] != PREAMBLE:
        raise IdCardReadError("bad_frame", "阅读器应答帧头错误")
    return 7 + int.from_bytes(header[5:7], "big")


def parse_frame(raw: bytes) -> Frame:
    if len(raw) < 8:
        raise IdCardReadError("bad_frame", "阅读器应答过短")
    total = frame_length(raw[:7])
    if len(raw) < total:
        raise IdCardReadError("bad_frame", "阅读器应答不完整")
    length, body, chk = raw[5:7], raw[7:total - 1], raw[total - 1]
    if checksum(length + body) != chk:
        raise IdCardReadError("checksum", "阅读器应答校验和错误")
    return Frame(body)


def parse_command(raw: bytes) -> tuple[int, int, bytes]:
    """(cmd, para, data) of a host command; the emulator uses it."""
    frame = parse_frame(raw)
    return frame.body[0], frame.body[1], frame.body[2:]


def check_status(frame: Frame, ok: tuple[int, ...] = (SW_OK,)) -> Frame:
    if len(frame.body) < 3:
        raise IdCardReadError("bad_frame", "阅读器应答缺少状态字")
    if frame.sw3 not in ok:
        code, msg = SW_MESSAGES.get(frame.sw3, ("device", f"阅读器返回未知状态 0x{frame.sw3:02X}"))
        raise IdCardReadError(code, msg)
    return frame


def _ucs2(text: bytes) -> str:
    try:
        return text.decode("utf-16-le").rstrip(" \x00")
    except UnicodeDecodeError:
        raise IdCardReadError("bad_frame", "身份证文字信息不是有效的UCS-2编码") from None


def decode_text(text: bytes) -> dict[str, str]:
    if len(text) < TEXT_LEN:
        raise IdCardReadError("bad_frame", f"身份证文字信息长度 {len(text)} 不足 {TEXT_LEN} 字节")
    out, pos = {}, 0
    for name, size in TEXT_LAYOUT:
        out[name] = _ucs2(text[pos:pos + size])
        pos += size
    return out


def encode_text(fields: dict[str, str]) -> bytes:
    """Inverse of decode_text, for emulators and tests. Values must fit their widths."""
    out = b""
    for name, size in TEXT_LAYOUT:
        raw = fields.get(name, "").encode("utf-16-le")
        if len(raw) > size:
            raise ValueError(f"{name} is longer than {size // 2} characters")
        out += raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)
    return out


def card_from_basic_info(data: bytes) -> IdCardData:
    if len(data) < 4:
        raise IdCardReadError("bad_frame", "读基本信息应答过短")
    text_len, photo_len = int.from_bytes(data[0:2], "big"), int.from_bytes(data[2:4], "big")
    if len(data) < 4 + text_len + photo_len:
        raise IdCardReadError("bad_frame", "读基本信息应答长度与声明不符")
    f = decode_text(data[4:4 + text_len])
    photo = data[4 + text_len:4 + text_len + photo_len]
    return IdCardData(
        name=f["name"], sex=SEX.get(f["sex"], f["sex"]),
        ethnicity=ETHNICITIES.get(f["ethnicity"], f["ethnicity"]), birth_date=f["birth_date"],
        address=f["address"], id_number=f["id_number"], issuer=f["issuer"],
        valid_from=f["valid_from"], valid_to=f["valid_to"], photo=photo,
        photo_format="wlt" if photo_len == 1024 else _sniff(photo))


def basic_info_payload(card: IdCardData) -> bytes:
    """The 0x30 0x01 response data for a card (used by the emulator)."""
    sex_code = {v: k for k, v in SEX.items()}.get(card.sex, card.sex)
    text = encode_text({"name": card.name, "sex": sex_code, "ethnicity": CODES.get(card.ethnicity, card.ethnicity),
                        "birth_date": card.birth_date, "address": card.address, "id_number": card.id_number,
                        "issuer": card.issuer, "valid_from": card.valid_from, "valid_to": card.valid_to})
    return len(text).to_bytes(2, "big") + len(card.photo).to_bytes(2, "big") + text + card.photo


def _sniff(photo: bytes) -> str:
    return {b"\xff\xd8": "jpeg", b"\x89P": "png", b"BM": "bmp"}.get(photo[:2], "unknown")
