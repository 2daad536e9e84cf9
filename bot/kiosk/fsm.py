"""The per-kiosk session state machine (pytransitions): who is in front of the robot and what
the robot is doing with them. Pure logic: no I/O, no wall clock. The kiosk session feeds it
sensor and dialogue triggers and calls `tick(now)` for the timeouts; it reads `state` and the
`history` of transitions, each with its cause.

    idle -> person_detected -> greeting -> identified | anonymous -> serving <-> verifying
         -> handoff -> farewell -> idle            (timeouts: silence, person walked away)
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import Enum

from transitions import Machine, MachineError, State

log = logging.getLogger(__name__)

STATES = ["idle", "person_detected", "greeting", "identified", "anonymous", "serving", "verifying",
          "handoff", "farewell"]
# typed as transitions' stubs want a list of sources (list is invariant: list[str] would not do)
PRESENT: list[str | Enum | State] = ["person_detected", "greeting", "identified", "anonymous", "serving", "verifying", "handoff"]


@dataclass(frozen=True)
class Timeouts:
    decide_s: float = 4.0      # face seen but not recognised yet: greet anonymously after this
    absent_s: float = 8.0      # no face in view this long: the person walked away
    silence_s: float = 90.0    # no speech or touch this long: say goodbye (standing still is not input)
    farewell_s: float = 3.0    # time to say goodbye before the kiosk is idle again


@dataclass(frozen=True)
class Transition:
    at: float
    trigger: str
    source: str
    dest: str
    cause: str

    def to_dict(self) -> dict:
        return {"at": self.at, "trigger": self.trigger, "source": self.source, "dest": self.dest,
                "cause": self.cause}


@dataclass
class SessionFSM:
    """One kiosk's session. Triggers (all take `cause` and `now` keyword arguments):
    person_seen, face_recognized, face_unknown, greeted, user_input, verification_started,
    verified, verification_failed, handoff_requested, resumed, person_left, silence_timeout, farewell_done."""

    kiosk_id: str
    timeouts: Timeouts = field(default_factory=Timeouts)
    history: list[Transition] = field(default_factory=list)
    customer_id: str | None = None
    camera: bool = True          # False: keyboard/touch kiosk, presence comes only from input
    state: str = "idle"
    _entered: float = 0.0
    _last_face: float = 0.0
    _last_input: float = 0.0

    def __post_init__(self) -> None:
        self.machine = Machine(model=self, states=STATES, initial="idle", auto_transitions=False,
                               send_event=True, after_state_change="_record", ignore_invalid_triggers=False)
        m = self.machine
        m.add_transition("person_seen", "idle", "person_detected")
        m.add_transition("face_recognized", ["idle", "person_detected"], "greeting", before="_set_customer")
        m.add_transition("face_recognized", "anonymous", "identified",
                         before="_set_customer")
        m.add_transition("face_unknown", ["idle", "person_detected"], "greeting")
        m.add_transition("greeted", "greeting", "identified", conditions="_known")
        m.add_transition("greeted", "greeting", "anonymous", unless="_known")
        # serving, verifying and handoff keep their state on input (a form or staff is under way)
        m.add_transition("user_input", ["idle", "person_detected", "greeting", "identified", "anonymous"],
                         "serving")
        m.add_transition("verification_started", ["identified", "anonymous", "serving"], "verifying")
        m.add_transition("verified", ["anonymous", "serving", "verifying"], "serving", before="_set_customer")
        m.add_transition("verification_failed", "verifying", "serving")
        m.add_transition("handoff_requested", PRESENT + ["idle"], "handoff")
        # the page came back to its conversation (a dropped connection, an app restart)
        m.add_transition("resumed", "idle", "serving", before="_set_customer")
        m.add_transition("person_left", PRESENT, "farewell")
        m.add_transition("silence_timeout", PRESENT, "farewell")
        m.add_transition("farewell_done", "farewell", "idle", after="_forget")

    # -- callbacks -------------------------------------------------------------------------------
    def _set_customer(self, event) -> None:
        customer_id = event.kwargs.get("customer_id")
        if customer_id:
            self.customer_id = customer_id

    def _known(self, event) -> bool:
        return self.customer_id is not None

    def _forget(self, event) -> None:
        self.customer_id = None

    def _record(self, event) -> None:
        now = float(event.kwargs.get("now", 0.0))
        cause = str(event.kwargs.get("cause") or event.event.name)
        self._entered = now
        if event.event.name in ("user_input", "person_seen"):
            self._last_input = now
        record = Transition(now, event.event.name, event.transition.source, event.transition.dest, cause)
        self.history = (self.history + [record])[-200:]
        log.info("kiosk %s: %s -> %s on %s (%s)", self.kiosk_id, record.source, record.dest, record.trigger, cause)

    # -- inputs that are not transitions by themselves -------------------------------------------
    def fire(self, trigger: str, *, now: float, cause: str = "", **kwargs) -> bool:
        """Fire a trigger if the current state allows it; returns whether the state changed.
        Sensor events arrive in any state, so an event the state ignores is normal, not an error."""
        if trigger not in self.machine.get_triggers(self.state):
            return False
        try:
            return bool(getattr(self, trigger)(now=now, cause=cause, **kwargs))
        except MachineError:
            return False

    def face_seen(self, now: float) -> None:
        self._last_face = now

    def input_seen(self, now: float) -> None:
        self._last_input = now

    def tick(self, now: float) -> str | None:
        """Apply the timeouts; returns the trigger fired, if any."""
        t = self.timeouts
        if self.state == "person_detected" and now - self._entered >= t.decide_s:
            self.fire("face_unknown", now=now, cause=f"not recognised within {t.decide_s:.0f} s")
            return "face_unknown"
        if self.state in PRESENT and self.camera and self._last_face and now - self._last_face >= t.absent_s:
            self.fire("person_left", now=now, cause=f"no face in view for {t.absent_s:.0f} s")
            return "person_left"
        if self.state in PRESENT and now - max(self._last_input, self._entered) >= t.silence_s:
            self.fire("silence_timeout", now=now, cause=f"no input for {t.silence_s:.0f} s")
            return "silence_timeout"
        if self.state == "farewell" and now - self._entered >= t.farewell_s:
            self.fire("farewell_done", now=now, cause="farewell said")
            return "farewell_done"
        return None

    @property
    def present(self) -> bool:
        return self.state in PRESENT
