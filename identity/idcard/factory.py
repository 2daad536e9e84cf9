"""Which ID-card reader a kiosk uses, from its spec string. The caller reads the setting (the
settings module owns the environment), so this stays a pure function of its arguments."""
from __future__ import annotations

from pathlib import Path

from .base import IdCardReader

DEFAULT_BAUD = 115200


def id_card_reader(spec: str, var_dir: Path) -> IdCardReader:
    """`serial:/dev/ttyUSB0[@115200]` for a SAM reader; a directory for the file simulator; ""
    for the simulator in <var_dir>/idcard-sim (a card.json there = a card on the reader)."""
    if spec.startswith("serial:"):
        from .serial_reader import SamSerialReader, open_serial

        port, _, baud = spec[len("serial:"):].partition("@")
        return SamSerialReader(open_serial(port, int(baud or DEFAULT_BAUD)))
    from .simulator import DirectorySimulator

    return DirectorySimulator(Path(spec) if spec else var_dir / "idcard-sim")
