"""The reader interface and the card record."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from identity import id_number

from .ethnicity import ETHNICITIES


class IdCardReadError(RuntimeError):
    """Reading failed; `code` is stable (no_card, select_failed, read_failed, checksum, timeout,
    bad_frame, device, photo_decode, invalid_fields), `message` is for staff (Chinese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class IdCardData:
    name: str
    sex: str            # 男 / 女 (decoded from the card's code 1 / 2)
    ethnicity: str      # e.g. 汉 (decoded from the 2-digit GB 3304 code)
    birth_date: str     # YYYYMMDD
    address: str
    id_number: str
    issuer: str
    valid_from: str     # YYYYMMDD
    valid_to: str       # YYYYMMDD or 长期
    photo: bytes = field(default=b"", repr=False)  # raw photo from the card (WLT on real cards)
    photo_format: str = "wlt"                      # wlt / jpeg / png / bmp

    def problems(self, today: dt.date | None = None) -> list[str]:
        """Why the card's fields are not trustworthy (empty list = fine)."""
        today = today or dt.date.today()
        out: list[str] = []
        try:
            parsed = id_number.parse(self.id_number, today=today)
        except id_number.InvalidIdNumber as exc:
            return [f"id_number: {exc.reason}"]
        if parsed.birth_date.strftime("%Y%m%d") != self.birth_date:
            out.append("birth_date: 出生日期与身份证号不一致")
        if parsed.sex != self.sex:
            out.append("sex: 性别与身份证号不一致")
        if self.ethnicity not in ETHNICITIES.values():
            out.append("ethnicity: 民族代码无效")
        if self.valid_to != "长期":
            try:
                end = dt.datetime.strptime(self.valid_to, "%Y%m%d").date()
            except ValueError:
                out.append("valid_to: 有效期限格式错误")
            else:
                if end < today:
                    out.append("valid_to: 身份证已过期")
        if not self.name.strip():
            out.append("name: 姓名为空")
        return out

    @property
    def masked_id(self) -> str:
        from identity.masking import mask_id_number  # the one masking rule (last 4 characters)
        return mask_id_number(self.id_number) if len(self.id_number) == 18 else "*"


class PhotoDecoder(Protocol):
    """Turns the card's photo bytes into an encoded image (JPEG/PNG/BMP) the face engine reads.
    Real cards carry a 1024-byte WLT image whose decoder is a vendor library: plug it in here."""

    def decode(self, photo: bytes, fmt: str) -> bytes: ...


@runtime_checkable
class IdCardReader(Protocol):
    def read(self) -> IdCardData:
        """Wait for / read one card. Raises IdCardReadError."""
        ...
