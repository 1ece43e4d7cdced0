# syntax=docker/dockerfile:1

# ---- builder: compiles TypeScript with the dev dependencies --------------------------------------------------
FROM node:24-bookworm-slim AS builder
WORKDIR /app
# Manifests first, so the npm ci layer is reused from cache until the dependencies themselves change.
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsconfig.build.json compiles src/ only, into dist/.
RUN npm run build

# ---- deps: production dependencies only, installed clean from the lockfile ------------------------------------
# A separate stage rather than `npm prune` in the builder, so no dev dependency or build cache can leak into the
# runtime image.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Exactly what package-lock.json pins, without devDependencies. Only node_modules leaves this stage, so the npm
# cache needs no cleaning.
RUN npm ci --omit=dev

# ---- runtime ------------------------------------------------------------------------------------------------
FROM node:24-bookworm-slim
WORKDIR /app
# For libraries that check NODE_ENV; the service itself is configured only by the variables of .env.example.
ENV NODE_ENV=production
# Copied as root and left owned by root: the service never writes its own code, so the unprivileged user
# below cannot modify it either.
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=builder /app/dist ./dist
# The unprivileged user that the official Node images provide (uid 1000).
USER node
EXPOSE 3000
# No curl in slim images, so Node's own fetch calls /healthz. 127.0.0.1 works while HOST is the default 0.0.0.0
# (or 127.0.0.1); PORT follows the service's own variable.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node directly, not `npm start`: npm does not forward SIGTERM, and the service needs it to shut down
# gracefully (it installs its own signal handlers, which also matters because it runs as PID 1).
CMD ["node", "dist/server.js"]
