#!/usr/bin/env bash
# The test suite with the business system's day moved (HALLBOT_TODAY, business/clock.py): every
# process of the test hall (actions, app, business API) reads the same pinned day; the time of day
# runs on. Usage: scripts/test_on_dates.sh 2027-12-31 [2028-02-29 ...] [-- PYTEST_ARGS]
# (libfaketime was tried for whole-process dates: with its faked monotonic clock Python's timed
# lock waits wait for years, and with the monotonic clock left real time.sleep fails with EINVAL.)
set -euo pipefail
cd "$(dirname "$0")/.."
dates=(); while [ $# -gt 0 ] && [ "$1" != "--" ]; do dates+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
for d in "${dates[@]}"; do
  echo "== the test suite on $d (HALLBOT_TODAY)"
  HALLBOT_TODAY="$d" .venv/bin/python -m pytest -p no:cacheprovider "$@"
done
