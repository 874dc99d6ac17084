# The rasa-sdk 3.6.2 action server with the project's actions package.
# Build context: the repository root (docker compose build actions).
FROM rasa/rasa-sdk:3.6.2
USER root

# Third-party packages that actions/ imports beyond rasa-sdk, at the versions of
# requirements/bot.lock.txt (used as the constraint file). tests/test_compose.py fails when actions/
# imports a package that neither this list nor rasa-sdk provides.
ARG ACTION_PACKAGES="httpx"
COPY requirements/bot.lock.txt /opt/xinyidai/bot.lock.txt
RUN set -f \
 && pip install --no-cache-dir --constraint /opt/xinyidai/bot.lock.txt ${ACTION_PACKAGES} \
 && python -c "import rasa_sdk, httpx; assert rasa_sdk.__version__ == '3.6.2', rasa_sdk.__version__"

WORKDIR /app
RUN rm -rf /app/actions
COPY actions/ /app/actions/
RUN python -m compileall -q /app/actions

ENV PYTHONPATH=/app \
    PYTHONUNBUFFERED=1

USER 1001
EXPOSE 5055
ENTRYPOINT ["python", "-m", "rasa_sdk"]
CMD ["--actions", "actions", "--port", "5055"]
