#!/usr/bin/env bash
# Edge lab: what sits around the cluster in production, on 127.0.0.1:15500-15599.
#   dnsmasq        :15553 udp+tcp  authoritative for smeplatform.test (A, MX, SPF, DKIM, DMARC)
#   SMTP relay     :15525          STARTTLS + AUTH like SendGrid's relay (edge/smtp_relay.py)
#   platform       :15543 https    stand-in of the deployed platform (standins/platform.py), also the
#                                  ingress controller of IngressClass nginx (publishes 127.0.0.1 on Ingresses)
#   SendGrid/Twilio/Razorpay :15580/15581/15582 https  SaaS stand-ins (standins/saas.py)
#   GitHub REST API :15583 https  stand-in (standins/github.py) serving the lab application repository's CI
#                                  results, workflows, secret names and releases (.lab/data/app-repo/github)
#   Grafana API    :15584 https   stand-in (standins/grafana.py): health, data sources, dashboards, users, teams
#   Sentry/New Relic/Statuspage/log sink/PagerDuty :15586-15590 https  operations SaaS stand-ins (standins/ops.py)
#   S3             :15585 https   moto's server mode (MOTO_VERSION, its own venv in the lab cache) holding the
#                                  offsite file backup bucket, made by s3_bucket.py at every up
#
# Usage: tests/lab/edge/lab.sh install|up|down|status|env
# State: .lab/edge/{run,logs,mail,secrets,dnsmasq.conf}; TLS material from .lab/tls.
# The platform stand-in reads the k8s lab through .lab/k8s/kubeconfig (or
# SMEPLATFORM_LAB_KUBECONFIG); set SMEPLATFORM_LAB_PLATFORM_STATIC_VERSION=TAG
# to run it without a cluster.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
labsrc="$(cd "$here/.." && pwd)"
repo="$(cd "$here/../../.." && pwd)"
lab="${SMEPLATFORM_LAB_DIR:-$repo/.lab}"
state="$lab/edge"
tls="$lab/tls"
run="$state/run"
logs="$state/logs"
secrets="$state/secrets"
mail="$state/mail"
kubeconfig="${SMEPLATFORM_LAB_KUBECONFIG:-$lab/k8s/kubeconfig}"
requirements="$labsrc/requirements.txt"
# shellcheck source=../versions.env
. "$labsrc/versions.env"
cache="${SMEPLATFORM_LAB_CACHE:-$HOME/.cache/smeplatform-lab}"
moto_venv="$cache/moto-$MOTO_VERSION/venv"

host=127.0.0.1
port_dns=15553
port_smtp=15525
port_platform=15543
port_sendgrid=15580
port_twilio=15581
port_razorpay=15582
port_github=15583
port_grafana=15584
port_s3=15585
port_sentry=15586
port_newrelic=15587
port_statuspage=15588
port_logsink=15589
port_pagerduty=15590
# The offsite file backup bucket (checklist 9.1.2): in another region than the platform's (ap-south-1).
s3_bucket=sme-platform-uploads-backup
s3_region=ap-south-2
fixtures_github="$lab/data/app-repo/github"
domain=smeplatform.test
names=("$domain" "www.$domain" "app.$domain" "api.$domain" "prometheus.$domain" "grafana.$domain"
  "smtp.$domain" "expired.$domain")
components=(dns smtp platform saas github grafana s3 ops)

t0=$SECONDS
log() { printf '[edge-lab +%3ds] %s\n' "$((SECONDS - t0))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

python_bin() {
  if [[ -n "${SMEPLATFORM_LAB_PYTHON:-}" ]]; then echo "$SMEPLATFORM_LAB_PYTHON"
  elif [[ -x "$repo/.venv/bin/python" ]]; then echo "$repo/.venv/bin/python"
  else echo "$state/venv/bin/python"; fi
}

ports_of() {
  case "$1" in
    dns) echo "$port_dns" ;;
    smtp) echo "$port_smtp" ;;
    platform) echo "$port_platform" ;;
    saas) echo "$port_sendgrid $port_twilio $port_razorpay" ;;
    github) echo "$port_github" ;;
    grafana) echo "$port_grafana" ;;
    s3) echo "$port_s3" ;;
    ops) echo "$port_sentry $port_newrelic $port_statuspage $port_logsink $port_pagerduty" ;;
  esac
}

# pid_of NAME: pid of a running component, empty when not running. The pid
# counts only if its command line names this lab's state directory, so a
# recycled pid is never taken for (or killed as) a lab process.
pid_of() {
  local f="$run/$1.pid" pid
  [[ -s "$f" ]] || return 0
  pid="$(<"$f")"
  if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$state"; then
    echo "$pid"
  fi
}

