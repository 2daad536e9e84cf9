"""How good is the emotion model (vision/emotion.py, fer's mini-Xception) on labelled faces? The risk
review (vision/emotion_risk.py) pauses operations on it, so BENCHMARKS.md states it honestly.

    .venv/bin/python bench/bench_emotion.py ../shared/data/expressions_muxspace_dev [--out BENCHMARKS.md]

The dataset: a folder with labels.csv (file,label) and the images it names. Each image goes through
what the kiosk does: the dlib detector, the largest face, the classifier's own crop; an image where no
face is found is classified whole (many are tight face crops) and counted apart. Reports top-1
accuracy over the dataset's classes, per-class recall, the confusion matrix, and the risk flag
(abnormal = HALLBOT_RISK_EMOTIONS) as precision/recall: the figure the decision depends on."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from collections import Counter
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from load_stats import percentile  # noqa: E402  (bench/ is on sys.path when run as a script)
from machine_info import describe  # noqa: E402

from hallbot.settings import RiskSettings  # noqa: E402
from vision.emotion import LABELS, EmotionClassifier  # noqa: E402
from vision.engines import create_engine  # noqa: E402
from vision.image_io import to_rgb  # noqa: E402

# Dataset label words -> the model's labels (vision/emotion.py LABELS).
TO_MODEL = {"anger": "angry", "angry": "angry", "disgust": "disgust", "fear": "fear", "happiness": "happy",
            "happy": "happy", "sadness": "sad", "sad": "sad", "surprise": "surprise", "neutral": "neutral",
            "contempt": "disgust"}


def load(dataset: Path) -> list[tuple[Path, str]]:
    with (dataset / "labels.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [(dataset / r["file"], TO_MODEL[r["label"].strip().lower()]) for r in rows]


def classify_all(items: list[tuple[Path, str]]) -> tuple[list[tuple[str, str, bool]], list[float]]:
    """(truth, predicted, face_found) per image, and the ms each took (detection + classification)."""
    engine, model = create_engine("dlib"), EmotionClassifier()
    results, times = [], []
    for path, truth in items:
        rgb = to_rgb(path.read_bytes())
        start = time.perf_counter()
        faces = engine.detect(rgb)
        if faces:
            emotion = model.classify(rgb, max(faces, key=lambda f: f.area))
        else:
            gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            emotion = model.classify_gray(cv2.resize(gray, (model.size, model.size), interpolation=cv2.INTER_AREA))
        times.append((time.perf_counter() - start) * 1000)
        results.append((truth, emotion.label, bool(faces)))
    return results, times


def report(dataset: Path, results: list[tuple[str, str, bool]], times: list[float], abnormal: frozenset[str]) -> list[str]:
    classes = [c for c in LABELS if any(t == c for t, _, _ in results)]
    n = len(results)
    right = sum(t == p for t, p, _ in results)
    found = [(t, p) for t, p, f in results if f]
    lines = [f"## Emotion model on labelled faces (bench/bench_emotion.py) — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
             "", f"Machine: {describe()}.",
             f"Command: `.venv/bin/python bench/bench_emotion.py {dataset}`. Model: vision/models/emotion_model_quantized.tflite "
             "(fer mini-Xception, 7 classes); dlib detector, largest face, the classifier's own crop.",
             f"Dataset: {dataset.name}, {n} images, {len(classes)} classes, student labels of unknown noise (a smoke test, not a benchmark).",
             "", f"- top-1 accuracy: **{right / n:.1%}** ({right}/{n}); chance {1 / len(classes):.1%}; "
             f"faces found by the detector {len(found)}/{n} (accuracy on those {sum(t == p for t, p in found) / max(len(found), 1):.1%})",
             f"- per image (detect + classify): median {percentile(times, 50):.0f} ms, p95 {percentile(times, 95):.0f} ms", ""]
    lines += ["| true \\ predicted | " + " | ".join(LABELS) + " | recall |", "|---|" + "---|" * (len(LABELS) + 1)]
    for c in classes:
        row = Counter(p for t, p, _ in results if t == c)
        total = sum(row.values())
        lines.append(f"| {c} | " + " | ".join(str(row[p]) for p in LABELS) + f" | {row[c] / total:.0%} |")
    truth_flag = [t in abnormal for t, _, _ in results]
    pred_flag = [p in abnormal for _, p, _ in results]
    tp = sum(a and b for a, b in zip(truth_flag, pred_flag))
    precision = tp / max(sum(pred_flag), 1)
    recall = tp / max(sum(truth_flag), 1)
    false_alarm = sum(b and not a for a, b in zip(truth_flag, pred_flag)) / max(n - sum(truth_flag), 1)
    lines += ["", f"Risk flag (abnormal = {', '.join(sorted(abnormal))}): per image precision {precision:.0%}, "
              f"recall {recall:.0%}, false alarms on the other faces {false_alarm:.0%} "
              f"({sum(truth_flag)} abnormal images of {n}).", ""]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", type=Path, help="folder with labels.csv (file,label) and the images")
    ap.add_argument("--out", type=Path, default=None, help="append the section to this Markdown file")
    args = ap.parse_args()
    items = load(args.dataset)
    results, times = classify_all(items)
    lines = report(args.dataset, results, times, RiskSettings.from_env().emotions)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with args.out.open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
