# The b24-events server. Build and run:
#   docker build -t b24-events .
#   docker run -p 3000:3000 -v b24-events-data:/app/data \
#     -e B24_CLIENT_ID=... -e B24_CLIENT_SECRET=... -e PUBLIC_URL=https://app.example.com b24-events
# Your handlers: mount a JavaScript module and point B24_APP at it (-v ./my-app.js:/app/my-app.js -e B24_APP=my-app.js).
# PostgreSQL instead of the SQLite file in the volume: -e DATABASE_URL=postgres://user@host:5432/db.
ARG NODE_VERSION=20

# Build: every dependency (TypeScript, and better-sqlite3's native binary for this Debian), then dist/ via prepare.
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

# Run: production dependencies and dist/ only, as the unprivileged user of the node image.
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=/app/data/b24-events.sqlite
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s \
  CMD node -e "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# node itself is PID 1: the server handles SIGTERM (docker stop) and closes the app before it exits.
CMD ["node", "dist/cli/main.js", "serve"]