alive() { # alive PID: running and not a zombie waiting for its reaper
  [[ -r "/proc/$1/status" ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

listening() { # listening PORT: a TCP listener on 127.0.0.1:PORT exists
  [[ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]]
}

cmd_install() {
  if ! command -v dnsmasq >/dev/null; then
    log "installing dnsmasq-base (the binary only: no system service, resolver untouched)"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq dnsmasq-base >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq dnsmasq-base >/dev/null; }
  fi
  command -v openssl >/dev/null || "$labsrc/tls/lab.sh" install
  local py stamp want
  py="$(python_bin)"
  if [[ ! -x "$py" ]]; then
    log "no project venv: creating $state/venv"
    mkdir -p "$state"
    python3 -m venv "$state/venv"
  fi
  stamp="$state/.requirements.stamp"
  want="$py $(sha256sum "$requirements" | cut -d' ' -f1)"
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    log "installing $requirements into $("$py" -c 'import sys; print(sys.prefix)')"
    "$py" -m pip install -q --disable-pip-version-check -r "$requirements"
    mkdir -p "$state"
    printf '%s\n' "$want" >"$stamp"
  fi
  if [[ ! -x "$moto_venv/bin/moto_server" ]]; then
    # Its own venv: moto pins botocore's python-dateutil below what the project's kubernetes client needs.
    log "installing moto $MOTO_VERSION (S3 server mode) into $moto_venv"
    rm -rf "$moto_venv"
    python3 -m venv "$moto_venv"
    "$moto_venv/bin/python" -m pip install -q --disable-pip-version-check "moto[s3,server]==$MOTO_VERSION"
  fi
  log "install done: dnsmasq $(dnsmasq --version | head -1 | awk '{print $3}'), python $py"
}

ensure_dkim() {
  local key="$secrets/dkim_s1.pem"
  if [[ ! -s "$key" ]]; then
    (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$key" 2>/dev/null)
  fi
}

# TXT strings are at most 255 bytes: split the DKIM record into quoted chunks.
txt_chunks() {
  local s="$1" out=""
  while [[ -n "$s" ]]; do out+="${out:+,}\"${s:0:255}\""; s="${s:255}"; done
  printf '%s' "$out"
}

write_dnsmasq_conf() {
  local pub n conf="$state/dnsmasq.conf"
  pub="$(openssl pkey -in "$secrets/dkim_s1.pem" -pubout -outform DER 2>/dev/null | base64 -w0)"
  {
    echo "# generated by tests/lab/edge/lab.sh"
    echo "port=$port_dns"
    echo "listen-address=$host"
    echo "bind-interfaces"
    echo "no-resolv"
    echo "no-hosts"
    echo "local=/$domain/"
    for n in "${names[@]}"; do echo "host-record=$n,$host"; done
    echo "mx-host=$domain,smtp.$domain,10"
    echo "txt-record=$domain,\"v=spf1 include:sendgrid.net -all\""
    echo "txt-record=s1._domainkey.$domain,$(txt_chunks "v=DKIM1; k=rsa; p=$pub")"
    echo "txt-record=_dmarc.$domain,\"v=DMARC1; p=quarantine; rua=mailto:dmarc@$domain; adkim=s; aspf=s\""
    echo "log-facility=-"
  } >"$conf.tmp"
  mv "$conf.tmp" "$conf"
}

command_of() { # command_of NAME: prints the argv, one per line
  local py
  py="$(python_bin)"
  case "$1" in
    dns) printf '%s\n' dnsmasq --keep-in-foreground --pid-file= --conf-file="$state/dnsmasq.conf" ;;
    smtp) printf '%s\n' "$py" "$here/smtp_relay.py" --listen "$host" --port "$port_smtp" --tls-dir "$tls" \
      --password-file "$secrets/smtp" --mail-dir "$mail" ;;
    platform)
      printf '%s\n' "$py" -m standins.platform --listen "$host" --port "$port_platform" --tls-dir "$tls" \
        --secrets-dir "$secrets" --kubeconfig "$kubeconfig" --admins-file "$state/platform/admins.json"
      if [[ -n "${SMEPLATFORM_LAB_PLATFORM_STATIC_VERSION:-}" ]]; then
        printf '%s\n' --static-version "$SMEPLATFORM_LAB_PLATFORM_STATIC_VERSION"
      fi
      if [[ "${SMEPLATFORM_LAB_PLATFORM_CHECK_DEPS:-0}" == 1 ]]; then
        printf '%s\n' --database-addr 127.0.0.1:15432 --redis-addr 127.0.0.1:15479
      fi
      ;;
    saas) printf '%s\n' "$py" -m standins.saas --listen "$host" --sendgrid-port "$port_sendgrid" \
      --twilio-port "$port_twilio" --razorpay-port "$port_razorpay" --tls-dir "$tls" \
      --secrets-dir "$secrets" --mail-dir "$mail" --sendgrid-state "$state/saas/sendgrid.json" ;;
    github) printf '%s\n' "$py" -m standins.github --listen "$host" --port "$port_github" --tls-dir "$tls" \
      --secrets-dir "$secrets" --fixtures-dir "$fixtures_github" ;;
    grafana) printf '%s\n' "$py" -m standins.grafana --listen "$host" --port "$port_grafana" --tls-dir "$tls" \
      --secrets-dir "$secrets" --state "$state/grafana/state.json" --prometheus-url "http://$host:15490" ;;
    ops) printf '%s\n' "$py" -m standins.ops --listen "$host" --sentry-port "$port_sentry" \
      --newrelic-port "$port_newrelic" --statuspage-port "$port_statuspage" --logsink-port "$port_logsink" \
      --pagerduty-port "$port_pagerduty" --tls-dir "$tls" --secrets-dir "$secrets" --state "$state/ops/state.json" --log-dir "$logs" ;;
    # HTTPS with copies of the lab certificate under the state directory (pid_of looks for it in the arguments)
    s3) printf '%s\n' "$moto_venv/bin/python" "$moto_venv/bin/moto_server" -H "$host" -p "$port_s3" \
      --ssl-cert "$state/s3/server-fullchain.crt" --ssl-key "$state/s3/server.key" ;;
  esac
}

