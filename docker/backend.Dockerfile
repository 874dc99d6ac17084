# The FastAPI backend (Python 3.11) with exactly the versions of requirements/backend.lock.txt.
# Build context: the repository root (docker compose build backend).

FROM python:3.11-slim AS deps
ENV UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1
RUN pip install --no-cache-dir uv==0.13.8 \
 && python -m venv /opt/venv
COPY requirements/backend.lock.txt /opt/xinyidai/backend.lock.txt
RUN uv pip sync --no-cache --python /opt/venv/bin/python /opt/xinyidai/backend.lock.txt

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app
COPY --from=deps /opt/venv /opt/venv

# The same layout as the repository: the settings resolve CITY_CONFIG against /app.
WORKDIR /app
COPY backend/ /app/backend/
COPY config/ /app/config/
COPY docker/backend-start.sh /usr/local/bin/backend-start
# var/ is the backend's run state (a named volume in docker-compose.yml).
RUN chmod 0755 /usr/local/bin/backend-start \
 && mkdir -p /app/var && chown app:app /app/var

# numeric, so that Kubernetes runAsNonRoot can verify it
USER 10001:10001
WORKDIR /app/backend
EXPOSE 8000
CMD ["backend-start"]
