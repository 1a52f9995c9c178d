# wa-tether in a container: Debian's headless shell, a non-root user, tini as PID 1.
# The system packages come from scripts/install-system-packages.sh, the same list CI installs
# through scripts/setup.sh, so what CI tests is what the image runs.
#
#   docker build -t wa-tether .
#   docker run -p 3000:3000 -v wa-tether-data:/data -e ADMIN_TOKEN=... wa-tether

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY scripts/install-system-packages.sh scripts/
# better-sqlite3 builds its native module from source where no prebuilt binary is fetched.
RUN bash scripts/install-system-packages.sh build && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .puppeteerrc.cjs ./
# A system browser is in the final image; puppeteer must not download one (allowScripts in
# package.json leaves its postinstall out anyway).
ENV PUPPETEER_SKIP_DOWNLOAD=true
RUN npm ci --no-fund --no-audit
COPY tsconfig.json tsconfig.build.json ./
COPY src src
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
WORKDIR /app
COPY scripts/install-system-packages.sh scripts/
RUN bash scripts/install-system-packages.sh container && rm -rf /var/lib/apt/lists/*
# An ordinary user: the daemon, its browser and the files on the volume are not root's.
RUN useradd --system --create-home --uid 10001 wa-tether && mkdir -p /data && chown wa-tether /data
COPY --from=build --chown=wa-tether /app/node_modules node_modules
COPY --from=build --chown=wa-tether /app/dist dist
COPY --chown=wa-tether package.json .puppeteerrc.cjs ./
COPY --chown=wa-tether public public
COPY --chown=wa-tether openapi openapi
COPY scripts/run-browser.sh scripts/
USER wa-tether
ENV NODE_ENV=production \
    AUTH_PATH=/data/wwebjs_auth \
    WEB_CACHE_PATH=/data/wwebjs_cache \
    HOST=0.0.0.0 \
    PORT=3000 \
    QR_IN_LOGS=false \
    CHROMIUM_ARGS=--no-sandbox \
    MALLOC_ARENA_MAX=2
# Docker's default seccomp profile forbids the user namespaces Chromium's own sandbox is built
# on, so the browser would not start; the container is the sandbox here. To keep Chromium's as
# well, run with a seccomp profile that allows unshare/clone and -e CHROMIUM_ARGS=.
# The session (the WhatsApp keys), the database and the web cache: keep this volume.
VOLUME ["/data"]
EXPOSE 3000
# Healthy while the daemon works or waits for a QR; unhealthy only when it gave up (503).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.status===503?1:0),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# tini reaps the browser's children; the daemon itself gets the signals (no npm, no sh).
ENTRYPOINT ["tini", "--"]
CMD ["node", "--max-semi-space-size=1", "dist/src/main.js"]
