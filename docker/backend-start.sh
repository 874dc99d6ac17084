#!/bin/sh
# The backend container's command: bring the schema up to date, then serve with several workers.
# One container runs the migration before its workers start, so they never race on it.
set -eu
cd /app/backend

alembic upgrade head

# Loads the city configuration's data (products, institutions, demo registry); it skips what is
# already loaded. Off by default in production: run it once by hand or set SEED_ON_START=1.
if [ "${SEED_ON_START:-0}" = "1" ]; then
  python -m app.seed
fi

# nginx in front sets X-Forwarded-For/-Proto; only containers of the compose network reach here.
# app.serve: uvicorn workers with a listening socket each, so connections spread evenly over them
# (docs/backend.md, "Cost per request"); BACKEND_WORKERS: one per core.
exec python -m app.serve \
  --host 0.0.0.0 \
  --port 8000 \
  --workers "${BACKEND_WORKERS:-4}" \
  --proxy-headers \
  --forwarded-allow-ips "*" \
  --no-server-header \
  --timeout-graceful-shutdown 20
