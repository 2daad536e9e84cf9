"""Synthetic camera sequences for liveness tests and benchmarks. There is no video of a live face
on the build machine, so a "live" head is rendered honestly from one real portrait:

- the MediaPipe face mesh of the portrait gives 468 x, y, z points; with a ring of anchors on
  the image border (depth of the face's back) they are triangulated once (Delaunay, on x, y);
- each frame rotates the points a few degrees about a vertical axis through the head (yaw),
  projects them orthographically and warps every triangle's texture affinely to its new place,
  far triangles first (painter's order): a textured 3D head whose nose, cheeks and face outline
  move by different amounts, the motion parallax a flat photo cannot produce;
- a blink moves the upper-eyelid points onto the lower lid in the warp (the lid skin is
  stretched over the eye), then back;
- every frame gets its own sensor noise, as a camera's would.

Spoofs are the same portrait as a flat object: a printed photo (white border on a wall) moved,
scaled, rotated and tilted in perspective (every frame one homography of the photo), the photo on a
"screen" (black bezel, moiré grating, glare) waved the same way, and a replay of identical stills.
What this cannot tell: how a real head, real skin and a real camera behave (docs/vision.md)."""
from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import cv2
import numpy as np

from ..engines.base import DetectedFace

WALL = (188, 192, 196)
FRAME_W, FRAME_H = 640, 480

# Eyelid contours of the MediaPipe mesh, outer to inner corner: upper lid i closes onto lower lid i.
LEFT_UPPER = (246, 161, 160, 159, 158, 157, 173)
LEFT_LOWER = (7, 163, 144, 145, 153, 154, 155)
RIGHT_UPPER = (466, 388, 387, 386, 385, 384, 398)
RIGHT_LOWER = (249, 390, 373, 374, 380, 381, 382)
# The crease above each lid follows it half-way, so the lid skin stretches like a lid, not a sheet.
LEFT_CREASE = (247, 30, 29, 27, 28, 56, 190)
RIGHT_CREASE = (467, 260, 259, 257, 258, 286, 414)


def _detect(rgb: np.ndarray) -> DetectedFace:
    from ..engines import create_engine
    faces = create_engine("dlib").detect(rgb)
    if not faces:
        raise ValueError("no face in the portrait")
    return max(faces, key=lambda f: f.area)


def portrait_mesh(rgb: np.ndarray) -> np.ndarray:
    """(468, 3) mesh points of the portrait, in its pixels."""
    from .mesh import FaceMesh
    pts = FaceMesh().landmarks(rgb, _detect(rgb))
    if pts is None:
        raise ValueError("the face mesh found no face in the portrait")
    return pts


class HeadRenderer:
    """Renders one portrait as a 3D head: `frame(yaw_deg, blink)` -> RGB of the portrait's size."""

    def __init__(self, portrait: np.ndarray, mesh: np.ndarray | None = None) -> None:
        self.src = np.ascontiguousarray(portrait)
        h, w = self.src.shape[:2]
        pts = portrait_mesh(self.src) if mesh is None else mesh.astype(np.float64)
        self.mesh = pts.astype(np.float64)
        self.centre = np.array([pts[:, 0].mean(), 0.0, pts[:, 2].mean() + 0.35 * (pts[:, 0].max() - pts[:, 0].min())])
        back = float(pts[:, 2].max())
        ring = [(x, y) for x in np.linspace(0, w - 1, 9) for y in (0, h - 1)] + \
               [(x, y) for y in np.linspace(0, h - 1, 9)[1:-1] for x in (0, w - 1)]
        # a looser ring around the face: hair and neck follow the head part-way
        cx, cy = pts[:, 0].mean(), pts[:, 1].mean()
        rx, ry = (pts[:, 0].max() - pts[:, 0].min()) * 0.75, (pts[:, 1].max() - pts[:, 1].min()) * 0.72
        halo = [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in np.linspace(0, 2 * math.pi, 16, endpoint=False)]
        self.anchors = np.array(ring, dtype=np.float64)
        self.halo = np.array([(x, y, back) for x, y in halo], dtype=np.float64)
        all2d = np.vstack([self.mesh[:, :2], self.halo[:, :2], self.anchors])
        subdiv = cv2.Subdiv2D((-2, -2, w + 4, h + 4))
        for x, y in all2d:
            subdiv.insert((float(min(max(x, 0), w - 1)), float(min(max(y, 0), h - 1))))
        index = {(round(min(max(x, 0), w - 1), 3), round(min(max(y, 0), h - 1), 3)): i for i, (x, y) in enumerate(all2d)}
        tris = []
        for t in subdiv.getTriangleList():
            ids = [index.get((round(float(t[k]), 3), round(float(t[k + 1]), 3))) for k in (0, 2, 4)]
            if None not in ids:
                tris.append(ids)
        self.triangles = np.array(tris, dtype=np.int64)
        self.src2d = np.vstack([np.clip(self.mesh[:, :2], 0, [w - 1, h - 1]), self.halo[:, :2], self.anchors])

    def _points(self, yaw_deg: float, blink: float) -> tuple[np.ndarray, np.ndarray]:
        pts = self.mesh.copy()
        for upper, lower, crease in ((LEFT_UPPER, LEFT_LOWER, LEFT_CREASE), (RIGHT_UPPER, RIGHT_LOWER, RIGHT_CREASE)):
            up, lo = pts[list(upper)], pts[list(lower)]
            shift = (lo - up) * 0.92 * blink
            pts[list(upper)] = up + shift
            pts[list(crease)] = pts[list(crease)] + shift * 0.5
        a = math.radians(yaw_deg)
        c, s = math.cos(a), math.sin(a)
        rel = pts - self.centre
        rot = rel.copy()
        rot[:, 0] = rel[:, 0] * c + rel[:, 2] * s
        rot[:, 2] = -rel[:, 0] * s + rel[:, 2] * c
        rot += self.centre
        halo = self.halo.copy()
        hrel = halo - self.centre
        halo[:, 0] = self.centre[0] + (hrel[:, 0] * c + hrel[:, 2] * s - hrel[:, 0]) * 0.5 + hrel[:, 0]
        xy = np.vstack([rot[:, :2], halo[:, :2], self.anchors])
        depth = np.concatenate([rot[:, 2], halo[:, 2], np.full(len(self.anchors), 1e9)])
        return xy, depth

    def frame(self, yaw_deg: float = 0.0, blink: float = 0.0) -> np.ndarray:
        dst_xy, depth = self._points(yaw_deg, blink)
        out = self.src.copy()
        order = np.argsort(-depth[self.triangles].mean(axis=1))  # far first
        for tri in self.triangles[order]:
            _warp_triangle(self.src, out, self.src2d[tri], dst_xy[tri])
        return out


