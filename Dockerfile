# syntax=docker/dockerfile:1
# The bbr image: `docker build -t <registry>/bbr:<tag> --build-arg BUILD_COMMIT=$(git rev-parse HEAD) .`
# Node 24 comes from the base image. (The `node` devDependency pins Node 24 for npm scripts on
# developer machines; it is never installed here.)
ARG NODE_IMAGE=node:24-slim

# Compile TypeScript with the full dependency tree. Install scripts are skipped: the generated
# protobuf code is committed and no build step needs one.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

# Production dependencies only.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ARG BUILD_COMMIT=unknown
ENV NODE_ENV=production \
    BUILD_COMMIT=${BUILD_COMMIT}
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin/bbr.js ./bin/bbr.js
# Numeric, so Kubernetes can check runAsNonRoot; the files stay root-owned and read-only to it.
USER 65532:65532
# ext_proc gRPC, gRPC health, HTTP metrics/probes.
EXPOSE 9004 9005 9090
# node runs as PID 1 and handles SIGTERM/SIGINT itself (drain, then exit 0); it starts no children.
ENTRYPOINT ["node", "/app/bin/bbr.js"]
