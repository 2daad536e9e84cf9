"""What the app vouches for with each customer turn: its own judgement of the customer's emotion
(vision/emotion_risk.py over the face service's samples), signed with the sensor key, as the turn's
metadata. The actions pause a sensitive operation on it (actions/risk_review.py). Built here, from
the camera frames this process classified with its own clock: nothing the page sends goes in."""
from __future__ import annotations

import time

from identity.proof import sign_evidence
from vision.emotion_risk import EmotionVerdict, judge

from .core import SessionCore

EVIDENCE_KEY = "emotion"   # actions/risk_review.py EVIDENCE_KEY


def verdict(core: SessionCore, now: float | None = None) -> EmotionVerdict | None:
    """The emotion of the last window; None when this kiosk has no camera processing."""
    faces = core.deps.faces
    if faces is None:
        return None
    now = time.time() if now is None else now
    return judge(list(faces.emotion_timeline(core.key).samples), now, core.deps.risk)


def turn_metadata(core: SessionCore) -> dict | None:
    """The signed verdict for a turn's metadata (None: no camera, or no key to sign with)."""
    key, now = core.deps.sensor_key, time.time()
    seen = verdict(core, now)
    if seen is None or not key:
        return None
    return {EVIDENCE_KEY: sign_evidence(key, core.conversation_id, seen.to_dict(), now)}
