"""The MediaPipe liveness engine: face-mesh cues (vision/liveness/cues.py) accumulated over a
face track, decided by simple thresholds measured on the synthetic sequences
(vision/liveness/synthetic.py, numbers in BENCHMARKS.md):

- live: a blink (EAR dip to under BLINK_RATIO of the track's open level, open again after), or
  nose parallax (the nose moves in the eye/mouth-corner frame by PARALLAX_LIVE: a turning head;
  a flat picture, however waved, leaves it still up to the mesh's jitter);
- spoof: frames repeated byte for byte (a camera's noise never repeats), or a straight frame
  (bezel, photo border) on all four sides of the face in several frames;
- unsure otherwise (a person standing quite still looks like a photo); after PASSIVE_S the
  judge asks an active challenge (blink, or turn the head left); a blink, parallax or the asked
  turn then passes; unanswered for CHALLENGE_S, the track is refused (no_response).

Thresholds are deliberately on the safe side: a wrong "unsure" costs a live customer a challenge,
a wrong "live" lets a photo in."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..engines.base import DetectedFace
from . import cues
from .base import CHALLENGES, Challenge, LivenessResult
from .mesh import FaceMesh

PARALLAX_LIVE = 0.07    # nose x in the corners' frame (robust range over the track)
TURN_LIVE = 0.08        # the same, in the asked direction (second largest after the ask), for the turn challenge
BLINK_RATIO = 0.75      # EAR under this share of the open-eye level is a closed eye
FROZEN_SPOOF = 2        # byte-identical face crops in this many frame pairs: a replay
FRAMED_SPOOF = 2        # frames with a straight frame on all four sides of the face
PASSIVE_S = 2.0         # passive cues alone this long (8 frames at 4/s), then the active challenge
CHALLENGE_S = 8.0       # the challenge unanswered this long: refused
HISTORY = 16            # frames kept per track
PERSIST_S = 0.2         # a cue (an extreme of the turn, a closed eye) counts if it lasts this long: 1 frame at 4/s, 2 at 8/s


@dataclass
class _Frame:
    ts: float
    u: float        # nose x in the corners' projective frame
    ear: float
    crop: np.ndarray


@dataclass
class MeshJudge:
    mesh: FaceMesh
    challenge_kind: Challenge
    frames: list[_Frame] = field(default_factory=list)
    started: float | None = None
    asked_at: float | None = None
    frozen_pairs: int = 0
    framed: int = 0
    decided: LivenessResult | None = None

    def add(self, rgb: np.ndarray, face: DetectedFace, ts: float) -> LivenessResult:
        if self.decided is not None:
            return self.decided
        self.started = ts if self.started is None else self.started
        pts = self.mesh.landmarks(rgb, face)
        if pts is None:
            return self._unsure(ts, {})
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        frame = _Frame(ts, float(cues.nose_in_basis(pts)[:, 0].mean()), cues.eye_aspect_ratio(pts), cues.face_crop(gray, pts))
        if self.frames and cues.frozen(self.frames[-1].crop, frame.crop):
            self.frozen_pairs += 1
        if cues.screen_edges(gray, pts) >= 1.0:
            self.framed += 1
        self.frames = [*self.frames, frame][-HISTORY:]
        drop = _persistence(self.frames)
        seen = {"parallax": round(_robust_range([f.u for f in self.frames], drop), 4), "ear": round(frame.ear, 4), "frozen": self.frozen_pairs,
                "framed": self.framed}
        if self.frozen_pairs >= FROZEN_SPOOF:
            return self._decide(LivenessResult("spoof", "frozen_frames", cues=seen))
        if self.framed >= FRAMED_SPOOF:
            return self._decide(LivenessResult("spoof", "picture_frame", cues=seen))
        # Passive cues count at any time: the challenge only asks for them (a customer standing
        # still gives neither); it does not make a recorded video any harder to stop.
        if self._blinked(self.frames, closed=drop):
            return self._decide(LivenessResult("live", "blink", cues=seen))
        if seen["parallax"] >= PARALLAX_LIVE:
            return self._decide(LivenessResult("live", "parallax", cues=seen))
        if self.asked_at is not None:
            after = [f.u for f in self.frames if f.ts >= self.asked_at]
            before = [f.u for f in self.frames if f.ts < self.asked_at] or after[:1]
            # the customer's left is the image's right: the nose moves to larger x
            if self.challenge_kind == "turn_left" and len(after) >= 2 and \
                    sorted(after)[-2] - float(np.median(before)) >= TURN_LIVE:
                return self._decide(LivenessResult("live", "challenge_turn", cues=seen))
            if ts - self.asked_at >= CHALLENGE_S:
                return self._decide(LivenessResult("spoof", "no_response", cues=seen))
        return self._unsure(ts, seen)

    def _unsure(self, ts: float, seen: dict[str, float]) -> LivenessResult:
        if self.asked_at is None and self.started is not None and ts - self.started >= PASSIVE_S:
            self.asked_at = ts
        return LivenessResult("unsure", challenge=self.challenge_kind if self.asked_at is not None else None, cues=seen)

    def _decide(self, result: LivenessResult) -> LivenessResult:
        self.decided = result
        return result

    @staticmethod
    def _blinked(frames: list[_Frame], since: float | None = None, closed: int = 1) -> bool:
        """Open, closed, open: `closed` consecutive frames whose EAR is under BLINK_RATIO of the
        open level (the track's median) with an open frame before and after them."""
        if len(frames) < 2 + closed:
            return False
        open_level = float(np.median([f.ear for f in frames]))
        for i in range(1, len(frames) - closed):
            if since is not None and frames[i].ts < since:
                continue
            if all(f.ear < BLINK_RATIO * open_level for f in frames[i:i + closed]) and \
                    max(f.ear for f in frames[:i]) > 0.9 * open_level and \
                    max(f.ear for f in frames[i + closed:]) > 0.9 * open_level:
                return True
        return False


def _persistence(frames: list[_Frame]) -> int:
    """How many frames make PERSIST_S at the track's frame rate (at least 1): a cue must last that
    long to count, so a faster camera (the page sends 8 frames/s while judging) does not give the
    mesh's per-frame jitter more chances to look like a turn or a blink."""
    if len(frames) < 2 or frames[-1].ts <= frames[0].ts:
        return 1
    fps = (len(frames) - 1) / (frames[-1].ts - frames[0].ts)
    return max(1, round(PERSIST_S * fps))


def _robust_range(values: list[float], drop: int = 1) -> float:
    """The range without the `drop` largest and smallest values: one frame of the mesh's jitter on
    a poor picture (at 4 frames/s; two at 8) moves neither end, a head's turn lasting longer does.
    Unlike a running median it costs no frame of delay."""
    if len(values) < 2 * drop + 2:
        return 0.0
    ordered = sorted(values)
    return ordered[-1 - drop] - ordered[drop]


class MeshLiveness:
    """HALLBOT_LIVENESS=mediapipe (the default). One FaceMesh shared by every track; the
    challenge alternates between blink and head turn so a recorded answer fits only half."""
    name = "mediapipe"

    def __init__(self, mesh: FaceMesh | None = None) -> None:
        self.mesh = mesh or FaceMesh()
        self._kinds = itertools.cycle(CHALLENGES)

    def track(self) -> MeshJudge:
        return MeshJudge(self.mesh, next(self._kinds))
