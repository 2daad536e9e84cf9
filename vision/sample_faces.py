"""Real face photos that ship inside installed dependencies, for tests, calibration and
benchmarks (no downloads; nothing copied into the repository):

  - insightface==2.1 wheel: data/images/t1.jpg (a group photo, 6 people) and
    data/images/Tom_Hanks_54745.png (112x112 face crop); insightface's demo images.
  - scikit-image: data.astronaut() (Eileen Collins, NASA photo, public domain).

That is 8 identities with one photo each; `labelled_set` adds synthetic captures of each
(rotation, scale, light, blur, JPEG, mirror) so genuine pairs exist. See docs/vision.md for
what this set can and cannot tell."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {name} is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def group_photo_path() -> Path:
    return _package_dir("insightface") / "data" / "images" / "t1.jpg"


def load_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(path)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def group_photo() -> np.ndarray:
    return load_rgb(group_photo_path())


def astronaut() -> np.ndarray:
    from skimage import data
    return np.ascontiguousarray(data.astronaut())


def tom_hanks() -> np.ndarray:
    return load_rgb(_package_dir("insightface") / "data" / "images" / "Tom_Hanks_54745.png")


# Face boxes (x1, y1, x2, y2) of the six people in t1.jpg (found by dlib HOG, fixed here so the
# identities do not depend on a detector run).
GROUP_BOXES = {
    "t1-a": (65, 284, 169, 388), "t1-b": (734, 365, 837, 469), "t1-c": (1114, 284, 1217, 388),
    "t1-d": (452, 300, 577, 424), "t1-e": (275, 179, 362, 266), "t1-f": (883, 89, 987, 192),
}


def crop_around(rgb: np.ndarray, box: tuple[int, int, int, int], scale: float = 2.2, out: int = 320) -> np.ndarray:
    """A portrait-like square crop centred on the face box, face about out/scale pixels wide."""
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * scale
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    m = np.array([[out / side, 0, out / 2 - cx * out / side], [0, out / side, out / 2 - cy * out / side]])
    return cv2.warpAffine(rgb, m, (out, out), borderMode=cv2.BORDER_REFLECT)


def identities() -> dict[str, np.ndarray]:
    """identity -> one real portrait (RGB, 320x320)."""
    g = group_photo()
    out = {name: crop_around(g, box) for name, box in GROUP_BOXES.items()}
    out["astronaut"] = crop_around(astronaut(), (179, 83, 266, 170))
    tom = cv2.copyMakeBorder(tom_hanks(), 56, 56, 56, 56, cv2.BORDER_REFLECT)
    out["tom"] = crop_around(tom, (62, 82, 152, 167))
    return out


# -- synthetic captures ---------------------------------------------------------------------
def rotate(rgb: np.ndarray, deg: float, scale: float = 1.0) -> np.ndarray:
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, scale)
    return cv2.warpAffine(rgb, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def darken(rgb: np.ndarray, factor: float) -> np.ndarray:
    return np.clip(rgb.astype(np.float32) * factor, 0, 255).astype(np.uint8)


def blur(rgb: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(rgb, (0, 0), sigma)


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def captures(rgb: np.ndarray, seed: int) -> list[np.ndarray]:
    """Six plausible 'other captures' of the same person."""
    rng = np.random.default_rng(seed)
    r = lambda a, b: float(rng.uniform(a, b))
    return [
        rotate(rgb, r(-12, 12), r(0.85, 1.15)),
        darken(rgb, r(0.55, 0.75)),
        jpeg(blur(rgb, r(0.8, 1.4)), int(r(30, 50))),
        np.ascontiguousarray(rgb[:, ::-1]),
        rotate(darken(rgb, r(1.1, 1.3)), r(-6, 6), r(0.75, 0.9)),
        jpeg(rotate(rgb, r(-8, 8), r(1.05, 1.2)), 60),
    ]


@dataclass(frozen=True)
class LabelledImage:
    identity: str
    variant: str
    rgb: np.ndarray


def labelled_set() -> list[LabelledImage]:
    out = []
    for i, (name, rgb) in enumerate(sorted(identities().items())):
        out.append(LabelledImage(name, "original", rgb))
        out += [LabelledImage(name, f"capture{j}", img) for j, img in enumerate(captures(rgb, seed=i))]
    return out
