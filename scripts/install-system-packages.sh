#!/usr/bin/env bash
# The Debian packages wa-tether needs, by purpose; installs only what is missing. The one list
# the Dockerfile, scripts/setup.sh and CI (through setup.sh) all use.
#
#   scripts/install-system-packages.sh PURPOSE...
#     runtime    the daemon's browser (chromium-headless-shell), fonts for it, and setpriv
#                (util-linux: the browser dies with the daemon, kill -9 included)
#     build      a compiler for better-sqlite3's native module (python3, make, g++)
#     container  runtime, plus tini (reaps the browser's children) and CA certificates
#     full       the full Chromium, for BROWSER_MODE=full
#     tests      full, plus PostgreSQL (the test run starts its own server in a temp dir)
set -euo pipefail

packages=()
want() { # want PACKAGE CHECK...: PACKAGE is wanted unless CHECK succeeds
  local package=$1
  shift
  if ! "$@" >/dev/null 2>&1; then packages+=("$package"); fi
}
has_fonts() { fc-list 2>/dev/null | grep -qi liberation || [ -d /usr/share/fonts/truetype/liberation ]; }
has_postgres() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }

for purpose in "$@"; do
  case "$purpose" in
    runtime)
      want chromium-headless-shell test -x /usr/lib/chromium/chromium-headless-shell
      want fonts-liberation has_fonts
      want util-linux command -v setpriv
      ;;
    build)
      want python3 command -v python3
      want make command -v make
      want g++ command -v g++
      ;;
    container)
      want chromium-headless-shell test -x /usr/lib/chromium/chromium-headless-shell
      want fonts-liberation has_fonts
      want util-linux command -v setpriv
      want tini command -v tini
      want ca-certificates test -f /etc/ssl/certs/ca-certificates.crt
      ;;
    full)
      want chromium test -x /usr/bin/chromium
      ;;
    tests)
      want chromium test -x /usr/bin/chromium
      want postgresql has_postgres
      ;;
    *)
      echo "install-system-packages: unknown purpose '$purpose' (runtime, build, container, full, tests)" >&2
      exit 2
      ;;
  esac
done

# One package may be wanted by two purposes.
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | awk 'NF && !seen[$0]++')
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-packages: no apt-get here to install ${packages[*]}; install them by other means" >&2
  exit 1
fi
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
echo "install-system-packages: installing ${packages[*]}"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${packages[@]}"
