#!/usr/bin/env bash
# Lab TLS material: a private CA and the certificates the edge lab serves.
#
# Usage: tests/lab/tls/lab.sh install|up|down|status|env
#
# Writes into ${SMEPLATFORM_LAB_DIR:-<repo>/.lab}/tls/:
#   ca.crt, ca.key                 lab certificate authority (10 years)
#   server.crt, server.key         one certificate for every lab name (SANs below)
#                                  and IP 127.0.0.1 (SaaS stand-ins are reached by IP)
#   server-fullchain.crt           server.crt followed by ca.crt
#   <name>.crt, <name>.key         per-name links to server.crt/.key
#   expired.crt, expired.key       expired.smeplatform.test, notAfter in the past
#
# "up" keeps what exists and regenerates only what is missing, unreadable, not
# signed by the current CA, missing a name, or expiring within 30 days.
# "down" keeps the files (they are data, not a process); "down --purge" removes them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
lab="${SMEPLATFORM_LAB_DIR:-$repo/.lab}"
dir="$lab/tls"

domain=smeplatform.test
names=("$domain" "www.$domain" "app.$domain" "api.$domain" "prometheus.$domain" "grafana.$domain" "smtp.$domain")
renew_within=$((30 * 86400))

log() { printf '[tls-lab] %s\n' "$*" >&2; }

need_openssl() {
  command -v openssl >/dev/null || { log "openssl missing: run '$0 install'"; exit 1; }
}

valid_for() { # valid_for CERT SECONDS: true when CERT is still valid SECONDS from now
  openssl x509 -in "$1" -noout -checkend "$2" >/dev/null 2>&1
}

signed_by_ca() {
  openssl verify -CAfile "$dir/ca.crt" "$1" >/dev/null 2>&1
}

key_matches() { # key_matches CERT KEY
  [[ "$(openssl x509 -in "$1" -noout -pubkey 2>/dev/null)" == "$(openssl pkey -in "$2" -pubout 2>/dev/null)" ]]
}

has_all_names() {
  local text n
  text="$(openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null)" || return 1
  for n in "${names[@]}"; do grep -q "DNS:$n\(,\|$\)" <<<"$text" || return 1; done
  grep -q "IP Address:127.0.0.1" <<<"$text"
}

make_ca() {
  log "generating lab CA"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
    -keyout "$dir/ca.key.tmp" -out "$dir/ca.crt.tmp" \
    -subj "/O=SME Platform Lab/CN=SME Platform Lab CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>/dev/null
  chmod 600 "$dir/ca.key.tmp"
  mv "$dir/ca.key.tmp" "$dir/ca.key"
  mv "$dir/ca.crt.tmp" "$dir/ca.crt"
}

# sign_leaf BASENAME CN START END SAN...: CSR + signature with "openssl ca", which
# (unlike "openssl x509 -req" in OpenSSL 3.0) accepts explicit start and end dates,
# so the same path makes the valid and the expired certificate.
sign_leaf() {
  local base="$1" cn="$2" start="$3" end="$4"; shift 4
  local work san n
  work="$(mktemp -d)"
  san=""
  for n in "$@"; do
    if [[ "$n" =~ ^[0-9.]+$ ]]; then san+="${san:+,}IP:$n"; else san+="${san:+,}DNS:$n"; fi
  done
  mkdir -p "$work/new"
  : >"$work/index.txt"
  openssl rand -hex 16 >"$work/serial"
  cat >"$work/ca.cnf" <<CNF
[ ca ]
default_ca = lab
[ lab ]
dir = $work
database = $work/index.txt
new_certs_dir = $work/new
serial = $work/serial
certificate = $dir/ca.crt
private_key = $dir/ca.key
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
x509_extensions = leaf
[ anything ]
commonName = supplied
organizationName = optional
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $san
CNF
  openssl req -new -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/csr.pem" \
    -subj "/O=SME Platform Lab/CN=$cn" 2>/dev/null
  openssl ca -batch -notext -config "$work/ca.cnf" -startdate "$start" -enddate "$end" \
    -in "$work/csr.pem" -out "$work/crt.pem" >/dev/null 2>&1 \
    || { log "signing $base failed"; rm -rf "$work"; exit 1; }
  chmod 600 "$work/key.pem"
  mv "$work/key.pem" "$dir/$base.key"
  mv "$work/crt.pem" "$dir/$base.crt"
  rm -rf "$work"
}

utc() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

cmd_install() {
  if command -v openssl >/dev/null; then log "openssl present: $(openssl version)"; return; fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq openssl >/dev/null
}

cmd_up() {
  need_openssl
  mkdir -p "$dir"
  chmod 700 "$dir"
  local fresh_ca=0
  if [[ ! -s "$dir/ca.crt" || ! -s "$dir/ca.key" ]] || ! valid_for "$dir/ca.crt" $((365 * 86400)) \
    || ! key_matches "$dir/ca.crt" "$dir/ca.key"; then
    make_ca
    fresh_ca=1
  fi
  if ((fresh_ca)) || [[ ! -s "$dir/server.crt" || ! -s "$dir/server.key" ]] \
    || ! valid_for "$dir/server.crt" "$renew_within" || ! signed_by_ca "$dir/server.crt" \
    || ! key_matches "$dir/server.crt" "$dir/server.key" || ! has_all_names "$dir/server.crt"; then
    log "generating server certificate for ${names[*]}"
    sign_leaf server "$domain" "$(utc '-1 hour')" "$(utc '+397 days')" "${names[@]}" 127.0.0.1
  fi
  cat "$dir/server.crt" "$dir/ca.crt" >"$dir/server-fullchain.crt"
  local n
  for n in "${names[@]}"; do
    ln -sfn server.crt "$dir/$n.crt"
    ln -sfn server.key "$dir/$n.key"
  done
  # The expired certificate only has to stay expired and chain to the current CA.
  if ((fresh_ca)) || [[ ! -s "$dir/expired.crt" || ! -s "$dir/expired.key" ]] \
    || ! key_matches "$dir/expired.crt" "$dir/expired.key" \
    || [[ "$(openssl x509 -in "$dir/expired.crt" -noout -issuer)" != "$(openssl x509 -in "$dir/ca.crt" -noout -subject | sed 's/^subject/issuer/')" ]]; then
    log "generating expired certificate for expired.$domain"
    sign_leaf expired "expired.$domain" 20200101000000Z 20210101000000Z "expired.$domain"
  fi
  cmd_status
}

cmd_status() {
  local ok=0 f
  for f in ca server expired; do
    if [[ -s "$dir/$f.crt" ]]; then
      printf '%-8s %s  notAfter=%s\n' "$f" "$(openssl x509 -in "$dir/$f.crt" -noout -subject | sed 's/^subject=//')" \
        "$(openssl x509 -in "$dir/$f.crt" -noout -enddate | cut -d= -f2)"
    else
      printf '%-8s missing\n' "$f"
      ok=1
    fi
  done
  if ((ok == 0)) && ! valid_for "$dir/server.crt" "$renew_within"; then
    printf 'server certificate expires within 30 days: run up\n'
    ok=1
  fi
  return "$ok"
}

cmd_down() {
  if [[ "${1:-}" == "--purge" ]]; then
    rm -rf "$dir"
    log "removed $dir"
  fi
}

cmd_env() {
  printf 'export SMEPLATFORM_LAB_TLS_DIR=%q\n' "$dir"
  printf 'export SMEPLATFORM_LAB_CA_BUNDLE=%q\n' "$dir/ca.crt"
}

case "${1:-}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) printf 'usage: %s install|up|down [--purge]|status|env\n' "$0" >&2; exit 2 ;;
esac
