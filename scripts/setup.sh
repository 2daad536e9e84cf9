#!/usr/bin/env bash
# Idempotent set-up of both virtual environments. A second run with unchanged
# requirement files does nothing (a stamp holds the hash of what was installed).
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1

find_python() {  # $1 = minor version, e.g. 3.10
  local v=$1 p
  for p in "python$v" "$HOME/.pyenv/versions/$v"*/bin/"python$v" "/usr/bin/python$v" "/usr/local/bin/python$v"; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$v'.split('.')))" 2>/dev/null; then
      command -v "$p"; return 0
    fi
  done
  echo "setup: Python $v not found (install it, e.g. 'pyenv install $v')" >&2
  return 1
}

stamp_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# --- Rasa service venv (Python 3.10) --------------------------------------------------------
rasa_files=(requirements/rasa.txt requirements/rasa-lock.txt)
rasa_stamp=$(stamp_of "${rasa_files[@]}")
if [ "$(cat .venv-rasa/.hallbot-stamp 2>/dev/null)" != "$rasa_stamp" ]; then
  py310=$(find_python 3.10)
  [ -x .venv-rasa/bin/python ] || "$py310" -m venv .venv-rasa
  .venv-rasa/bin/pip install -q pip==24.2
  echo "setup: installing Rasa 3.6.21 into .venv-rasa (a few minutes the first time)"
  .venv-rasa/bin/pip install -q -r requirements/rasa.txt -c requirements/rasa-lock.txt
  echo "$rasa_stamp" > .venv-rasa/.hallbot-stamp
fi

# --- Debian chromium for the browser tests (Playwright drives /usr/bin/chromium; no browser download),
# a CJK font (without one every Chinese character on the kiosk and console renders as a box) ---
has_cjk_font() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]; }
# SIPp (sip-tester) and baresip (baresip-core): the real SIP peers of the phone tests (tests/phone).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || ! has_cjk_font || [ ! -x /usr/bin/sipp ] || [ ! -x /usr/bin/baresip ]; then
  sudo_cmd=none
  if [ "$(id -u)" = 0 ]; then sudo_cmd=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo_cmd="sudo -n"; fi
  if [ "$sudo_cmd" != none ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian chromium + chromium-driver (browser tests), fonts-noto-cjk (Chinese text), sip-tester + baresip-core (phone tests)"
    $sudo_cmd apt-get update -qq
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium chromium-driver fonts-noto-cjk fontconfig sip-tester baresip-core >/dev/null
  else
    echo "setup: chromium or a CJK font is missing and cannot be installed here (needs root or sudo, and apt-get);" >&2
    echo "setup:   run 'sudo apt-get install --no-install-recommends chromium chromium-driver fonts-noto-cjk sip-tester baresip-core'; browser and phone tests skip until then" >&2
  fi
fi

# --- application venv (Python 3.11) ---------------------------------------------------------
app_files=(requirements/app.txt requirements/app-*.txt requirements/app-lock.txt pyproject.toml scripts/post_install/*.sh)
app_stamp=$(stamp_of $(ls "${app_files[@]}" 2>/dev/null))
if [ "$(cat .venv/.hallbot-stamp 2>/dev/null)" != "$app_stamp" ]; then
  py311=$(find_python 3.11)
  [ -x .venv/bin/python ] || "$py311" -m venv .venv
  .venv/bin/pip install -q pip==24.2
  echo "setup: installing the application venv .venv"
  reqs=(); for f in requirements/app.txt requirements/app-*.txt; do
    [ -f "$f" ] && [ "$f" != requirements/app-lock.txt ] && reqs+=(-r "$f")  # the lock is constraints only
  done
  .venv/bin/pip install -q "${reqs[@]}" -c requirements/app-lock.txt
  .venv/bin/pip install -q --no-deps -e .
  for hook in scripts/post_install/*.sh; do [ -f "$hook" ] && bash "$hook"; done
  echo "$app_stamp" > .venv/.hallbot-stamp
fi
mkdir -p var
