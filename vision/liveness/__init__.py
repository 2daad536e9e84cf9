"""Liveness before a face identifies anyone: `create_liveness(name)` builds the engine the
settings choose (HALLBOT_LIVENESS); see base.py for the seam, judge.py for the decision."""
from __future__ import annotations

from .base import CHALLENGES, AcceptAll, Challenge, LivenessEngine, LivenessJudge, LivenessResult, State
from .mesh import MeshUnavailable

ENGINES = ("mediapipe", "off")


def create_liveness(name: str = "mediapipe") -> LivenessEngine:
    if name == "mediapipe":
        from .judge import MeshLiveness
        return MeshLiveness()
    if name == "off":
        return AcceptAll()
    raise ValueError(f"unknown liveness engine {name!r} (use {' or '.join(ENGINES)})")


__all__ = ["CHALLENGES", "ENGINES", "AcceptAll", "Challenge", "LivenessEngine", "LivenessJudge", "LivenessResult",
           "MeshUnavailable", "State", "create_liveness"]
