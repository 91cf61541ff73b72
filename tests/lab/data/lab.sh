#!/usr/bin/env bash
# Lab component "data": the platform's stateful backing services, run from
# Debian's packages as private instances bound to 127.0.0.1.
#
#   PostgreSQL 15 primary   127.0.0.1:15432  WAL archiving, replication slot
#   PostgreSQL 15 replica   127.0.0.1:15433  streaming (pg_basebackup -R)
#   PgBouncer               127.0.0.1:15434  transaction pooling, SCRAM
#   Redis 7                 127.0.0.1:15479  requirepass, no persistence
#   Prometheus              127.0.0.1:15490  retention 30d, platform rules
#   Alertmanager            127.0.0.1:15493  no clustering, mails through the edge SMTP relay
#   Blackbox exporter       127.0.0.1:15495  probes the platform's /health for Prometheus
#   OCI registry            127.0.0.1:15450  htpasswd auth, plain HTTP
#
# Usage: lab.sh install|up|down|status|env|listeners|app-secret
#
# The application's passwords are those of its Secret (sme-platform-secrets in
# namespace sme-platform of the k8s component, written by generate_secrets.yml):
# `up` and `app-secret` make the role sme_app and Redis' requirepass follow
# DATABASE_PASSWORD and REDIS_PASSWORD, as the operator does (align_app_secret).
#
# State lives in <repo>/.lab/data/ (secrets in .lab/data/secrets/, mode 0600).
# The package-managed system services are never used: `install` stops and
# disables the ones the packages start.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
STATE=$ROOT/.lab/data
SECRETS=$STATE/secrets
RUN=$STATE/run
LOGS=$STATE/log

PGBIN=/usr/lib/postgresql/15/bin
PG_PRIMARY_PORT=15432
PG_REPLICA_PORT=15433
PGBOUNCER_PORT=15434
REDIS_PORT=15479
PROMETHEUS_PORT=15490
ALERTMANAGER_PORT=15493
BLACKBOX_PORT=15495
REGISTRY_PORT=15450
# The application's git repository (tests/lab/data/app_repo.py) and what the GitHub API stand-in serves about it.
APP_REPO=$STATE/app-repo
ALL_PORTS=("$PG_PRIMARY_PORT" "$PG_REPLICA_PORT" "$PGBOUNCER_PORT" "$REDIS_PORT"
           "$PROMETHEUS_PORT" "$ALERTMANAGER_PORT" "$BLACKBOX_PORT" "$REGISTRY_PORT")

PG_DB=sme_platform
PG_SLOT=sme_replica
PG_ROLES=(sme_owner sme_app sme_ops sme_replicator)
REGISTRY_USER=lab-deployer
RULES_FILE=$ROOT/roles/monitoring/files/sme-platform-alerts.yml
TLS_CA=$ROOT/.lab/tls/ca.crt
# The platform behind its ingress (edge component's stand-in) and the SMTP relay
# Alertmanager mails through, like SendGrid's: user "apikey", password = the
# SendGrid API key, in the edge component's secrets directory.
PLATFORM_ADDR=127.0.0.1:15543
PLATFORM_API_HOST=api.smeplatform.test
HEALTH_URL=https://$PLATFORM_ADDR/health
SMTP_ADDR=127.0.0.1:15525
SMTP_HOST=smtp.smeplatform.test
EDGE_SECRETS=${SMEPLATFORM_LAB_DIR:-$ROOT/.lab}/edge/secrets
SMTP_PASSWORD_FILE=$EDGE_SECRETS/smtp
ALERT_MAIL_FROM=alertmanager@smeplatform.test
ALERT_MAIL_TO=oncall@smeplatform.test

DEB_PACKAGES=(postgresql-15 postgresql-client-15 pgbouncer redis-server redis-tools jq
              prometheus prometheus-alertmanager prometheus-blackbox-exporter docker-registry apache2-utils
              curl openssl iproute2 util-linux python3)
# Services the Debian packages register (name:default port); the lab runs
# its own instances instead.
DEB_SERVICES=(postgresql:5432 pgbouncer:6432 redis-server:6379 prometheus:9090
              prometheus-alertmanager:9093 prometheus-blackbox-exporter:9115 prometheus-node-exporter:9100
              docker-registry:5000)