def _warp_triangle(src: np.ndarray, dst: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    h, w = dst.shape[:2]
    x0, y0 = np.floor(b.min(axis=0)).astype(int)
    x1, y1 = np.ceil(b.max(axis=0)).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    area = (b[1, 0] - b[0, 0]) * (b[2, 1] - b[0, 1]) - (b[2, 0] - b[0, 0]) * (b[1, 1] - b[0, 1])
    if abs(area) < 1e-3:
        return
    m = cv2.getAffineTransform(a.astype(np.float32), (b - [x0, y0]).astype(np.float32))
    patch = cv2.warpAffine(src, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(mask, np.round((b - [x0, y0]) * 4).astype(np.int32), (1,), lineType=cv2.LINE_8, shift=2)
    region = dst[y0:y1, x0:x1]
    region[mask > 0] = patch[mask > 0]


# -- putting a picture in a camera frame ----------------------------------------------------
def on_wall(picture: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
    frame = np.full((FRAME_H, FRAME_W, 3), WALL, np.uint8)
    h, w = picture.shape[:2]
    y, x = (FRAME_H - h) // 2 + dy, (FRAME_W - w) // 2 + dx
    frame[y:y + h, x:x + w] = picture
    return frame


def camera_noise(frame: np.ndarray, rng: np.random.Generator, sigma: float = 2.0) -> np.ndarray:
    noisy = frame.astype(np.float32) + rng.normal(0.0, sigma, frame.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


SWING_S = 2.0   # one left-right swing of the head
BLINK_S = 0.25  # the eye stays closed this long (a real blink: 0.1-0.4 s)


def live_sequence(portrait: np.ndarray, n: int = 12, seed: int = 0, yaw_deg: float = 7.0,
                  blink_at: Sequence[int] = (5,), fps: float = 4.0) -> list[np.ndarray]:
    """A live head filmed at `fps`: turning `yaw_deg` left and right (one swing per SWING_S),
    swaying a few pixels, blinking at the moments `blink_at` names in frames at 4 fps (so a
    sequence at 8 fps shows the same head at twice the frames: motion is in time, not frames)."""
    return _live(_portrait_key(portrait), n, seed, yaw_deg, tuple(blink_at), float(fps))


_PORTRAITS: dict[int, np.ndarray] = {}


def _portrait_key(portrait: np.ndarray) -> int:
    key = hash(portrait.tobytes())
    _PORTRAITS.setdefault(key, np.ascontiguousarray(portrait))
    return key


@lru_cache(maxsize=4)
def _renderer(key: int) -> HeadRenderer:
    return HeadRenderer(_PORTRAITS[key])


@lru_cache(maxsize=16)
def _live(key: int, n: int, seed: int, yaw_deg: float, blink_at: tuple[int, ...], fps: float) -> list[np.ndarray]:
    head = _renderer(key)
    rng = np.random.default_rng(seed)
    phase = float(rng.uniform(0, 2 * math.pi))
    blinks = [b / 4.0 for b in blink_at]
    out = []
    for i in range(n):
        t = i / fps
        yaw = yaw_deg * math.sin(phase + t * 2 * math.pi / SWING_S)
        blink = 1.0 if any(b <= t + 1e-9 < b + BLINK_S for b in blinks) else 0.0
        img = head.frame(yaw, blink)
        out.append(camera_noise(on_wall(img, dx=round(3 * math.sin(4 * t / 3)), dy=round(2 * math.cos(t))), rng))
    return [f.copy() for f in out]


def photo_card(portrait: np.ndarray, border: int = 18) -> np.ndarray:
    """A printed photo: the portrait with a white paper border, a little less contrast."""
    faded = (portrait.astype(np.float32) * 0.9 + 16).astype(np.uint8)
    return cv2.copyMakeBorder(faded, border, border, border, border, cv2.BORDER_CONSTANT, value=(245, 245, 240))


def screen_picture(portrait: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The portrait on a phone or tablet: black bezel, a moiré grating, a glare spot."""
    h, w = portrait.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = float(rng.uniform(0.2, 0.6))
    grating = 1.0 + 0.08 * np.sin((xx * math.cos(angle) + yy * math.sin(angle)) * 2 * math.pi / 3.1)
    gx, gy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.1, 0.4) * h
    glare = 70.0 * np.exp(-(((xx - gx) / (0.25 * w)) ** 2 + ((yy - gy) / (0.18 * h)) ** 2))
    lit = portrait.astype(np.float32) * grating[..., None] + glare[..., None]
    shown = np.clip(lit, 0, 255).astype(np.uint8)
    return cv2.copyMakeBorder(shown, 14, 30, 14, 14, cv2.BORDER_CONSTANT, value=(12, 12, 14))


def plane_motion(picture: np.ndarray, i: float, rng_phase: float, amount: float = 1.0) -> np.ndarray:
    """A flat picture held up and waved, at frame i of a 4 fps camera (fractional at faster
    ones): shifted, scaled, rotated in plane and tilted about both axes with perspective. Every
    frame is one homography of the picture."""
    h, w = picture.shape[:2]
    t = rng_phase + i * 2 * math.pi / 8
    tilt_y = math.radians(22 * amount * math.sin(t))        # turned left/right (the head-turn imitation)
    tilt_x = math.radians(10 * amount * math.cos(1.3 * t))  # tipped forward/back
    roll = math.radians(6 * amount * math.sin(0.7 * t))
    scale = 1.0 + 0.08 * amount * math.sin(0.5 * t)
    f = 900.0  # the camera's focal length in pixels: a photo 40 cm away
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]], dtype=np.float64)
    out = []
    for cx, cy in corners:
        sx, sy = cx * scale, cy * scale
        rx, ry = sx * math.cos(roll) - sy * math.sin(roll), sx * math.sin(roll) + sy * math.cos(roll)
        x, z = rx * math.cos(tilt_y), rx * math.sin(tilt_y)
        y, z = ry * math.cos(tilt_x), z + ry * math.sin(tilt_x)
        k = f / (f + z)
        out.append((FRAME_W / 2 + 12 * amount * math.sin(t) + x * k, FRAME_H / 2 + 6 * amount * math.cos(t) + y * k))
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(src, np.array(out, dtype=np.float32))
    frame = np.full((FRAME_H, FRAME_W, 3), WALL, np.uint8)
    warped = cv2.warpPerspective(picture, m, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT,
                                 dst=frame)
    return warped


def photo_sequence(portrait: np.ndarray, n: int = 12, seed: int = 0, amount: float = 1.0,
                   fps: float = 4.0) -> list[np.ndarray]:
    """A printed photo waved in front of the camera (with camera noise)."""
    rng = np.random.default_rng(seed)
    card, phase = photo_card(portrait), float(rng.uniform(0, 2 * math.pi))
    return [camera_noise(plane_motion(card, i * 4.0 / fps, phase, amount), rng) for i in range(n)]


def screen_sequence(portrait: np.ndarray, n: int = 12, seed: int = 0, amount: float = 1.0,
                    fps: float = 4.0) -> list[np.ndarray]:
    """The portrait on a screen held up and moved (with camera noise)."""
    rng = np.random.default_rng(seed)
    shown, phase = screen_picture(portrait, rng), float(rng.uniform(0, 2 * math.pi))
    return [camera_noise(plane_motion(shown, i * 4.0 / fps, phase, amount), rng) for i in range(n)]


def shifted_sequence(portrait: np.ndarray, n: int = 12, seed: int = 0) -> list[np.ndarray]:
    """The enrolled portrait itself moved a few pixels (today's demo trick), with camera noise."""
    rng = np.random.default_rng(seed)
    return [camera_noise(on_wall(portrait, dx=int(rng.integers(-4, 5)), dy=int(rng.integers(-2, 3))), rng) for _ in range(n)]


def replay_sequence(portrait: np.ndarray, n: int = 12, stills: int = 3, seed: int = 0) -> list[np.ndarray]:
    """A replay of a few identical stills (a virtual camera looping pictures): `stills` noisy
    captures of the photo, each repeated byte for byte."""
    rng = np.random.default_rng(seed)
    shots = [camera_noise(on_wall(portrait, dx=2 * k), rng) for k in range(stills)]
    return [shots[(i * stills) // n] for i in range(n)]
