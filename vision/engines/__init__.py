"""Face engines: detection + landmarks + embedding behind one interface (`FaceEngine`)."""
from __future__ import annotations

from .base import DetectedFace, EngineUnavailable, FaceEngine


def create_engine(name: str = "dlib", **kwargs) -> FaceEngine:
    """Build a backend by name: "dlib" (default, offline, commercially usable weights) or
    "insightface" (needs `pack_dir`, a deployer-supplied SCRFD + ArcFace ONNX pack)."""
    if name == "dlib":
        from .dlib_engine import DlibEngine
        return DlibEngine(**kwargs)
    if name == "insightface":
        from .insightface_engine import InsightFaceEngine
        return InsightFaceEngine(**kwargs)
    raise EngineUnavailable(f"unknown face engine {name!r} (use dlib or insightface)")


__all__ = ["DetectedFace", "EngineUnavailable", "FaceEngine", "create_engine"]
