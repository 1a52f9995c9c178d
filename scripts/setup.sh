#!/usr/bin/env bash
# One-time set-up on a fresh machine; safe to run again (it installs only what is missing).
#   scripts/setup.sh           what running the daemon needs: its browser, the npm packages, a build
#   scripts/setup.sh --tests   that, plus what the tests need: the full Chromium and PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."

purposes=(build)
tests=false
for arg in "$@"; do
  case "$arg" in
    --tests) tests=true ;;
    *) echo "setup: unknown option '$arg' (use --tests)" >&2; exit 2 ;;
  esac
done

# An explicit browser (CHROME_PATH / PUPPETEER_EXECUTABLE_PATH) replaces the headless shell.
if [ -z "${CHROME_PATH:-}${PUPPETEER_EXECUTABLE_PATH:-}" ]; then purposes+=(runtime); fi
if [ "${BROWSER_MODE:-shell}" = "full" ]; then purposes+=(full); fi
if $tests; then purposes+=(tests); fi

if ! bash scripts/install-system-packages.sh "${purposes[@]}"; then
  echo "setup: without apt-get, install chrome-headless-shell with: npx puppeteer browsers install chrome-headless-shell" >&2
fi

if [ -f package-lock.json ]; then
  npm ci --no-fund --no-audit
else
  npm install --no-fund --no-audit
fi
# The default AUTH_PATH and WEB_CACHE_PATH: for this user alone (the keys will live there).
(umask 077 && mkdir -p .wwebjs_auth .wwebjs_cache)
# npm start runs the built daemon: build it here, once, not at every start.
npm run build --silent
