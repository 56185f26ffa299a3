# syntax=docker/dockerfile:1
# Multi-stage build on the Node LTS the project pins (package.json: the `node` dev dependency,
# `@types/node` and `engines`); keep the four in step (README, Runtime). Only the bot (src/) is
# built; tests, stand-ins and tools stay out of the image, whose runtime stage has production
# dependencies only.
ARG NODE_VERSION=24.21.0
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.image.json ./
COPY src ./src
RUN npx tsc -p tsconfig.image.json && npm prune --omit=dev

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Roles: add "--role web" or "--role worker" to split them across containers.
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/src/main.js"]
