"""The emotion bench (bench/bench_emotion.py) on a dataset made here from the package's portraits:
it reads labels.csv, classifies every image, and its report adds up. Not ../shared: the real
numbers are in BENCHMARKS.md."""
from __future__ import annotations

import sys
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_emotion


def test_bench_reads_a_dataset_and_reports_what_it_classified(tmp_path, portraits):
    (tmp_path / "images").mkdir()
    rows = ["file,label"]
    for i, (name, rgb) in enumerate(sorted(portraits.items())[:4]):
        cv2.imwrite(str(tmp_path / "images" / f"{name}.jpg"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        rows.append(f"images/{name}.jpg,{('happiness', 'anger')[i % 2]}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    items = bench_emotion.load(tmp_path)
    assert [label for _, label in items] == ["happy", "angry", "happy", "angry"]
    results, times = bench_emotion.classify_all(items)
    assert len(results) == len(times) == 4 and all(t > 0 for t in times)
    right = sum(truth == predicted for truth, predicted, _ in results)
    text = "\n".join(bench_emotion.report(tmp_path, results, times, frozenset({"angry"})))
    assert f"top-1 accuracy: **{right / 4:.1%}** ({right}/4)" in text
    matrix = [line for line in text.splitlines() if line.startswith(("| happy |", "| angry |"))]
    assert len(matrix) == 2 and sum(sum(int(c) for c in line.split("|")[2:-2]) for line in matrix) == 4
