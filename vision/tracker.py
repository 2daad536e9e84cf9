"""Follow a face across frames (IoU matching) so identification uses the best frame of a
track and a person standing in front of the robot is identified once, not every frame."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Track:
    track_id: int
    bbox: tuple[float, ...]
    last_ts: float
    good_frames: int = 0
    best_score: float = -1.0
    best: Any = None            # (rgb, face) of the best frame so far
    decided: bool = False       # identified (or judged unknown) already
    result: Any = None          # the event emitted when decided
    extra: dict = field(default_factory=dict)


class FaceTracker:
    def __init__(self, iou_threshold: float = 0.3, max_age_s: float = 2.0) -> None:
        self.iou_threshold = iou_threshold
        self.max_age_s = max_age_s
        self.tracks: list[Track] = []
        self._next_id = 1

    def update(self, bbox: tuple[float, ...], ts: float) -> Track:
        """The track this detection belongs to (a new one if none overlaps enough)."""
        self.tracks = [t for t in self.tracks if ts - t.last_ts <= self.max_age_s]
        best = max(self.tracks, key=lambda t: iou(t.bbox, bbox), default=None)
        if best is None or iou(best.bbox, bbox) < self.iou_threshold:
            best = Track(self._next_id, bbox, ts)
            self._next_id += 1
            self.tracks.append(best)
        best.bbox, best.last_ts = bbox, ts
        return best

    def offer(self, track: Track, quality_score: float, frame: Any) -> None:
        track.good_frames += 1
        if quality_score > track.best_score:
            track.best_score, track.best = quality_score, frame
