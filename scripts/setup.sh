#!/usr/bin/env bash
# One-time set-up on a fresh machine: a browser for whatsapp-web.js, then the npm packages.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# The daemon runs Chromium's headless shell (BROWSER_MODE=shell, the default); the full
# Chromium is for BROWSER_MODE=full and the tests of that mode. An explicit browser skips both.
explicit_browser() {
  [ -n "${CHROME_PATH:-}" ] && [ -x "${CHROME_PATH}" ] && return 0
  [ -n "${PUPPETEER_EXECUTABLE_PATH:-}" ] && [ -x "${PUPPETEER_EXECUTABLE_PATH}" ] && return 0
  return 1
}

missing=()
if ! explicit_browser; then
  [ -x /usr/lib/chromium/chromium-headless-shell ] || missing+=(chromium-headless-shell)
  have_full=false
  for candidate in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome-stable /usr/bin/google-chrome; do
    [ -x "$candidate" ] && have_full=true
  done
  $have_full || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi liberation || missing+=(fonts-liberation)
fi

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup: no apt-get to install ${missing[*]}; puppeteer will download chrome-headless-shell into .cache/puppeteer"
  fi
fi

if [ -f package-lock.json ]; then
  npm ci --no-fund --no-audit
else
  npm install --no-fund --no-audit
fi