start() {
  local name="$1" port argv
  if [[ -n "$(pid_of "$name")" ]]; then
    log "$name already running (pid $(pid_of "$name"))"
    return
  fi
  for port in $(ports_of "$name"); do
    listening "$port" && die "port $port is taken by another process: $(ss -ltnpH "sport = :$port" | head -1)"
  done
  mapfile -t argv < <(command_of "$name")
  # setsid: the servers outlive the shell that started them.
  (cd "$labsrc" && exec setsid "${argv[@]}" >>"$logs/$name.log" 2>&1 </dev/null) &
  echo $! >"$run/$name.pid"
}

wait_ready() {
  local name="$1" port deadline=$((SECONDS + 20))
  for port in $(ports_of "$name"); do
    until listening "$port"; do
      [[ -n "$(pid_of "$name")" ]] || die "$name exited: see $logs/$name.log (tail: $(tail -3 "$logs/$name.log" | tr '\n' ' '))"
      ((SECONDS < deadline)) || die "$name not listening on $port after 20s: see $logs/$name.log"
      sleep 0.1
    done
  done
}

cmd_up() {
  local py t_start
  t_start=$SECONDS
  command -v dnsmasq >/dev/null || cmd_install
  py="$(python_bin)"
  if ! { [[ -x "$py" ]] && "$py" -c 'import aiosmtpd, yaml' 2>/dev/null && [[ -x "$moto_venv/bin/moto_server" ]]; }; then
    cmd_install
    py="$(python_bin)"
  fi
  "$labsrc/tls/lab.sh" up >/dev/null
  mkdir -p "$run" "$logs" "$mail"
  (cd "$labsrc" && "$py" -m standins.common ensure-secrets "$secrets" | sed 's/^/[edge-lab] secrets /' >&2)
  ensure_dkim
  write_dnsmasq_conf
  # Running servers hold certificates, zone data and code in memory: restart
  # them when any of those changed since they were started.
  local c inputs
  inputs="$(cat "$tls/ca.crt" "$tls/server.crt" "$tls/expired.crt" "$state/dnsmasq.conf" \
    "$here/smtp_relay.py" "$labsrc"/standins/*.py | sha256sum | cut -d' ' -f1)"
  if [[ -f "$run/inputs.sha256" && "$(<"$run/inputs.sha256")" != "$inputs" ]]; then
    log "certificates, zone or stand-in code changed: restarting"
    cmd_down
  fi
  printf '%s\n' "$inputs" >"$run/inputs.sha256"
  mkdir -p "$state/s3" && (umask 077 && cp "$tls/server-fullchain.crt" "$tls/server.key" "$state/s3/")
  for c in "${components[@]}"; do start "$c"; done
  for c in "${components[@]}"; do wait_ready "$c"; done
  # moto keeps buckets in memory: (re)make the file backup bucket, with a fresh backup object, at every up.
  "$py" "$here/s3_bucket.py" --endpoint "https://$host:$port_s3" --ca-bundle "$tls/ca.crt" "$s3_bucket" \
    --region "$s3_region" --object "uploads/$(date -u +%Y-%m-%d)/lab-up-$(date -u +%H%M%S).txt" \
    | sed 's/^/[edge-lab] s3 /' >&2
  # UDP side of the resolver: dnsmasq binds udp and tcp together, check anyway.
  [[ -n "$(ss -lunH "sport = :$port_dns")" ]] || die "dnsmasq is not listening on udp $port_dns"
  log "up in $((SECONDS - t_start))s"
  cmd_status
}

