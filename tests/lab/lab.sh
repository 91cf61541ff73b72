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

case "$cmd" in
  install|up)
    for c in "${components[@]}"; do
      start=$(date +%s)
      [ "$cmd" = up ] && run install "$c"
      run "$cmd" "$c"
      echo "lab: $c $cmd done in $(( $(date +%s) - start ))s" >&2
    done
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
