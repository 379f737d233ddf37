# ptero-bridge container image.
#   docker build -t ptero-bridge .
#   docker run -d --name ptero-bridge --env-file .env -v ptero-data:/data ptero-bridge
# Build stage: dev dependencies + compilers (sqlite3's native module is built from source here), then the
# TypeScript build, then dev dependencies pruned. Runtime stage: the pruned node_modules and dist/ only, as `node`.
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# prebuild-install (sqlite3's installer) skips the prebuilt download and node-gyp compiles against this image's Node.
ENV npm_config_build_from_source=true
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    STORE_URL=sqlite:///data/ptero-bridge.sqlite \
    METRICS_PORT=9464 \
    METRICS_HOST=127.0.0.1
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The image's unprivileged `node` user (uid 1000) owns the data volume and runs the bot.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
# /metrics and /healthz. Set METRICS_HOST=0.0.0.0 and publish the port only if Prometheus scrapes from outside.
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "dist/src/metrics/healthcheck.js"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/index.js"]