cmd_down() {
  local c pid i port left=0
  for c in "${components[@]}"; do
    pid="$(pid_of "$c")"
    if [[ -n "$pid" ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
      if alive "$pid"; then
        log "$c (pid $pid) ignored SIGTERM: killing"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      log "stopped $c (pid $pid)"
    fi
    rm -f "$run/$c.pid"
  done
  for c in "${components[@]}"; do
    for port in $(ports_of "$c"); do
      for ((i = 0; i < 30; i++)); do listening "$port" || break; sleep 0.1; done
      if listening "$port"; then log "port $port still has a listener (not ours?)"; left=1; fi
    done
  done
  return "$left"
}

cmd_status() {
  local c pid rc=0 rss
  for c in "${components[@]}"; do
    pid="$(pid_of "$c")"
    if [[ -n "$pid" ]]; then
      rss="$(awk '/VmRSS/ {printf "%d MiB", $2/1024}' "/proc/$pid/status")"
      printf '%-9s running  pid %-7s ports %-18s rss %s\n' "$c" "$pid" "$(ports_of "$c")" "$rss"
    else
      printf '%-9s stopped\n' "$c"
      rc=1
    fi
  done
  return "$rc"
}

cmd_env() {
  cat <<ENV
export SMEPLATFORM_LAB_DNS=$host:$port_dns
export SMEPLATFORM_LAB_SMTP=$host:$port_smtp
export SMEPLATFORM_LAB_SMTP_USER=apikey
export SMEPLATFORM_LAB_SMTP_PASSWORD_FILE=$secrets/smtp
export SMEPLATFORM_LAB_MAIL_DIR=$mail
export SMEPLATFORM_LAB_PLATFORM_URL=https://api.$domain:$port_platform
export SMEPLATFORM_LAB_FRONTEND_URL=https://$domain:$port_platform
export SMEPLATFORM_LAB_PLATFORM_ADDR=$host:$port_platform
export SMEPLATFORM_LAB_ADMIN_EMAIL=admin@$domain
export SMEPLATFORM_LAB_ADMIN_PASSWORD_FILE=$secrets/admin-password
export SMEPLATFORM_LAB_SENDGRID_URL=https://$host:$port_sendgrid
export SMEPLATFORM_LAB_TWILIO_URL=https://$host:$port_twilio
export SMEPLATFORM_LAB_RAZORPAY_URL=https://$host:$port_razorpay
export SMEPLATFORM_LAB_SECRETS_DIR=$secrets
export SMEPLATFORM_LAB_GITHUB_URL=https://$host:$port_github
export SMEPLATFORM_LAB_GITHUB_TOKEN_FILE=$secrets/github_token
export SMEPLATFORM_LAB_GRAFANA_URL=https://grafana.$domain:$port_grafana
export SMEPLATFORM_LAB_GRAFANA_TOKEN_FILE=$secrets/grafana_token
export SMEPLATFORM_LAB_GRAFANA_STATE=$state/grafana/state.json
export SMEPLATFORM_LAB_PLATFORM_ADMINS_FILE=$state/platform/admins.json
export SMEPLATFORM_LAB_S3_URL=https://$host:$port_s3
export SMEPLATFORM_LAB_S3_BUCKET=$s3_bucket
export SMEPLATFORM_LAB_S3_REGION=$s3_region
export SMEPLATFORM_LAB_SENTRY_URL=https://$host:$port_sentry
export SMEPLATFORM_LAB_NEWRELIC_URL=https://$host:$port_newrelic
export SMEPLATFORM_LAB_STATUSPAGE_URL=https://$host:$port_statuspage
export SMEPLATFORM_LAB_LOGSINK_URL=https://$host:$port_logsink
export SMEPLATFORM_LAB_PAGERDUTY_URL=https://$host:$port_pagerduty
export SMEPLATFORM_LAB_OPS_STATE=$state/ops/state.json
export SMEPLATFORM_LAB_SENDGRID_STATE=$state/saas/sendgrid.json
ENV
}

case "${1:-}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) printf 'usage: %s install|up|down|status|env\n' "$0" >&2; exit 2 ;;
esac
