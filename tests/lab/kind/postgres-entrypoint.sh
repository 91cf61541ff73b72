#!/bin/bash
# PostgreSQL 15 (Debian's) in a pod of the kind lab: initialise $PGDATA on the
# first start (owner role and database from the environment, SCRAM passwords,
# TCP from anywhere with a password), then run the server in the foreground.
# Environment: PGDATA, POSTGRES_PASSWORD (superuser "postgres"),
# POSTGRES_USER, POSTGRES_USER_PASSWORD, POSTGRES_DB.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
: "${PGDATA:?}" "${POSTGRES_PASSWORD:?}" "${POSTGRES_USER:?}" "${POSTGRES_USER_PASSWORD:?}" "${POSTGRES_DB:?}"
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  "$bin/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  "$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/tmp" -w start >/dev/null
  psql -h /tmp -U postgres -v ON_ERROR_STOP=1 -q \
    -v user="$POSTGRES_USER" -v pass="$POSTGRES_USER_PASSWORD" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'pass';
CREATE DATABASE :"db" OWNER :"user";
SQL
  "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  echo "initialised $PGDATA: database $POSTGRES_DB owned by $POSTGRES_USER"
fi
# the image leaves out the LLVM JIT
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp -c jit=off
