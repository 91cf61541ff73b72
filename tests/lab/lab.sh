#!/usr/bin/env bash
# The lab: real servers on 127.0.0.1 that the collection is tested against.
# Usage: tests/lab/lab.sh install|up|down|status|env [component...]
# Components, in start order: tls k8s data edge. Each is tests/lab/<name>/lab.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
all=(tls k8s data edge)
cmd=${1:-}
shift || true
components=("$@")
[ ${#components[@]} -gt 0 ] || components=("${all[@]}")

run() {
  local action=$1 component=$2 script="$here/$2/lab.sh"
  if [ ! -x "$script" ]; then
    echo "lab: component $component has no $script" >&2
    return 1
  fi
  "$script" "$action"
}

has() {
  local c
  for c in "${components[@]}"; do [ "$c" = "$1" ] && return 0; done
  return 1
}

# Prometheus (data) scrapes the platform stand-in (edge): the lab is up when
# every target is up and has been scraped twice, and the platform's request
# counter has a rate, so that rates over its series (the deployment window's
# traffic, the smoke gate's ratios) have data, as on a platform that has been
# running, not merely configured.
wait_scraped() {
  local url deadline=$((SECONDS + 60)) answer rates
  url=$("$here/data/lab.sh" env | sed -n 's/^export PROMETHEUS_URL=//p' | tr -d "'\"")
  [ -n "$url" ] || return 0
  while :; do
    answer=$(curl -fsS --max-time 2 "$url/api/v1/targets?state=active" 2>/dev/null || true)
    if [ -n "$answer" ] && ! grep -q '"health":"\(unknown\|down\)"' <<<"$answer" \
      && grep -q '"health":"up"' <<<"$answer"; then
      rates=$(curl -fsS --max-time 2 "$url/api/v1/query" \
        --data-urlencode 'query=(count(rate(up[1m])) == count(up)) and on() (count(rate(http_requests_total[1m])) > 0)' \
        2>/dev/null || true)
      grep -q '"result":\[{' <<<"$rates" && return 0
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "lab: Prometheus targets not all up after 60s: $(grep -o '"lastError":"[^"]*"' <<<"$answer" | sort -u | head -3)" >&2
      return 1
    fi
    sleep 1
  done
}

case "$cmd" in
  install|up)
    for c in "${components[@]}"; do
      start=$(date +%s)
      [ "$cmd" = up ] && run install "$c"
      run "$cmd" "$c"
      echo "lab: $c $cmd done in $(( $(date +%s) - start ))s" >&2
    done
    if [ "$cmd" = up ] && has data && has edge; then
      start=$(date +%s)
      wait_scraped
      echo "lab: Prometheus scraped every target in $(( $(date +%s) - start ))s" >&2
    fi
    ;;
  down)
    status=0
    for (( i=${#components[@]}-1; i>=0; i-- )); do
      run down "${components[$i]}" || status=1
    done
    exit $status
    ;;
  status)
    status=0
    for c in "${components[@]}"; do run status "$c" || status=1; done
    exit $status
    ;;
  env)
    for c in "${components[@]}"; do run env "$c"; done
    ;;
  *)
    echo "usage: $0 install|up|down|status|env [${all[*]}]" >&2
    exit 2
    ;;
esac
