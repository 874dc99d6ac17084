# Rasa Open Source 3.6.21 with the project's custom channels (bot.channels), NLU data and the trained
# model. Build context: the repository root, after `make model` (docker compose build rasa).

# --- the model: only the one models/current.tar.gz points at, not every model ever trained
FROM rasa/rasa:3.6.21-full AS model
USER root
COPY models/ /build/models/
RUN mkdir -p /build/model \
 && if [ -e /build/models/current.tar.gz ]; then src=/build/models/current.tar.gz; \
    else src=$(ls -t /build/models/*.tar.gz 2>/dev/null | head -n 1 || true); fi \
 && if [ -z "${src:-}" ] || [ ! -f "$src" ]; then \
      echo "models/ holds no trained model: run 'make model' before building" >&2; exit 1; fi \
 && cp -L "$src" "/build/model/$(basename "$(readlink -f "$src")")"

# --- the image
FROM rasa/rasa:3.6.21-full
USER root

# What the custom channels need beyond the base image, at the versions of requirements/bot.lock.txt
# (the lock is the constraint file, so the versions are never written twice). jieba is already in
# the -full image; naming it makes pip confirm the locked version.
ARG BOT_PACKAGES="wechatpy[cryptography] httpx jieba opencc"
COPY requirements/bot.lock.txt /opt/xinyidai/bot.lock.txt
RUN set -f \
 && pip install --no-cache-dir --constraint /opt/xinyidai/bot.lock.txt ${BOT_PACKAGES} \
 && python -c "import rasa, wechatpy, wechatpy.crypto, httpx, jieba; \
assert rasa.__version__ == '3.6.21', rasa.__version__"

WORKDIR /app
COPY bot/ /app/bot/
COPY nlu_data/ /app/nlu_data/
COPY --from=model /build/model/ /app/models/

# bot.channels is imported from the repository root, as in development.
ENV PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    RASA_TELEMETRY_ENABLED=false \
    SQLALCHEMY_SILENCE_UBER_WARNING=1

USER 1001
EXPOSE 5005
ENTRYPOINT ["rasa"]
CMD ["run", "--credentials", "bot/credentials.yml", "--endpoints", "bot/endpoints.production.yml", "--model", "models", "--port", "5005"]
