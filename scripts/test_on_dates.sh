#!/usr/bin/env bash
# The whole test suite with the system clock moved to other dates by libfaketime (Debian
# `faketime`), every process included: Rasa, the action server, the app, the browser.
# Usage: scripts/test_on_dates.sh "2027-12-31 21:00:00" ["2028-02-29 12:00:00" ...] [-- PYTEST_ARGS]
# Dates are start points: the clock runs on from there, as a real day would.
set -euo pipefail
cd "$(dirname "$0")/.."
dates=(); while [ $# -gt 0 ] && [ "$1" != "--" ]; do dates+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
if ! command -v faketime >/dev/null 2>&1; then
  echo "test_on_dates: 'faketime' is missing: scripts/setup.sh installs it (Debian package faketime)" >&2
  exit 1
fi
for d in "${dates[@]}"; do
  echo "== the test suite on $d (libfaketime)"
  # only the calendar moves: monotonic clocks stay real (libfaketime's faked monotonic turns
  # timed waits such as threading.Event.wait into waits of years)
  FAKETIME_DONT_FAKE_MONOTONIC=1 faketime "$d" .venv/bin/python -m pytest -p no:cacheprovider "$@"
done