log() { printf '[lab/data] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --------------------------------------------------------------------------
# PostgreSQL refuses to run as root: its files live where the postgres user
# can reach them. A checkout under a directory postgres cannot traverse
# (e.g. /root) gets its PostgreSQL tree under /var/lib, linked from .lab/data/pg.
root_hash() { printf '%s' "$ROOT" | sha256sum | cut -c1-12; }

as_pg() {
  # From /: the caller's working directory may be closed to postgres.
  (cd / && HOME=/var/lib/postgresql setpriv --reuid=postgres --regid=postgres --init-groups -- "$@")
}

pg_paths() {
  PGBASE=$STATE/pg
  # Paths handed to postgres must not pass through directories it cannot enter.
  if [[ -L $PGBASE ]]; then PGBASE=$(readlink -f "$PGBASE"); fi
  PRIMARY=$PGBASE/primary
  REPLICA=$PGBASE/replica
  WAL_ARCHIVE=$PGBASE/wal-archive
  PGB_DIR=$PGBASE/pgbouncer
  PGLOGS=$PGBASE/log
  PGSOCK=$PGBASE/run
  # Unix socket paths are limited to 107 bytes.
  if (( ${#PGSOCK} + 20 > 100 )); then
    PGSOCK=/tmp/smeplatform-lab-pg-$(root_hash)
  fi
}
pg_paths

prepare_pg_base() {
  install -d -m 0755 "$STATE"
  # A link whose target went away is replaced with a fresh tree.
  if [[ -L $STATE/pg && ! -e $STATE/pg ]]; then rm -f "$STATE/pg"; pg_paths; fi
  if [[ ! -e $PGBASE ]]; then
    if as_pg test -x "$STATE"; then
      install -d -o postgres -g postgres -m 0750 "$PGBASE"
    else
      local external
      external=/var/lib/smeplatform-lab/$(root_hash)/pg
      log "postgres cannot reach $STATE; PostgreSQL files go to $external"
      install -d -m 0755 "$(dirname "$external")"
      install -d -o postgres -g postgres -m 0750 "$external"
      ln -s "$external" "$PGBASE"
    fi
  fi
  pg_paths
  local d
  for d in "$WAL_ARCHIVE" "$PGB_DIR" "$PGLOGS" "$PGSOCK"; do
    install -d -o postgres -g postgres -m 0750 "$d"
  done
}

# --------------------------------------------------------------------------
# Secrets: generated once, 0600, never printed.
secret_file() { printf '%s/%s' "$SECRETS" "$1"; }

ensure_secret() {
  local f
  f=$(secret_file "$1")
  if [[ ! -s $f ]]; then
    (umask 077; openssl rand -hex "${2:-24}" > "$f.tmp" && mv "$f.tmp" "$f")
  fi
  chmod 0600 "$f"
}

ensure_secrets() {
  install -d -m 0700 "$SECRETS"
  local r
  for r in "${PG_ROLES[@]}"; do ensure_secret "pg-$r"; done
  ensure_secret redis 24
  ensure_secret registry 24
  ensure_secret registry-http-secret 32
  # One libpq password file for every lab login on every PostgreSQL port.
  local pgpass=$SECRETS/pgpass tmp
  tmp=$(mktemp "$SECRETS/.pgpass.XXXXXX")
  for r in sme_owner sme_app sme_ops; do
    local port
    for port in "$PG_PRIMARY_PORT" "$PG_REPLICA_PORT" "$PGBOUNCER_PORT"; do
      printf '127.0.0.1:%s:*:%s:%s\n' "$port" "$r" "$(cat "$(secret_file "pg-$r")")" >> "$tmp"
    done
  done
  chmod 0600 "$tmp"
  mv "$tmp" "$pgpass"
  # The replica reads its upstream password from a file owned by postgres.
  tmp=$(mktemp "$PGBASE/.replicator.XXXXXX")
  printf '127.0.0.1:%s:*:sme_replicator:%s\n' "$PG_PRIMARY_PORT" \
    "$(cat "$(secret_file pg-sme_replicator)")" > "$tmp"
  chown postgres:postgres "$tmp"
  chmod 0600 "$tmp"
  mv "$tmp" "$PGBASE/replicator.pgpass"
}

# --------------------------------------------------------------------------
# Process helpers
pid_alive() {
  # pid_alive PIDFILE EXPECTED_COMM_SUBSTRING
  local pid
  [[ -s $1 ]] || return 1
  pid=$(head -n1 "$1")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  proc_running "$pid" || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

proc_running() {
  # A zombie counts as gone: its parent (init here) reaps it on its own time.
  local state
  state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

stop_pidfile() {
  # stop_pidfile NAME PIDFILE COMM
  local pid i
  if pid_alive "$2" "$3"; then
    pid=$(head -n1 "$2")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      proc_running "$pid" || break
      sleep 0.1
    done
    if proc_running "$pid"; then
      log "$1 did not stop on TERM; killing $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "$1 stopped"
  fi
  rm -f "$2"
}

spawn() {
  # spawn NAME PIDFILE LOGFILE CMD... : detached background process
  local name=$1 pidfile=$2 logfile=$3
  shift 3
  setsid "$@" >>"$logfile" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  log "$name started (pid $!)"
}

wait_for() {
  # wait_for DESCRIPTION SECONDS CMD...
  local what=$1 limit=$2 i
  shift 2
  for ((i = 0; i < limit * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "$what not ready after ${limit}s"
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

port_listening() { ss -Hltn "sport = :$1" | grep -q .; }

# --------------------------------------------------------------------------
# install
cmd_install() {
  local missing=() p
  for p in "${DEB_PACKAGES[@]}"; do
    if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) != "install ok installed" ]]; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    # Keep the packages' own services from starting where no policy says so.
    local own_policy=
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
      chmod 0755 /usr/sbin/policy-rc.d
      own_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    if [[ -n $own_policy ]]; then rm -f /usr/sbin/policy-rc.d; fi
  fi
  local s svc
  for s in "${DEB_SERVICES[@]}"; do
    svc=${s%%:*}
    if [[ -d /run/systemd/system ]]; then
      systemctl disable --now "$svc" >/dev/null 2>&1 || true
    elif [[ -x /etc/init.d/$svc ]] && port_listening "${s##*:}"; then
      "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
  done
  log "install: packages present, system services stopped"
}

require_installed() {
  local b
  for b in "$PGBIN/postgres" /usr/sbin/pgbouncer /usr/bin/redis-server /usr/bin/prometheus \
           /usr/bin/prometheus-alertmanager /usr/bin/prometheus-blackbox-exporter /usr/bin/docker-registry \
           /usr/bin/htpasswd; do
    [[ -x $b ]] || die "$b missing: run '$0 install' first"
  done
}

# --------------------------------------------------------------------------
# PostgreSQL
pg_running() { [[ -s $1/PG_VERSION ]] && as_pg "$PGBIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

psql_super() {
  # psql_super PORT DB [psql args...]: superuser over the private socket.
  local port=$1 db=$2
  shift 2
  as_pg env "${PSQL_ENV[@]}" /usr/bin/psql -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" -p "$port" \
    -U postgres -d "$db" "$@"
}
PSQL_ENV=(PGAPPNAME=lab-data)

write_pg_conf() {
  # write_pg_conf DATADIR PORT
  local dir=$1 port=$2
  local q="'"
  local archive_cmd="test ! -f '$WAL_ARCHIVE/%f' && cp '%p' '$WAL_ARCHIVE/%f'"
  archive_cmd=${archive_cmd//$q/$q$q}
  as_pg tee "$dir/lab.conf" >/dev/null <<EOF
# Written by tests/lab/data/lab.sh on every 'up'.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGSOCK'
unix_socket_permissions = 0700
password_encryption = 'scram-sha-256'
max_connections = 60
shared_buffers = 32MB
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
archive_mode = on
archive_command = '$archive_cmd'
archive_timeout = 0
log_destination = 'stderr'
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_connections = off
# Statement statistics for the post-deployment review of database performance (post.day1.4, post.month1.4).
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = top
EOF
  as_pg tee "$dir/lab-local.conf" >/dev/null <<EOF
port = $port
EOF
  as_pg tee "$dir/pg_hba.conf" >/dev/null <<EOF
# Written by tests/lab/data/lab.sh. Local socket: the postgres superuser only
# (peer). TCP: SCRAM for every login, loopback only.
local   all          postgres                        peer
host    replication  sme_replicator  127.0.0.1/32    scram-sha-256
host    all          all             127.0.0.1/32    scram-sha-256
EOF
}

pg_start() {
  # pg_start NAME DATADIR
  if pg_running "$2"; then return 0; fi
  as_pg "$PGBIN/pg_ctl" -D "$2" -l "$PGLOGS/$1.log" -w -t 60 -s start \
    || { tail -n 20 "$PGLOGS/$1.log" >&2; die "PostgreSQL $1 failed to start"; }
  log "PostgreSQL $1 started"
}

pg_stop() {
  if pg_running "$2"; then
    as_pg "$PGBIN/pg_ctl" -D "$2" -m fast -w -t 60 -s stop
    log "PostgreSQL $1 stopped"
  fi
}

pg_init_primary() {
  if [[ ! -s $PRIMARY/PG_VERSION ]]; then
    rm -rf "$PRIMARY"
    install -d -o postgres -g postgres -m 0700 "$PRIMARY"
    as_pg "$PGBIN/initdb" -D "$PRIMARY" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=peer --auth-host=scram-sha-256 --data-checksums >"$LOGS/initdb.log" 2>&1 \
      || { cat "$LOGS/initdb.log" >&2; die "initdb failed"; }
    printf "\ninclude 'lab.conf'\ninclude_if_exists 'lab-local.conf'\n" \
      | as_pg tee -a "$PRIMARY/postgresql.conf" >/dev/null
    log "PostgreSQL primary initialised"
  fi
  write_pg_conf "$PRIMARY" "$PG_PRIMARY_PORT"
}

pg_bootstrap() {
  # Roles, database and privileges. Skipped when neither the SQL below nor
  # the secrets changed since the last run (passwords get a fresh salt on
  # every ALTER ROLE, so re-running would change the stored verifiers).
  local sql marker=$PRIMARY/lab-bootstrap.sha256 sum
  sql=$(cat <<'EOF'
\getenv pw_owner PW_SME_OWNER
\getenv pw_app PW_SME_APP
\getenv pw_ops PW_SME_OPS
\getenv pw_repl PW_SME_REPLICATOR
SELECT format('CREATE ROLE %I', r) FROM unnest(ARRAY['sme_owner', 'sme_app', 'sme_ops', 'sme_replicator']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE sme_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw_owner';
ALTER ROLE sme_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 40 PASSWORD :'pw_app';
ALTER ROLE sme_ops LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw_ops';
ALTER ROLE sme_replicator LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw_repl';
GRANT pg_monitor TO sme_ops;
SELECT 'CREATE DATABASE sme_platform OWNER sme_owner'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'sme_platform') \gexec
ALTER DATABASE sme_platform OWNER TO sme_owner;
REVOKE ALL ON DATABASE sme_platform FROM PUBLIC;
GRANT CONNECT ON DATABASE sme_platform TO sme_app, sme_ops;
\connect sme_platform
-- Statement statistics, read by sme_ops (pg_monitor reads every role's statements).
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
-- Function privileges live in each database's catalog.
GRANT EXECUTE ON FUNCTION pg_switch_wal() TO sme_ops;
GRANT EXECUTE ON FUNCTION pg_create_restore_point(text) TO sme_ops;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO sme_owner;
GRANT USAGE ON SCHEMA public TO sme_app, sme_ops;
ALTER DEFAULT PRIVILEGES FOR ROLE sme_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO sme_app;
ALTER DEFAULT PRIVILEGES FOR ROLE sme_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO sme_app;
ALTER DEFAULT PRIVILEGES FOR ROLE sme_owner IN SCHEMA public
  GRANT SELECT ON TABLES TO sme_ops;
SET ROLE sme_owner;
CREATE TABLE IF NOT EXISTS public.lab_probe (
  id bigserial PRIMARY KEY,
  note text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
RESET ROLE;
EOF
)
  sum=$( { printf '%s' "$sql"; cat "$SECRETS"/pg-*; } | sha256sum | cut -c1-64)
  if [[ -s $marker && $(cat "$marker") == "$sum" ]]; then return 0; fi
  PSQL_ENV=(PGAPPNAME=lab-data
            "PW_SME_OWNER=$(cat "$(secret_file pg-sme_owner)")"
            "PW_SME_APP=$(cat "$(secret_file pg-sme_app)")"
            "PW_SME_OPS=$(cat "$(secret_file pg-sme_ops)")"
            "PW_SME_REPLICATOR=$(cat "$(secret_file pg-sme_replicator)")")
  printf '%s\n' "$sql" | psql_super "$PG_PRIMARY_PORT" postgres -f - >/dev/null
  PSQL_ENV=(PGAPPNAME=lab-data)
  printf '%s' "$sum" | as_pg tee "$marker" >/dev/null
  log "PostgreSQL roles and database $PG_DB bootstrapped"
}

pg_init_replica() {
  if [[ ! -s $REPLICA/PG_VERSION ]]; then
    rm -rf "$REPLICA"
    install -d -o postgres -g postgres -m 0700 "$REPLICA"
    # A slot left behind by an interrupted earlier attempt would hold WAL.
    psql_super "$PG_PRIMARY_PORT" postgres -c \
      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$PG_SLOT'" >/dev/null
    as_pg "$PGBIN/pg_basebackup" -D "$REPLICA" \
      -d "host=127.0.0.1 port=$PG_PRIMARY_PORT user=sme_replicator passfile=$PGBASE/replicator.pgpass application_name=sme_replica" \
      -R -C -S "$PG_SLOT" -X stream -c fast >"$LOGS/pg_basebackup.log" 2>&1 \
      || { cat "$LOGS/pg_basebackup.log" >&2; die "pg_basebackup failed"; }
    log "PostgreSQL replica cloned with pg_basebackup (slot $PG_SLOT)"
  fi
  write_pg_conf "$REPLICA" "$PG_REPLICA_PORT"
}

# A production primary archives WAL around the clock; the idle lab archives only
# when a segment fills. After a restart that lost the archiver's statistics (an
# unclean shutdown) or a long pause, close a segment so the archive is current.
wal_archive_fresh() {
  [[ $(psql_super "$PG_PRIMARY_PORT" postgres -At -c \
      "SELECT coalesce(last_archived_time > now() - interval '1 hour', false) FROM pg_stat_archiver") == t ]]
}

pg_archive_current() {
  wal_archive_fresh && return 0
  # pg_switch_wal() only closes a segment that holds WAL: write some first.
  psql_super "$PG_PRIMARY_PORT" postgres -q \
    -c "CREATE TABLE IF NOT EXISTS lab_wal_tick (at timestamptz)" \
    -c "INSERT INTO lab_wal_tick VALUES (now())" \
    -c "SELECT pg_switch_wal()" >/dev/null
  wait_for "PostgreSQL WAL archived" 30 wal_archive_fresh
}

replica_streaming() {
  [[ $(psql_super "$PG_PRIMARY_PORT" postgres -At -c \
      "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'sme_replica' AND state = 'streaming'") == 1 ]]
}

# --------------------------------------------------------------------------
# PgBouncer (refuses to run as root too: runs as postgres)
pgbouncer_up() {
  local ini=$PGB_DIR/pgbouncer.ini users=$PGB_DIR/userlist.txt tmp
  as_pg tee "$ini" >/dev/null <<EOF
; Written by tests/lab/data/lab.sh on every 'up'.
[databases]
$PG_DB = host=127.0.0.1 port=$PG_PRIMARY_PORT dbname=$PG_DB

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $users
pool_mode = transaction
max_client_conn = 200
default_pool_size = 10
min_pool_size = 0
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
admin_users = sme_ops
stats_users = sme_ops
pidfile = $PGB_DIR/pgbouncer.pid
logfile = $PGLOGS/pgbouncer.log
log_connections = 0
log_disconnections = 0
EOF
  # SCRAM verifiers (not passwords) let PgBouncer authenticate clients and,
  # after a SCRAM client login, the server connection too.
  tmp=$(as_pg mktemp "$PGB_DIR/.userlist.XXXXXX")
  psql_super "$PG_PRIMARY_PORT" postgres -At -c \
    "SELECT format('\"%s\" \"%s\"', rolname, rolpassword) FROM pg_authid
      WHERE rolname IN ('sme_owner', 'sme_app', 'sme_ops') ORDER BY rolname" \
    | as_pg tee "$tmp" >/dev/null
  as_pg chmod 0600 "$tmp"
  if [[ -s $users ]] && cmp -s "$tmp" "$users"; then
    rm -f "$tmp"
  else
    as_pg mv "$tmp" "$users"
    if pid_alive "$PGB_DIR/pgbouncer.pid" pgbouncer; then
      kill -HUP "$(cat "$PGB_DIR/pgbouncer.pid")"
    fi
  fi
  if ! pid_alive "$PGB_DIR/pgbouncer.pid" pgbouncer; then
    as_pg /usr/sbin/pgbouncer -d -q "$ini" || die "PgBouncer failed to start (see $PGLOGS/pgbouncer.log)"
    log "PgBouncer started"
  fi
  wait_for "PgBouncer" 15 port_listening "$PGBOUNCER_PORT"
}

# --------------------------------------------------------------------------
# Redis
redis_ping() {
  REDISCLI_AUTH=$(cat "$(secret_file redis)") redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping | grep -qx PONG
}

redis_up() {
  local dir=$STATE/redis conf=$STATE/redis/redis.conf tmp
  install -d -m 0700 "$dir"
  tmp=$(mktemp "$dir/.conf.XXXXXX")
  cat > "$tmp" <<EOF
# Written by tests/lab/data/lab.sh on every 'up'. Holds the password: 0600.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
pidfile "$RUN/redis.pid"
logfile "$LOGS/redis.log"
dir "$dir"
save ""
appendonly no
maxmemory 64mb
maxmemory-policy allkeys-lru
requirepass "$(cat "$(secret_file redis)")"
EOF
  chmod 0600 "$tmp"
  mv "$tmp" "$conf"
  if ! pid_alive "$RUN/redis.pid" redis-server; then
    redis-server "$conf" || die "Redis failed to start (see $LOGS/redis.log)"
    log "Redis started"
  fi
  wait_for "Redis" 15 redis_ping
}

# --------------------------------------------------------------------------
# Prometheus + Alertmanager
ensure_smtp_secret() {
  # Alertmanager logs in to the edge SMTP relay with the lab's SendGrid key. The
  # data component starts before edge: create the edge secrets (same code and
  # formats edge uses; existing files are kept) so the file exists from the start.
  if [[ ! -s $SMTP_PASSWORD_FILE ]]; then
    (cd "$HERE/.." && python3 -m standins.common ensure-secrets "$EDGE_SECRETS" >/dev/null) \
      || die "cannot create the edge secrets in $EDGE_SECRETS"
    log "edge secrets created in $EDGE_SECRETS (SMTP password for Alertmanager)"
  fi
  [[ -s $SMTP_PASSWORD_FILE ]] || die "$SMTP_PASSWORD_FILE missing"
  # Alertmanager 0.25 sends auth_password_file's content byte for byte, final
  # newline included: it gets its own copy without one (0600, rewritten on change).
  local f tmp
  f=$(secret_file alertmanager-smtp)
  tmp=$(mktemp "$SECRETS/.alertmanager-smtp.XXXXXX")
  printf '%s' "$(cat "$SMTP_PASSWORD_FILE")" > "$tmp"
  chmod 0600 "$tmp"
  if [[ -s $f ]] && cmp -s "$tmp" "$f"; then rm -f "$tmp"; else mv "$tmp" "$f"; fi
}

alertmanager_up() {
  local dir=$STATE/alertmanager
  install -d -m 0755 "$dir" "$dir/data"
  ensure_smtp_secret
  # The password stays in its own file (auth_password_file, read at each send):
  # the configuration holds no secret.
  cat > "$dir/alertmanager.yml" <<EOF
# Written by tests/lab/data/lab.sh on every 'up'. Every alert is mailed through
# the lab SMTP relay (edge component, like SendGrid's: STARTTLS, AUTH apikey);
# mails land in .lab/edge/mail/.
route:
  receiver: lab-email
  group_by: [alertname, severity]
  group_wait: 1s
  group_interval: 1m
  repeat_interval: 4h
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname, service]
receivers:
  - name: lab-email
    email_configs:
      - to: $ALERT_MAIL_TO
        from: $ALERT_MAIL_FROM
        smarthost: $SMTP_ADDR
        hello: alertmanager.smeplatform.test
        auth_username: apikey
        auth_password_file: $(secret_file alertmanager-smtp)
        require_tls: true
        send_resolved: true
        tls_config:
          ca_file: $TLS_CA
          server_name: $SMTP_HOST
EOF
  /usr/bin/amtool check-config "$dir/alertmanager.yml" >/dev/null 2>"$LOGS/amtool.log" \
    || { cat "$LOGS/amtool.log" >&2; die "Alertmanager configuration invalid"; }
  if ! pid_alive "$RUN/alertmanager.pid" alertmanager; then
    spawn Alertmanager "$RUN/alertmanager.pid" "$LOGS/alertmanager.log" \
      /usr/bin/prometheus-alertmanager \
      --config.file="$dir/alertmanager.yml" \
      --storage.path="$dir/data" \
      --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" \
      --cluster.listen-address=
    fingerprint "$dir/alertmanager.yml" > "$dir/.loaded.sha256"
  elif [[ $(fingerprint "$dir/alertmanager.yml") != $(cat "$dir/.loaded.sha256" 2>/dev/null) ]]; then
    curl -fsS -o /dev/null -X POST "http://127.0.0.1:$ALERTMANAGER_PORT/-/reload" \
      || die "Alertmanager rejected its configuration (see $LOGS/alertmanager.log)"
    fingerprint "$dir/alertmanager.yml" > "$dir/.loaded.sha256"
    log "Alertmanager reloaded"
  fi
  wait_for "Alertmanager" 30 http_ok "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready"
}

blackbox_up() {
  # Production probes the API's /health with the blackbox exporter; so does the lab.
  local dir=$STATE/blackbox
  install -d -m 0755 "$dir"
  cat > "$dir/blackbox.yml" <<EOF
# Written by tests/lab/data/lab.sh on every 'up'.
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      method: GET
      preferred_ip_protocol: ip4
      fail_if_not_ssl: true
      tls_config:
        ca_file: $TLS_CA
        server_name: $PLATFORM_API_HOST
EOF
  /usr/bin/prometheus-blackbox-exporter --config.file="$dir/blackbox.yml" --config.check >/dev/null \
    2>"$LOGS/blackbox-check.log" || { cat "$LOGS/blackbox-check.log" >&2; die "blackbox exporter configuration invalid"; }
  local inputs=("$dir/blackbox.yml" "$TLS_CA")
  if ! pid_alive "$RUN/blackbox.pid" blackbox; then
    spawn "Blackbox exporter" "$RUN/blackbox.pid" "$LOGS/blackbox.log" \
      /usr/bin/prometheus-blackbox-exporter \
      --config.file="$dir/blackbox.yml" \
      --web.listen-address="127.0.0.1:$BLACKBOX_PORT"
    fingerprint "${inputs[@]}" > "$dir/.loaded.sha256"
  elif [[ $(fingerprint "${inputs[@]}") != $(cat "$dir/.loaded.sha256" 2>/dev/null) ]]; then
    curl -fsS -o /dev/null -X POST "http://127.0.0.1:$BLACKBOX_PORT/-/reload" \
      || die "blackbox exporter rejected its configuration (see $LOGS/blackbox.log)"
    fingerprint "${inputs[@]}" > "$dir/.loaded.sha256"
    log "Blackbox exporter reloaded"
  fi
  wait_for "Blackbox exporter" 30 http_ok "http://127.0.0.1:$BLACKBOX_PORT/-/healthy"
}

prometheus_up() {
  local dir=$STATE/prometheus
  [[ -s $RULES_FILE ]] || die "rule file $RULES_FILE missing"
  [[ -s $TLS_CA ]] || log "warning: $TLS_CA missing: Prometheus drops the backend job" \
    "until 'tests/lab/tls/lab.sh up' then '$0 up' (which reloads it)"
  install -d -m 0755 "$dir" "$dir/data"
  cat > "$dir/prometheus.yml" <<EOF
# Written by tests/lab/data/lab.sh on every 'up'.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
  external_labels:
    environment: lab
rule_files:
  - $RULES_FILE
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:$ALERTMANAGER_PORT']
scrape_configs:
  - job_name: sme-platform-backend
    scheme: https
    metrics_path: /metrics
    scrape_interval: 5s
    tls_config:
      ca_file: $TLS_CA
      server_name: api.smeplatform.test
    static_configs:
      - targets: ['127.0.0.1:15543']
        labels:
          service: sme-platform-backend
  # The API's /health through the blackbox exporter: the probed URL is the
  # target (scrape URL parameter "target", label instance), the exporter the address.
  - job_name: sme-platform-health
    metrics_path: /probe
    params:
      module: [http_2xx]
    scrape_interval: 5s
    static_configs:
      - targets: ['$HEALTH_URL']
        labels:
          service: sme-platform-backend
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:$BLACKBOX_PORT
  - job_name: blackbox-exporter
    static_configs:
      - targets: ['127.0.0.1:$BLACKBOX_PORT']
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:$PROMETHEUS_PORT']
  - job_name: alertmanager
    static_configs:
      - targets: ['127.0.0.1:$ALERTMANAGER_PORT']
EOF
  /usr/bin/promtool check config --syntax-only "$dir/prometheus.yml" >/dev/null 2>"$LOGS/promtool.log" \
    || { cat "$LOGS/promtool.log" >&2; die "Prometheus configuration invalid"; }
  local inputs=("$dir/prometheus.yml" "$RULES_FILE" "$TLS_CA")
  if ! pid_alive "$RUN/prometheus.pid" prometheus; then
    spawn Prometheus "$RUN/prometheus.pid" "$LOGS/prometheus.log" \
      /usr/bin/prometheus \
      --config.file="$dir/prometheus.yml" \
      --storage.tsdb.path="$dir/data" \
      --storage.tsdb.retention.time=30d \
      --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
      --web.enable-lifecycle
    fingerprint "${inputs[@]}" > "$dir/.loaded.sha256"
  elif [[ $(fingerprint "${inputs[@]}") != $(cat "$dir/.loaded.sha256" 2>/dev/null) ]]; then
    # Reload only on change: a reload resets discovery for a few seconds.
    curl -fsS -o /dev/null -X POST "http://127.0.0.1:$PROMETHEUS_PORT/-/reload" \
      || die "Prometheus rejected its configuration (see $LOGS/prometheus.log)"
    fingerprint "${inputs[@]}" > "$dir/.loaded.sha256"
    log "Prometheus reloaded"
  fi
  wait_for "Prometheus" 60 http_ok "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
  # Discovery syncs about 5 s after a start or reload: wait, so that checks run
  # right after 'up' see the backend target and the Alertmanager.
  wait_for "Prometheus alertmanager discovery" 30 prometheus_api_has alertmanagers "127.0.0.1:$ALERTMANAGER_PORT"
  if [[ -s $TLS_CA ]]; then
    wait_for "Prometheus target sme-platform-backend" 30 prometheus_api_has targets '"job":"sme-platform-backend"'
    wait_for "Prometheus target sme-platform-health" 30 prometheus_api_has targets '"job":"sme-platform-health"'
  fi
}

fingerprint() {
  # Content of the given files (missing ones count as empty), hashed.
  local f
  for f in "$@"; do printf '%s\0' "$f"; cat "$f" 2>/dev/null || true; done | sha256sum | cut -c1-64
}

prometheus_api_has() {
  curl -fsS --max-time 2 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/$1" | grep -qF -- "$2"
}

# --------------------------------------------------------------------------
# Registry
registry_v2_auth() {
  curl -fsS -o /dev/null --max-time 2 -u "$REGISTRY_USER:$(cat "$(secret_file registry)")" \
    "http://127.0.0.1:$REGISTRY_PORT/v2/"
}

registry_up() {
  local dir=$STATE/registry conf=$STATE/registry-config.yml htp=$SECRETS/registry.htpasswd tmp
  install -d -m 0755 "$dir"
  # bcrypt hash; regenerated only when the password file is newer.
  if [[ ! -s $htp || $(secret_file registry) -nt $htp ]]; then
    (umask 077; htpasswd -iBc "$htp.tmp" "$REGISTRY_USER" < "$(secret_file registry)" 2>/dev/null)
    mv "$htp.tmp" "$htp"
  fi
  tmp=$(mktemp "$STATE/.registry-config.XXXXXX")
  cat > "$tmp" <<EOF
# Written by tests/lab/data/lab.sh on every 'up'. Holds the HTTP secret: 0600.
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$REGISTRY_PORT
  secret: $(cat "$(secret_file registry-http-secret)")
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: smeplatform-lab-registry
    path: $htp
health:
  storagedriver:
    enabled: false
EOF
  chmod 0600 "$tmp"
  mv "$tmp" "$conf"
  if ! pid_alive "$RUN/registry.pid" docker-registry; then
    spawn Registry "$RUN/registry.pid" "$LOGS/registry.log" /usr/bin/docker-registry serve "$conf"
  fi
  wait_for "Registry" 30 registry_v2_auth
  # the application repository first: its tag commits are the images' revision labels
  python3 "$HERE/app_repo.py" --dest "$APP_REPO" --registry "127.0.0.1:$REGISTRY_PORT"
  python3 "$HERE/push_images.py" \
    --registry "127.0.0.1:$REGISTRY_PORT" --username "$REGISTRY_USER" \
    --password-file "$(secret_file registry)" --app-repo "$APP_REPO"
}

# --------------------------------------------------------------------------
# The application's Secret. The platform logs in to PostgreSQL (as sme_app) and Redis with DATABASE_PASSWORD and
# REDIS_PASSWORD of sme-platform/sme-platform-secrets, which generate_secrets.yml (or deploy.yml) writes; the
# collection's checks (4.2.4, 3.2.3) prove exactly that. The lab's servers follow the Secret, as the operator sets
# the role's password and requirepass to the generated values: each value lands in the lab's secret file
# (pg-sme_app, redis), which the rest of `up` (or `app-secret`) hands to PostgreSQL, PgBouncer and Redis. The lab
# never writes the Secret (the collection's own annotations say who set each value and when). Values never reach a
# command line or the output. Nothing happens while the k8s component is not up or the Secret lacks the key.
APP_NAMESPACE=sme-platform
APP_SECRET=sme-platform-secrets
APP_KEYS=("DATABASE_PASSWORD:pg-sme_app" "REDIS_PASSWORD:redis")

# The k8s lab's cluster, or the one SMEPLATFORM_LAB_KUBECONFIG names (the kind lab's), as the edge lab reads it.
lab_kubectl() {
  ( eval "$("$ROOT/tests/lab/k8s/lab.sh" env 2>/dev/null)"
    [[ -z ${SMEPLATFORM_LAB_KUBECONFIG:-} ]] || export KUBECONFIG=$SMEPLATFORM_LAB_KUBECONFIG
    kubectl --request-timeout=10s "$@" )
}

align_app_secret() {
  local json spec key file value
  if ! lab_kubectl get --raw /readyz >/dev/null 2>&1; then
    log "app Secret: the lab cluster is not up; the database and Redis passwords stay as they are"
    return 0
  fi
  json=$(lab_kubectl -n "$APP_NAMESPACE" get secret "$APP_SECRET" -o json 2>/dev/null || true)
  for spec in "${APP_KEYS[@]}"; do
    IFS=: read -r key file <<<"$spec"
    value=$(jq -r --arg k "$key" '.data[$k] // empty' <<<"${json:-null}" | base64 -d)
    if [[ -z $value ]]; then
      log "app Secret: no $key in $APP_NAMESPACE/$APP_SECRET (generate_secrets.yml writes it); $file stays"
      continue
    fi
    [[ -s $(secret_file "$file") && $(cat "$(secret_file "$file")") == "$value" ]] && continue
    if [[ $file == redis ]] && pid_alive "$RUN/redis.pid" redis-server; then
      # the running server takes the new password at once (-x: the last argument from stdin, not the command line)
      printf '%s' "$value" | REDISCLI_AUTH=$(cat "$(secret_file redis)") \
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" -x CONFIG SET requirepass >/dev/null
    fi
    (umask 077; printf '%s\n' "$value" > "$(secret_file "$file").tmp" && mv "$(secret_file "$file").tmp" "$(secret_file "$file")")
    log "app Secret: $file follows $key of $APP_NAMESPACE/$APP_SECRET"
  done
}

cmd_app_secret() {
  require_installed
  align_app_secret
  ensure_secrets
  pg_bootstrap
  pgbouncer_up
  redis_up
}

# --------------------------------------------------------------------------
cmd_up() {
  require_installed
  install -d -m 0755 "$STATE" "$RUN" "$LOGS"
  prepare_pg_base
  ensure_secrets
  align_app_secret
  ensure_secrets
  pg_init_primary
  pg_start primary "$PRIMARY"
  pg_bootstrap
  pg_init_replica
  pg_start replica "$REPLICA"
  wait_for "PostgreSQL replica streaming" 60 replica_streaming
  pg_archive_current
  pgbouncer_up
  redis_up
  alertmanager_up
  blackbox_up
  prometheus_up
  registry_up
  log "up: all data services ready"
}

cmd_down() {
  stop_pidfile Registry "$RUN/registry.pid" docker-registry
  stop_pidfile Prometheus "$RUN/prometheus.pid" prometheus
  # Metrics start afresh with each lab start: the platform stand-in's restarts by down/up are not crashes, and
  # an alert on them (BackendRestartingFrequently) or old 5xx rates would leak into the next run's checks.
  rm -rf "$STATE/prometheus/data"
  stop_pidfile "Blackbox exporter" "$RUN/blackbox.pid" blackbox
  stop_pidfile Alertmanager "$RUN/alertmanager.pid" alertmanager
  stop_pidfile Redis "$RUN/redis.pid" redis-server
  stop_pidfile PgBouncer "$PGB_DIR/pgbouncer.pid" pgbouncer
  pg_stop replica "$REPLICA"
  pg_stop primary "$PRIMARY"
  local port i busy
  for ((i = 0; i < 50; i++)); do
    busy=()
    for port in "${ALL_PORTS[@]}"; do
      port_listening "$port" && busy+=("$port")
    done
    ((${#busy[@]})) || break
    sleep 0.1
  done
  ((${#busy[@]} == 0)) || die "ports still listening after down: ${busy[*]}"
  log "down: nothing of the data component is running"
}

cmd_listeners() {
  # One line per listening socket on the component's ports: ADDRESS:PORT PROCESS
  local filter="" port
  for port in "${ALL_PORTS[@]}"; do
    filter+="${filter:+ or }sport = :$port"
  done
  ss -Hltnp "( $filter )" | awk '{
    proc = $6; sub(/^users:\(\("/, "", proc); sub(/".*/, "", proc);
    print $4, proc }' | sort -u
}

cmd_status() {
  local rc=0
  check() {
    if "${@:2}" >/dev/null 2>&1; then printf '%-24s up\n' "$1"; else printf '%-24s down\n' "$1"; rc=1; fi
  }
  check "postgresql-primary" port_listening "$PG_PRIMARY_PORT"
  check "postgresql-replica" port_listening "$PG_REPLICA_PORT"
  check "pgbouncer" port_listening "$PGBOUNCER_PORT"
  check "redis" port_listening "$REDIS_PORT"
  check "prometheus" http_ok "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
  check "alertmanager" http_ok "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready"
  check "blackbox-exporter" http_ok "http://127.0.0.1:$BLACKBOX_PORT/-/healthy"
  check "registry" port_listening "$REGISTRY_PORT"
  echo "listeners:"
  cmd_listeners | sed 's/^/  /'
  return $rc
}

cmd_env() {
  local name
  local -a vars=(
    "PGHOST=127.0.0.1"
    "PGPORT=$PG_PRIMARY_PORT"
    "PGUSER=sme_ops"
    "PGDATABASE=$PG_DB"
    "PGPASSFILE=$SECRETS/pgpass"
    "SMEPLATFORM_LAB_PG_PASSWORD_FILE=$SECRETS/pg-sme_ops"
    "SMEPLATFORM_LAB_PG_APP_USER=sme_app"
    "SMEPLATFORM_LAB_PG_APP_PASSWORD_FILE=$SECRETS/pg-sme_app"
    "SMEPLATFORM_LAB_PG_OWNER_USER=sme_owner"
    "SMEPLATFORM_LAB_PG_OWNER_PASSWORD_FILE=$SECRETS/pg-sme_owner"
    "SMEPLATFORM_LAB_PG_REPLICA_PORT=$PG_REPLICA_PORT"
    "SMEPLATFORM_LAB_PG_WAL_ARCHIVE=$WAL_ARCHIVE"
    "SMEPLATFORM_LAB_PGBOUNCER_PORT=$PGBOUNCER_PORT"
    "REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
    "SMEPLATFORM_LAB_REDIS_PASSWORD_FILE=$SECRETS/redis"
    "PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT"
    "ALERTMANAGER_URL=http://127.0.0.1:$ALERTMANAGER_PORT"
    "SMEPLATFORM_LAB_BLACKBOX_URL=http://127.0.0.1:$BLACKBOX_PORT"
    "SMEPLATFORM_LAB_HEALTH_URL=$HEALTH_URL"
    "SMEPLATFORM_LAB_ALERT_MAIL_TO=$ALERT_MAIL_TO"
    "SMEPLATFORM_LAB_PROMETHEUS_RULES=$RULES_FILE"
    "SMEPLATFORM_LAB_REGISTRY=127.0.0.1:$REGISTRY_PORT"
    "SMEPLATFORM_LAB_REGISTRY_USER=$REGISTRY_USER"
    "SMEPLATFORM_LAB_REGISTRY_PASSWORD_FILE=$SECRETS/registry"
    "SMEPLATFORM_LAB_APP_REPO=$APP_REPO/sme-platform"
    "SMEPLATFORM_LAB_GITHUB_FIXTURES=$APP_REPO/github"
  )
  for name in "${vars[@]}"; do
    printf 'export %s=%q\n' "${name%%=*}" "${name#*=}"
  done
}

case "${1:-}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  listeners) cmd_listeners ;;
  app-secret) cmd_app_secret ;;
  *) echo "usage: $0 install|up|down|status|env|listeners|app-secret" >&2; exit 2 ;;
esac
