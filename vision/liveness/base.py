"""The liveness seam: a face track's frames in, live / spoof / unsure out. FaceService holds one
`LivenessJudge` per face track and emits FaceRecognized only once its judge says live, so a
photo, a screen or a replay of stills identifies nobody (docs/security.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from ..engines.base import DetectedFace

State = Literal["live", "spoof", "unsure"]
Challenge = Literal["blink", "turn_left"]
CHALLENGES: tuple[Challenge, ...] = ("blink", "turn_left")


@dataclass(frozen=True)
class LivenessResult:
    state: State
    reason: str = ""                    # live: blink / parallax / challenge_*; spoof: frozen_frames / picture_frame / no_response
    challenge: Challenge | None = None  # set while unsure once an active challenge is due
    cues: dict[str, float] = field(default_factory=dict)


class LivenessJudge(Protocol):
    """The judgement of one face track, frame by frame (in time order)."""

    def add(self, rgb: np.ndarray, face: DetectedFace, ts: float) -> LivenessResult: ...


class LivenessEngine(Protocol):
    name: str

    def track(self) -> LivenessJudge:
        """A judge for a new face track."""
        ...


class AcceptAll:
    """HALLBOT_LIVENESS=off: every face counts as live (only for a deployer who accepts that a
    photo held to the camera identifies its subject)."""
    name = "off"

    def track(self) -> LivenessJudge:
        return _Always()


class _Always:
    def add(self, rgb: np.ndarray, face: DetectedFace, ts: float) -> LivenessResult:
        return LivenessResult("live", "liveness_off")
