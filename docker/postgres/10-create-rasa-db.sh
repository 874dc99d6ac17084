#!/bin/bash
# Run once by the postgres image on a fresh data volume (/docker-entrypoint-initdb.d): creates the
# database of Rasa's SQL tracker store beside the backend's. Rasa would create it too (login_db in
# bot/endpoints.production.yml), but two replicas starting together would race on it.
# The entrypoint runs it (or sources it, when not executable): it sets no shell options of its own.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v rasa_db="${RASA_DB_NAME:-rasa}" <<'SQL'
SELECT format('CREATE DATABASE %I', :'rasa_db')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'rasa_db')\gexec
SQL
