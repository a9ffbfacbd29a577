# syntax=docker/dockerfile:1.7
# One image definition for all four TaskFlow apps:
#   docker build --build-arg APP=api-gateway -t taskflow/api-gateway:0.1.0 .
# APP is one of api-gateway | user-service | task-service | audit-service.
# The `backup` target is the operations image used by the backup CronJobs / compose `backup` service:
#   docker build --target backup -t taskflow/backup:0.1.0 .
# Stages: deps (all deps, for the build) -> build (swc) ; prod-deps (npm ci --omit=dev) ; backup ; runtime (default, last).

# Node 26, the Active LTS line (LTS since 2026-10-28; Node 20 reached end of life in April 2026). The exact version is
# the one in .node-version, which local runs and CI use too (libs/ops/test/docker-compose.spec.ts checks they agree).
# Debian 13 (trixie) for the app stages: Debian 12 left regular security support in June 2026.
ARG NODE_VERSION=26.12.1

# ---- build: full dependency tree + swc compile of apps and libs -------------------------------------------
FROM node:${NODE_VERSION}-trixie AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY .swcrc tsconfig.base.json tsconfig.json ./
COPY apps ./apps
COPY libs ./libs
# The root .swcrc rewrites the @taskflow/* path aliases to relative requires.
RUN npx swc apps libs -d dist

# ---- prod-deps: production dependencies only (bcrypt's install script picks its prebuilt binary here) --------
FROM node:${NODE_VERSION}-trixie AS prod-deps
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- backup: operations image for scripts/backup (pg_dump 16, mongodump, redis-cli, openssl, node) ------
# Needs network at build time for the PostgreSQL (PGDG) and MongoDB package repositories. Debian does not
# package MongoDB Database Tools (mongodump/mongorestore): they come from MongoDB's official apt repository,
# signed with its server key (MONGODB_SERIES selects the repository; the tools support servers 4.2 and later).
# Still Debian 12 (bookworm): its PGDG suite and the MongoDB repository below are Debian 12 builds. The
# node_modules copied in come from the trixie prod-deps stage; that works because bcrypt's only native code is its
# prebuilt N-API binary (needs glibc 2.14), nothing is compiled against trixie's glibc.
FROM node:${NODE_VERSION}-bookworm-slim AS backup
ARG MONGODB_SERIES=8.0
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl gnupg openssl redis-tools bash coreutils findutils; \
    install -d /usr/share/postgresql-common/pgdg; \
    curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc; \
    echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" > /etc/apt/sources.list.d/pgdg.list; \
    curl -fsSL "https://pgp.mongodb.com/server-${MONGODB_SERIES}.asc" | gpg --dearmor -o "/usr/share/keyrings/mongodb-server-${MONGODB_SERIES}.gpg"; \
    echo "deb [signed-by=/usr/share/keyrings/mongodb-server-${MONGODB_SERIES}.gpg] https://repo.mongodb.org/apt/debian bookworm/mongodb-org/${MONGODB_SERIES} main" > "/etc/apt/sources.list.d/mongodb-org-${MONGODB_SERIES}.list"; \
    apt-get update; \
    apt-get install -y --no-install-recommends postgresql-client-16 mongodb-database-tools; \
    mongodump --version; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --system --gid 10001 taskflow; \
    useradd --system --uid 10001 --gid taskflow --home-dir /app --shell /usr/sbin/nologin taskflow
WORKDIR /app
ENV NODE_ENV=production BACKUP_ROOT=/backups
COPY --from=prod-deps --chown=root:root /src/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root scripts/backup ./scripts/backup
USER 10001:10001
ENTRYPOINT ["bash"]
CMD ["scripts/backup/backup-all.sh"]

# ---- runtime (default target): one app, non-root, production deps only ----------------------------------
FROM node:${NODE_VERSION}-trixie-slim AS runtime
ARG APP
RUN test -n "$APP" || (echo "build with --build-arg APP=<api-gateway|user-service|task-service|audit-service>" && exit 1)
RUN groupadd --system --gid 10001 taskflow \
    && useradd --system --uid 10001 --gid taskflow --home-dir /app --shell /usr/sbin/nologin taskflow
WORKDIR /app
ENV NODE_ENV=production APP=${APP}
# Application files are owned by root and read-only for the app user (works with readOnlyRootFilesystem).
COPY --from=prod-deps --chown=root:root /src/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root ops/docker/healthcheck.js ./ops/docker/healthcheck.js
USER 10001:10001
EXPOSE 3000 3003 4001 4002 9000 9001 9002 9003
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "ops/docker/healthcheck.js"]
# exec: node becomes PID 1's direct replacement and receives SIGTERM for graceful shutdown.
CMD ["sh", "-c", "exec node dist/apps/$APP/src/main.js"]
