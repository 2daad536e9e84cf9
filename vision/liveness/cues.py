"""Liveness cues from face-mesh points (pure numpy/OpenCV, no model), each with its reason:

- eye aspect ratio (EAR, Soukupová & Čech 2016): lid gap over eye width; a blink is a dip well
  below the track's open-eye level and a recovery. A photo cannot blink.
- planar residual: the landmarks of a flat picture (a print, a screen) moved, tilted or waved
  move by one homography between any two frames, whatever the motion. A real head turning moves
  its nose, cheeks and outline by different amounts (parallax): no homography explains it. The
  residual of the best homography, in units of the eye distance, separates the two; the
  residual of the best similarity (shift, scale, in-plane rotation) says whether there was enough
  motion to tell at all.
- yaw: the nose tip's sideways offset from the eye-corner midpoint (for a head-turn challenge).
- frozen: two frames whose face crops are the same to the byte (a camera always adds noise).
- screen edges: long straight dark-to-light edges framing the face (a phone's bezel)."""
from __future__ import annotations

import cv2
import numpy as np

LEFT_EYE = (33, 160, 158, 133, 153, 144)    # p1..p6: outer corner, upper lid x2, inner corner, lower lid x2
RIGHT_EYE = (263, 387, 385, 362, 380, 373)
EYE_CORNERS = (33, 133, 362, 263)
NOSE_TIP = 1
# Points used for the planar test: everything except the eyelids and lips, which move on a live
# face for reasons other than the head's shape (blinks, speech).
_MOVING = {7, 33, 133, 144, 145, 153, 154, 155, 157, 158, 159, 160, 161, 163, 173, 246,
           249, 263, 362, 373, 374, 380, 381, 382, 384, 385, 386, 387, 388, 390, 398, 466,
           0, 13, 14, 17, 37, 39, 40, 61, 78, 80, 81, 82, 84, 87, 88, 91, 95, 146, 178, 181, 185, 191,
           267, 269, 270, 291, 308, 310, 311, 312, 314, 317, 318, 321, 324, 375, 402, 405, 409, 415}
RIGID = np.array([i for i in range(468) if i not in _MOVING])


def eye_distance(pts: np.ndarray) -> float:
    left = pts[[33, 133], :2].mean(axis=0)
    right = pts[[362, 263], :2].mean(axis=0)
    return float(np.linalg.norm(right - left)) or 1e-6


def eye_aspect_ratio(pts: np.ndarray) -> float:
    """Mean EAR of both eyes: ~0.25-0.35 open, under ~0.15 closed."""
    def one(idx: tuple[int, ...]) -> float:
        p = pts[list(idx), :2]
        width = float(np.linalg.norm(p[0] - p[3])) or 1e-6
        return float(np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2.0 * width)
    return (one(LEFT_EYE) + one(RIGHT_EYE)) / 2.0


def yaw(pts: np.ndarray) -> float:
    """Nose-tip offset from the eye-corner midpoint along the eye line, in eye distances
    (image coordinates: positive = the nose points to the image's right)."""
    left = pts[[33, 133], :2].mean(axis=0)
    right = pts[[362, 263], :2].mean(axis=0)
    axis = (right - left) / eye_distance(pts)
    return float(np.dot(pts[NOSE_TIP, :2] - (left + right) / 2.0, axis)) / eye_distance(pts)


def _rms(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(((a - b) ** 2).sum(axis=1).mean()))


def similarity_residual(a: np.ndarray, b: np.ndarray) -> float:
    """RMS distance (eye distances) left after the best shift + scale + rotation from a to b."""
    src, dst = a[RIGID, :2].astype(np.float64), b[RIGID, :2].astype(np.float64)
    m, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
    if m is None:
        return 0.0
    return _rms(src @ m[:, :2].T + m[:, 2], dst) / eye_distance(b)


def planar_residual(a: np.ndarray, b: np.ndarray) -> float:
    """RMS distance (eye distances) left after the best homography from a to b (least squares
    on every rigid point: a flat picture leaves only the mesh's own jitter)."""
    src, dst = a[RIGID, :2].astype(np.float64), b[RIGID, :2].astype(np.float64)
    h, _ = cv2.findHomography(src, dst, 0)
    if h is None:
        return 0.0
    proj = cv2.perspectiveTransform(src[None], h)[0]
    return _rms(proj, dst) / eye_distance(b)


def face_crop(gray: np.ndarray, pts: np.ndarray, size: int = 48) -> np.ndarray:
    """A small grey crop of the face's box (for the frozen-frame test)."""
    x0, y0 = np.maximum(pts[:, :2].min(axis=0).astype(int), 0)
    x1, y1 = pts[:, :2].max(axis=0).astype(int) + 1
    crop = gray[y0:y1, x0:x1]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA) if crop.size else np.zeros((size, size), np.uint8)


def frozen(a: np.ndarray, b: np.ndarray) -> bool:
    """The same crop to within rounding: a real camera's noise never repeats."""
    return a.shape == b.shape and float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean()) < 0.05


def screen_edges(gray: np.ndarray, pts: np.ndarray) -> float:
    """0..1: how much of a straight frame (bezel or photo border) surrounds the face: the share of
    the four sides, about a face width out, that carry one long straight edge."""
    x0, y0 = pts[:, :2].min(axis=0)
    x1, y1 = pts[:, :2].max(axis=0)
    w, h = x1 - x0, y1 - y0
    H, W = gray.shape[:2]
    edges = cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), 60, 150)
    lines = cv2.HoughLinesP(edges, 1, np.pi / 180, threshold=40, minLineLength=int(0.9 * max(w, h)), maxLineGap=6)
    if lines is None:
        return 0.0
    sides = set()
    for x_a, y_a, x_b, y_b in lines[:, 0]:
        dx, dy = x_b - x_a, y_b - y_a
        mx, my = (x_a + x_b) / 2, (y_a + y_b) / 2
        if abs(dx) > 3 * abs(dy):     # horizontal: above or below the face
            if my < y0 - 0.1 * h and x0 - w < mx < x1 + w:
                sides.add("top")
            elif my > y1 + 0.1 * h and x0 - w < mx < x1 + w:
                sides.add("bottom")
        elif abs(dy) > 3 * abs(dx):   # vertical: left or right of the face
            if mx < x0 - 0.05 * w and y0 - h < my < y1 + h:
                sides.add("left")
            elif mx > x1 + 0.05 * w and y0 - h < my < y1 + h:
                sides.add("right")
    del H, W
    return len(sides) / 4.0


BASIS = (33, 263, 291, 61)   # outer eye corners, mouth corners: four points near one plane
OUT_OF_PLANE = (1, 4, 5, 195)  # nose tip and ridge: the furthest forward


def nose_in_basis(pts: np.ndarray) -> np.ndarray:
    """The nose points in the projective frame of the eye and mouth corners. A homography of
    the whole face (any motion of a flat picture) leaves these coordinates unchanged; a head
    turning moves the nose out of that plane's frame (parallax)."""
    src = pts[list(BASIS), :2].astype(np.float32)
    dst = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float32)
    h = cv2.getPerspectiveTransform(src, dst)
    return cv2.perspectiveTransform(pts[list(OUT_OF_PLANE), :2].astype(np.float64)[None], h.astype(np.float64))[0]


def parallax(a: np.ndarray, b: np.ndarray) -> float:
    """How far the nose moved in the corners' projective frame between two frames (x only:
    the sideways turn; mean over the nose points)."""
    return float(np.abs(nose_in_basis(a)[:, 0] - nose_in_basis(b)[:, 0]).mean())
