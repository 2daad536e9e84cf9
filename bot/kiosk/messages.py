"""What the kiosk page is sent (server -> browser JSON). One dataclass per kind, so the page's
protocol is written down in one place; `docs/kiosk.md` lists them with the browser's messages.
The convention (explicit `type`, to_dict/from_dict, the SCREEN registry) is hallbot.messages."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from hallbot.messages import Family, Message

SCREEN = Family("screen")


class ScreenMessage(Message):
    """Base of what the page is sent; `type` is what kiosk.js switches on."""


@SCREEN.register
@dataclass(frozen=True)
class Resume(ScreenMessage):
    """Kept by the page (sessionStorage) and sent back in `hello` after a reconnect: the way back
    to this conversation (identity.proof.sign_resume; bound to the kiosk, valid HALLBOT_KIOSK_RESUME_S)."""
    type: ClassVar[str] = "resume"
    token: str


@SCREEN.register
@dataclass(frozen=True)
class State(ScreenMessage):
    """The session state machine moved (the page changes its layout on some states).
    cause: why the last transition happened; note: what the session did (e.g. "reset")."""
    type: ClassVar[str] = "state"
    state: str
    cause: str
    conversation_id: str
    note: str = ""


@SCREEN.register
@dataclass(frozen=True)
class Customer(ScreenMessage):
    """Who the robot is serving; all None when nobody is identified."""
    type: ClassVar[str] = "customer"
    customer_id: str | None
    name: str | None


@SCREEN.register
@dataclass(frozen=True)
class Bot(ScreenMessage):
    """One reply from the dialogue: text, buttons (tapping one sends its payload), custom payload."""
    type: ClassVar[str] = "bot"
    text: str | None
    buttons: list[dict] = field(default_factory=list)
    custom: dict | None = None


@SCREEN.register
@dataclass(frozen=True)
class UserText(ScreenMessage):
    """What the customer said (final transcript) or typed, as the robot understood it."""
    type: ClassVar[str] = "user_text"
    text: str
    source: str   # voice | keyboard | button


@SCREEN.register
@dataclass(frozen=True)
class Transcript(ScreenMessage):
    """Live transcript while the customer speaks (final=False is a guess at a pause)."""
    type: ClassVar[str] = "transcript"
    text: str
    final: bool


@SCREEN.register
@dataclass(frozen=True)
class Listening(ScreenMessage):
    """The customer started (active) or stopped speaking: the page shows or hides its indicator."""
    type: ClassVar[str] = "listening"
    active: bool


@SCREEN.register
@dataclass(frozen=True)
class Prompt(ScreenMessage):
    """Ask for something the screen collects better than speech: id_card | keypad | rating | none."""
    type: ClassVar[str] = "prompt"
    kind: str
    label: str = ""
    slot: str = ""
    digits: int = 0


@SCREEN.register
@dataclass(frozen=True)
class Notice(ScreenMessage):
    """A service problem or recovery, shown as a banner (level: error | info)."""
    type: ClassVar[str] = "notice"
    level: str
    text: str
    component: str = ""


@SCREEN.register
@dataclass(frozen=True)
class Audio(ScreenMessage):
    """Followed by one binary frame of PCM16 mono at sample_rate."""
    type: ClassVar[str] = "audio"
    sample_rate: int
    turn_id: int
    seq: int
    text: str
    last: bool
    bytes: int


@SCREEN.register
@dataclass(frozen=True)
class StopAudio(ScreenMessage):
    """Barge-in or a newer reply: drop queued audio at once."""
    type: ClassVar[str] = "stop_audio"
    reason: str


@SCREEN.register
@dataclass(frozen=True)
class Timings(ScreenMessage):
    """Per-turn stage latencies (ms), for the page's diagnostics and the benchmark."""
    type: ClassVar[str] = "timings"
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
