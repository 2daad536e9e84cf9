"""Vision benchmarks: detection + embedding per 640x480 frame, face-in-view -> identified
latency, verification accuracy on the package-shipped labelled photo set, and 1:N search
latency vs gallery size (ANN index vs exact brute force as the baseline). Appends a section
to BENCHMARKS.md.

    .venv/bin/python bench/bench_vision.py [--sizes 10000,100000,1000000] [--queries 500]"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machine_info import describe  # noqa: E402  (bench/ is on sys.path when run as a script)
from percentiles import pct  # noqa: E402

from vision.ann_index import AnnIndex  # noqa: E402
from vision.calibrate import calibrate, pair_scores  # noqa: E402
from vision.config import VisionConfig  # noqa: E402
from vision.emotion import EmotionClassifier  # noqa: E402
from vision.engines import create_engine  # noqa: E402
from vision.engines.dlib_engine import DlibEngine  # noqa: E402
from vision.events import FaceRecognized  # noqa: E402
from vision.image_io import encode_jpeg, to_rgb  # noqa: E402
from vision.quality import QualityLimits, assess  # noqa: E402
from vision.sample_faces import group_photo, identities, labelled_set  # noqa: E402


def frame_640(portrait: np.ndarray, face_px: int = 150) -> np.ndarray:
    """A 640x480 camera-like frame: the group photo as background, a portrait in the middle
    scaled so the face is about `face_px` wide (a customer ~1 m from the robot)."""
    bg = cv2.resize(group_photo(), (640, 480))
    side = int(portrait.shape[0] * face_px / 145)
    p = cv2.resize(portrait, (side, side))
    y, x = max(240 - side // 2, 0), 320 - side // 2
    h = min(side, 480 - y)
    bg[y:y + h, x:x + side] = p[:h]
    return bg


def bench_frames(lines: list[str], n_frames: int) -> None:
    portraits = identities()
    frames = [encode_jpeg(frame_640(portraits[n])) for n in ("astronaut", "t1-b", "t1-d", "tom")]
    emo = EmotionClassifier()
    limits = QualityLimits()
    lines.append("### Per frame, 640x480 JPEG, one customer face ~150 px (+ smaller faces in the background)\n")
    lines.append("| pipeline | decode ms | detect+landmarks ms | quality ms | embedding ms | emotion ms | total p50 / p95 ms |")
    lines.append("|---|---|---|---|---|---|---|")
    for label, engine in (("dlib HOG, upsample 0 (default)", DlibEngine(upsample=0)),
                          ("baseline: dlib HOG, upsample 1", DlibEngine(upsample=1))):
        rows = {k: [] for k in ("decode", "detect", "quality", "embed", "emotion", "total")}
        for i in range(n_frames):
            jpg = frames[i % len(frames)]
            t0 = time.perf_counter()
            rgb = to_rgb(jpg)
            t1 = time.perf_counter()
            faces = engine.detect(rgb)
            t2 = time.perf_counter()
            face = max(faces, key=lambda f: f.area)
            assess(rgb, face, limits)
            t3 = time.perf_counter()
            engine.embed(rgb, face)
            t4 = time.perf_counter()
            emo.classify(rgb, face)
            t5 = time.perf_counter()
            for k, a, b in (("decode", t0, t1), ("detect", t1, t2), ("quality", t2, t3), ("embed", t3, t4),
                            ("emotion", t4, t5), ("total", t0, t5)):
                rows[k].append((b - a) * 1000)
        med = {k: statistics.median(v) for k, v in rows.items()}
        lines.append(f"| {label} | {med['decode']:.1f} | {med['detect']:.1f} | {med['quality']:.1f} | {med['embed']:.1f} "
                     f"| {med['emotion']:.1f} | {med['total']:.0f} / {pct(rows['total'], 95):.0f} |")
    lines.append(f"\n{n_frames} frames per row, medians except the total column.\n")


def bench_time_to_identify(lines: list[str], fps: float = 4.0, runs: int = 10) -> None:
    """Face appears at t=0 in an `fps` stream (the kiosk page sends 8 frames/s while a face is
    judged, 4 before; 4 fps is the baseline); time until FaceRecognized = waiting for frames + compute of every frame
    (processed serially, as on the robot). The stream is the synthetic live head of the enrolled
    portrait (vision/liveness/synthetic.py; a different phase per run), with the default liveness
    check and, as the baseline in the same run, with liveness off."""
    from vision.liveness import AcceptAll
    from vision.liveness.synthetic import live_sequence
    from vision.service import FaceService
    portraits = identities()
    streams = [[encode_jpeg(f) for f in live_sequence(portraits["astronaut"], n=int(4 * fps), seed=run, fps=fps)]
               for run in range(runs)]
    rows = {}
    for label, liveness in (("liveness off (baseline)", AcceptAll()), ("liveness mediapipe (default)", None)):
        with tempfile.TemporaryDirectory() as tmp:
            svc = FaceService(VisionConfig(var_dir=Path(tmp)), liveness=liveness)
            svc.record_consent("C000002")
            svc.enrol_image("C000002", portraits["astronaut"], face_id="face-lina")
            results = []
            for run, stream in enumerate(streams):
                clock, t_frame = 0.0, 0.0
                for i in range(len(stream)):
                    t_frame = max(i / fps, clock)  # the next frame, or later if still busy
                    t0 = time.perf_counter()
                    events = svc.process_frame(f"run{run}", stream[i], ts=1000.0 * run + t_frame)
                    clock = t_frame + time.perf_counter() - t0
                    if any(isinstance(e, FaceRecognized) for e in events):
                        results.append((clock, i + 1))
                        break
                svc.end_session(f"run{run}")
            svc.close()
        rows[label] = results
    lines.append("### Face in view -> identified (FaceService.process_frame, camera at "
                 f"{fps:g} fps, frames processed one at a time, synthetic live head)\n")
    lines.append("| | identified | p50 s | p95 s | max s | frames used |")
    lines.append("|---|---|---|---|---|---|")
    for label, results in rows.items():
        lat = [r[0] for r in results] or [float("nan")]
        lines.append(f"| {label} | {len(results)}/{runs} | {pct(lat, 50):.2f} | {pct(lat, 95):.2f} | {max(lat):.2f} | "
                     f"{sorted({r[1] for r in results})} |")
    lines.append("\nTarget <= 1.5 s on 2 cores. A real person standing quite still gives less parallax than the "
                 "synthetic head: they get the active challenge, which adds their reaction time.\n")


def bench_liveness_rates(lines: list[str], live_s: float = 6.0, spoof_s: float = 10.0, fps: float = 4.0) -> None:
    """Acceptance of the synthetic live heads and rejection of the synthetic spoofs, for all 8
    package-shipped identities, through the liveness judge alone (dlib detection + the judge,
    timestamps at `fps`): live within 1.5 s / within the sequence; a spoof counts as rejected
    when it is never judged live (refused at once, or challenged and then refused)."""
    from vision.liveness import synthetic as S
    from vision.liveness.judge import MeshLiveness
    engine, judge_engine = create_engine("dlib"), MeshLiveness()
    portraits = identities()
    live_frames, spoof_frames = int(live_s * fps), int(spoof_s * fps)
    kinds = {
        "live head (turn + blink)": lambda p, k: S.live_sequence(p, n=live_frames, seed=k, fps=fps),
        "live head (turn, no blink)": lambda p, k: S.live_sequence(p, n=live_frames, seed=k + 50, blink_at=(), fps=fps),
        "printed photo waved": lambda p, k: S.photo_sequence(p, n=spoof_frames, seed=k, fps=fps),
        "printed photo, small motion": lambda p, k: S.photo_sequence(p, n=spoof_frames, seed=k, amount=0.3, fps=fps),
        "photo on a screen": lambda p, k: S.screen_sequence(p, n=spoof_frames, seed=k, fps=fps),
        "portrait moved a few pixels": lambda p, k: S.shifted_sequence(p, n=spoof_frames, seed=k),
        "replay of 3 identical stills": lambda p, k: S.replay_sequence(p, n=spoof_frames, seed=k),
    }
    lines.append(f"### Liveness on synthetic sequences at {fps:g} fps (8 identities each; vision/liveness/synthetic.py)\n")
    lines.append("| sequence | judged live <= 1.5 s | judged live at all | refused | reasons | per-frame ms (mesh+iris+cues) |")
    lines.append("|---|---|---|---|---|---|")
    for kind, make in kinds.items():
        early = late = refused = 0
        reasons: dict[str, int] = {}
        ms: list[float] = []
        for k, (_name, portrait) in enumerate(sorted(portraits.items())):
            judge = judge_engine.track()
            for i, frame in enumerate(make(portrait, k)):
                faces = engine.detect(frame)
                if not faces:
                    continue
                t0 = time.perf_counter()
                result = judge.add(frame, max(faces, key=lambda f: f.area), i / fps)
                ms.append((time.perf_counter() - t0) * 1000)
                if result.state != "unsure":
                    reasons[result.reason] = reasons.get(result.reason, 0) + 1
                    if result.state == "live":
                        late += 1
                        early += i / fps <= 1.5
                    else:
                        refused += 1
                    break
        n = len(portraits)
        lines.append(f"| {kind} | {early}/{n} | {late}/{n} | {refused}/{n} | "
                     f"{', '.join(f'{r} {c}' for r, c in sorted(reasons.items()))} | {pct(ms, 50):.1f} / {pct(ms, 95):.1f} |")
        print(lines[-1], flush=True)
    lines.append("\nLive acceptance = the live rows' \"judged live\"; replay rejection = 1 - the spoof rows' \"judged live at all\". "
                 "Synthetic: one real photo per identity rendered as a 3D mesh (live) or warped as a plane (spoofs), camera "
                 "noise added; not real faces, skin, screens or cameras.\n")


def bench_verification(lines: list[str], engine) -> np.ndarray:
    items = labelled_set()
    labels, vecs, missed = [], [], 0
    for it in items:
        faces = engine.detect(it.rgb)
        if not faces:
            missed += 1
            continue
        labels.append(it.identity)
        vecs.append(engine.embed(it.rgb, max(faces, key=lambda f: f.area)))
    vecs = np.vstack(vecs)
    gen, imp = pair_scores(labels, vecs)
    cfg = VisionConfig()
    cal = calibrate(gen, imp, 0.001, (cfg.match_threshold, cfg.verify_threshold))
    lines.append("### Verification on the labelled real-photo set\n")
    lines.append(f"Set: 8 real people (6 from insightface's t1.jpg group photo, Tom Hanks crop from insightface, "
                 f"scikit-image astronaut), 1 real photo + 6 synthetic captures each (rotation/scale, darkening, "
                 f"blur+JPEG q30-50, mirror, brightening, JPEG) = {len(items)} images, {missed} without a detected face; "
                 f"{cal.genuine} genuine / {cal.impostor} impostor pairs. Genuine pairs come from one photo per person, "
                 "so TAR here is optimistic: it measures robustness to capture conditions, not to ageing or different days.\n")
    lines.append("| engine | threshold | TAR @ FAR<=0.1% | accuracy at threshold | genuine min | impostor max |")
    lines.append("|---|---|---|---|---|---|")
    lines.append(f"| {engine.name} | calibrated at FAR 0.1%: {cal.threshold_at_far:.4f} | {cal.tar_at_far:.4f} | "
                 f"{cal.best_accuracy:.4f} (best) | {cal.genuine_min:.4f} | {cal.impostor_max:.4f} |")
    for thr, acc in cal.accuracy_at.items():
        g = float(np.mean(gen >= float(thr)))
        f = float(np.mean(imp >= float(thr)))
        lines.append(f"| {engine.name} | configured {thr} | TAR {g:.4f} at FAR {f:.4f} | {acc:.4f} | | |")
    lines.append("")
    pack = os.environ.get("HALLBOT_INSIGHTFACE_PACK")
    if pack:
        from vision.compare import agreement, verification
        other = create_engine("insightface", pack_dir=pack)
        ag = agreement(engine, other, [it.rgb for it in items])
        ver = verification(other, items)
        lines.append(f"insightface pack {pack}: {ver}; agreement with dlib: {ag}\n")
    else:
        lines.append("insightface backend: no model pack configured (HALLBOT_INSIGHTFACE_PACK), not measured.\n")
    return vecs


def synthetic_templates(n: int, mean_dir: np.ndarray, rng) -> np.ndarray:
    """Embeddings shaped like dlib's: all in a cone around the mean face (impostor cosine ~0.86)."""
    x = mean_dir[None, :] + rng.normal(scale=0.0357, size=(n, mean_dir.size)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def bench_search(lines: list[str], sizes: list[int], queries: int, mean_dir: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    lines.append("### 1:N search latency vs gallery size (one query at a time, top-10)\n")
    lines.append("Templates: synthetic 128-d vectors with the spread of real dlib embeddings (mean direction from "
                 "the real set, impostor cosine ~0.86); probes = a template + noise (genuine cosine ~0.97). "
                 "Baseline: exact brute force (numpy matrix-vector product) on the same data.\n")
    lines.append("| templates | index | build s | p50 ms | p95 ms | p99 ms | recall@1 vs exact | baseline exact p50 / p95 ms | add 1 / remove 1 ms |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        data = synthetic_templates(n, mean_dir, rng)
        targets = rng.integers(0, n, size=queries)
        noise = rng.normal(scale=0.0168, size=(queries, data.shape[1])).astype(np.float32)
        probes = data[targets] + noise
        probes /= np.linalg.norm(probes, axis=1, keepdims=True)
        t0 = time.perf_counter()
        index = AnnIndex(data.shape[1])
        for start in range(0, n, 50_000):  # grows like a real gallery; switches to IVF at 50k
            index.add(np.arange(start, min(start + 50_000, n)), data[start:start + 50_000])
        build = time.perf_counter() - t0
        lat, hits = [], 0
        exact_lat = []
        for qi, q in enumerate(probes):
            t = time.perf_counter()
            _, ids = index.search(q, 10)
            lat.append((time.perf_counter() - t) * 1000)
            if qi < min(queries, 100 if n >= 1_000_000 else queries):
                t = time.perf_counter()
                best = int(np.argmax(data @ q))
                exact_lat.append((time.perf_counter() - t) * 1000)
                hits += int(len(ids) > 0 and ids[0] == best)
        checked = len(exact_lat)
        t = time.perf_counter()
        index.add(np.array([n + 1]), probes[:1])
        add_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        index.remove([n + 1])
        rm_ms = (time.perf_counter() - t) * 1000
        lines.append(f"| {n:,} | {index.kind} | {build:.1f} | {pct(lat, 50):.2f} | {pct(lat, 95):.2f} | {pct(lat, 99):.2f} | "
                     f"{hits / checked:.3f} ({checked} probes) | {pct(exact_lat, 50):.1f} / {pct(exact_lat, 95):.1f} | "
                     f"{add_ms:.2f} / {rm_ms:.2f} |")
        print(lines[-1], flush=True)
        del data, index
    lines.append("\nTarget: 1M-template search p95 <= 10 ms.\n")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--liveness-only", action="store_true", help="only face in view -> identified and the liveness rates")
    ap.add_argument("--fps", type=lambda v: [float(x) for x in v.split(",")], default=[4.0, 8.0],
                    help="camera rates for the liveness rows (default 4,8: 4 fps is the baseline)")
    args = ap.parse_args()
    started = time.time()
    lines = [f"\n## Vision (vision/) — {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC\n",
             f"Machine: {describe()}. Command: `.venv/bin/python bench/bench_vision.py {' '.join(sys.argv[1:])}`.\n"]
    engine = create_engine("dlib")
    if args.liveness_only:
        for fps in args.fps:   # the page's rate while a face is judged (kiosk.js) against the old 4 fps
            bench_time_to_identify(lines, fps=fps)
        for fps in args.fps:
            bench_liveness_rates(lines, fps=fps)
        lines.append(f"Benchmark wall time {time.time() - started:.0f} s.\n")
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        print("\n".join(lines))
        return 0
    bench_frames(lines, args.frames)
    bench_time_to_identify(lines)
    bench_liveness_rates(lines)
    vecs = bench_verification(lines, engine)
    print("\n".join(lines), flush=True)
    mean_dir = vecs.mean(axis=0)
    mean_dir /= np.linalg.norm(mean_dir)
    bench_search(lines, [int(s) for s in args.sizes.split(",") if s], args.queries, mean_dir.astype(np.float32))
    lines.append(f"Benchmark wall time {time.time() - started:.0f} s.\n")
    with open(args.out, "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines[-8:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
