"""Vision settings: the engine's tuning, with the deployer's choices from hallbot/settings.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hallbot.settings import VisionSettings, default_var_dir


@dataclass
class VisionConfig:
    var_dir: Path = field(default_factory=default_var_dir)
    db_url: str | None = None          # SQLAlchemy URL; default sqlite:///<var>/face.db
    key: str | None = None             # Fernet key; default from HALLBOT_FACE_KEY or <var>/face.key
    backend: str = "dlib"              # "dlib" | "insightface"
    insightface_pack: Path | None = None
    # Decision thresholds on cosine similarity of L2-normalised embeddings. Calibrated for the
    # dlib ResNet model by `python -m vision.calibrate` (docs/vision.md has the numbers).
    match_threshold: float = 0.92
    match_margin: float = 0.02
    verify_threshold: float = 0.91     # ID photo vs live face (1:1); the ID photo is small and old
    recent_window_s: float = 1800.0    # "recently served": no new greeting / staff notice
    enrol_max_attempts: int = 2        # after this many failed live captures -> staff
    min_face_px: int = 60
    max_yaw: float = 0.35              # nose offset / inter-eye distance
    max_roll_deg: float = 30.0  # roll is undone by alignment; yaw is what hurts
    min_sharpness: float = 40.0        # variance of the Laplacian on the 112px face crop
    min_brightness: float = 60.0
    max_brightness: float = 210.0
    frames_per_track: int = 3          # pick the best of this many good frames before identifying
    detect_upsample: int = 0           # dlib HOG upsampling for 640x480 frames
    emotion: bool = True
    liveness: str = "mediapipe"        # HALLBOT_LIVENESS: mediapipe | off

    @classmethod
    def from_env(cls) -> VisionConfig:
        env = VisionSettings.from_env()
        return cls(db_url=env.face_db, key=env.face_key, backend=env.backend, insightface_pack=env.insightface_pack,
                   match_threshold=env.match_threshold, match_margin=env.match_margin,
                   verify_threshold=env.verify_threshold, recent_window_s=env.recent_window_s,
                   liveness=env.liveness)

    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.var_dir / 'face.db'}"
