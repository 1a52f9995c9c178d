#!/bin/sh
# Starts the browser so that the kernel ends it when the daemon's process dies, even by kill -9:
# util-linux's setpriv sets PR_SET_PDEATHSIG, which exec keeps. Without it an orphaned Chromium
# stays linked to WhatsApp on its own, while a standby on another host takes the account over.
# Both execs replace the process: the browser keeps the pid puppeteer started, and its parent
# stays the daemon.
exec setpriv --pdeathsig KILL -- "$WA_TETHER_BROWSER" "$@"
