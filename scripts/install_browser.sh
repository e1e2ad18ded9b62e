#!/usr/bin/env bash
# Install Debian's chromium for the player's browser tests (tests/render/test_player.py) when it is missing.
# It never fails: where chromium cannot be installed it says why, and those tests skip with a reason while every
# other test runs. Playwright (the Python package that drives it) comes with the "test" extra of pyproject.toml;
# never run `playwright install` (its own browser download is not needed).
set -u
if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_browser: no apt-get on this machine; install chromium yourself, or the browser tests will skip"
  exit 0
fi
run=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run=(sudo -n)
  else
    echo "install_browser: not root and no password-less sudo; run 'sudo apt-get install -y chromium', or the browser tests will skip"
    exit 0
  fi
fi
echo "install_browser: installing Debian's chromium with apt-get (once)"
if "${run[@]}" apt-get install -y -q chromium >/dev/null 2>&1 \
   || { "${run[@]}" apt-get update -q >/dev/null 2>&1 && "${run[@]}" apt-get install -y -q chromium >/dev/null 2>&1; }; then
  echo "install_browser: chromium installed"
else
  echo "install_browser: apt-get could not install chromium; the browser tests will skip"
fi
exit 0
