"""What the kiosk page is sent (server -> browser JSON). One dataclass per kind, so the page's
protocol is written down in one place; `docs/kiosk.md` lists them with the browser's messages."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ScreenMessage:
    @property
    def type(self) -> str:
        name = type(self).__name__
        return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


@dataclass
class State(ScreenMessage):
    """The session state machine moved (the page changes its layout on some states).
    cause: why the last transition happened; note: what the session did (e.g. "reset")."""
    state: str
    cause: str
    conversation_id: str
    note: str = ""


@dataclass
class Customer(ScreenMessage):
    """Who the robot is serving; all None when nobody is identified."""
    customer_id: str | None
    name: str | None


@dataclass
class Bot(ScreenMessage):
    """One reply from the dialogue: text, buttons (tapping one sends its payload), custom payload."""
    text: str | None
    buttons: list[dict] = field(default_factory=list)
    custom: dict | None = None


@dataclass
class UserText(ScreenMessage):
    """What the customer said (final transcript) or typed, as the robot understood it."""
    text: str
    source: str   # voice | keyboard | button


@dataclass
class Transcript(ScreenMessage):
    """Live transcript while the customer speaks (final=False is a guess at a pause)."""
    text: str
    final: bool


@dataclass
class Listening(ScreenMessage):
    active: bool


@dataclass
class Prompt(ScreenMessage):
    """Ask for something the screen collects better than speech: id_card | keypad | none."""
    kind: str
    label: str = ""
    slot: str = ""
    digits: int = 0


@dataclass
class Notice(ScreenMessage):
    """A service problem or recovery, shown as a banner (level: error | info)."""
    level: str
    text: str
    component: str = ""


@dataclass
class Audio(ScreenMessage):
    """Followed by one binary frame of PCM16 mono at sample_rate."""
    sample_rate: int
    turn_id: int
    seq: int
    text: str
    last: bool
    bytes: int


@dataclass
class StopAudio(ScreenMessage):
    """Barge-in or a newer reply: drop queued audio at once."""
    reason: str


@dataclass
class Timings(ScreenMessage):
    """Per-turn stage latencies (ms), for the page's diagnostics and the benchmark."""
    turn_id: int
    ms: dict[str, float]
    text: str = ""


# Where a form asks for a slot, the screen shows a keypad; digits = expected length (0 = free).
KEYPAD_SLOTS = {
    "identity_key": ("身份证号或10位户号", 0),
    "phone": ("登记的手机号码", 11),
    "sms_code": ("6位短信验证码", 6),
    "account_no": ("10位户号", 10),
}
