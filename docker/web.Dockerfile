# syntax=docker/dockerfile:1
# The web front: the React SPA built and served by nginx, which also proxies /api/, /docs/
# and /ws to the parley instances (docker/nginx.conf). Build from the repository root:
#   docker build -f docker/web.Dockerfile -t parley-web .
# The generated API client is committed (frontend/src/api), so the build needs no server.

# --- SPA --------------------------------------------------------------------
FROM node:20-bookworm-slim AS spa
# The repository's layout, so that frontend/ finds ../openapi/openapi.json.
WORKDIR /app/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci
COPY openapi/ /app/openapi/
COPY frontend/ ./
RUN npm run build

# --- nginx ------------------------------------------------------------------
FROM nginx:1.27-alpine
COPY docker/nginx.conf /etc/nginx/nginx.conf
COPY --from=spa /app/frontend/dist/ /usr/share/nginx/html/
EXPOSE 80
