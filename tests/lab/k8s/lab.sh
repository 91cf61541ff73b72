#!/usr/bin/env bash
# Kubernetes lab: a real control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler) built from Go modules, with kwok
# simulating the nodes and the pod lifecycle. Everything binds to 127.0.0.1
# (kube-apiserver 16443, the others in 16000-16099); runtime state lives in
# .lab/k8s/ of the checkout.
#
# Usage: tests/lab/k8s/lab.sh install|up|down|status|env|reset
#   install  build the pinned binaries once into the version-keyed cache
#   up       start the lab (idempotent) and wait until it is ready
#   down     stop every lab process (state is kept for a fast next up)
#   status   print component state; exit 0 only when everything is up
#   env      print export lines (KUBECONFIG, PATH, SMEPLATFORM_LAB_K8S_*)
#   reset    down, then remove the state (certificates, etcd data)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
# shellcheck source=../versions.env
. "$here/../versions.env"

cache="${SMEPLATFORM_LAB_CACHE:-$HOME/.cache/smeplatform-lab}"
state="${SMEPLATFORM_LAB_K8S_STATE:-$repo/.lab/k8s}"

k8s_bin="$cache/kubernetes-$K8S_VERSION/bin"
etcd_bin="$cache/etcd-$ETCD_VERSION/bin"
kwok_bin="$cache/kwok-$KWOK_VERSION/bin"
helm_bin="$cache/helm-$HELM_VERSION/bin"

host=127.0.0.1
port_apiserver=16443
port_etcd=16079
port_etcd_peer=16080
port_kwok=16047
port_controller_manager=16057
port_scheduler=16059
lab_ports=("$port_apiserver" "$port_etcd" "$port_etcd_peer" "$port_kwok" "$port_controller_manager" "$port_scheduler")
context=smeplatform-lab

pki="$state/pki"
run="$state/run"
logs="$state/logs"
kubeconfig="$state/kubeconfig"
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok-controller)

t0=$SECONDS
log() { printf '[k8s-lab +%3ds] %s\n' "$((SECONDS - t0))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

binary_of() {
  case "$1" in
    etcd) echo "$etcd_bin/etcd" ;;
    kube-apiserver | kube-controller-manager | kube-scheduler) echo "$k8s_bin/$1" ;;
    kwok-controller) echo "$kwok_bin/kwok" ;;
  esac
}

# pid_of NAME: pid of a running lab component, empty when not running.
# A pid counts only if its command line names the lab binary and the state dir,
# so a recycled pid of an unrelated process is never taken for a lab process.
pid_of() {
  local f="$run/$1.pid" pid cmd
  [[ -f "$f" ]] || return 0
  pid="$(<"$f")"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 0
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmd" == "$(binary_of "$1") "* && "$cmd" == *"$state/"* ]] && echo "$pid"
  return 0
}

# stray_pids: lab processes started from this state dir whose pid file is lost.
stray_pids() {
  local p cmd b
  for p in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null || true)"
    [[ "$cmd" == *"$state/"* ]] || continue
    for b in "$etcd_bin/etcd" "$k8s_bin/kube-" "$kwok_bin/kwok"; do
      [[ "$cmd" == "$b"* ]] && { echo "${p#/proc/}"; break; }
    done
  done
}

have_binaries() {
  local b
  for b in "$etcd_bin/etcd" "$k8s_bin/kube-apiserver" "$k8s_bin/kube-controller-manager" \
    "$k8s_bin/kube-scheduler" "$k8s_bin/kubectl" "$kwok_bin/kwok" "$helm_bin/helm"; do
    [[ -x "$b" ]] || return 1
  done
}

kubectl() { "$k8s_bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.25 s.
wait_until() {
  local limit=$1 what=$2 start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - start >= limit)); then
      log "timed out after ${limit}s waiting for $what"
      return 1
    fi
    sleep 0.25
  done
  log "$what ready"
}

https_ok() {
  curl -fsS --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://$host:$1$2"
}

# healthz_ok PORT: /healthz of controller-manager or scheduler on loopback. They
# serve with a self-signed certificate of their own, so it is not verified.
healthz_ok() {
  curl -fsSk --max-time 2 "https://$host:$1/healthz"
}

# ---------------------------------------------------------------- pki
# gen_cert NAME SUBJECT EXTENSIONS: ECDSA P-256 key and certificate signed by the lab CA.
gen_cert() {
  local name=$1 subj=$2 ext=$3
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$name.key" 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

# write_kubeconfig FILE CERT_NAME: kubeconfig with embedded client certificate.
write_kubeconfig() {
  local file=$1 name=$2
  (umask 077 && cat >"$file.tmp") <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $context
  cluster:
    server: https://$host:$port_apiserver
    certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
- name: $context-$name
  user:
    client-certificate-data: $(base64 -w0 <"$pki/$name.crt")
    client-key-data: $(base64 -w0 <"$pki/$name.key")
contexts:
- name: $context
  context:
    cluster: $context
    user: $context-$name
current-context: $context
EOF
  mv "$file.tmp" "$file"
}

ensure_pki() {
  [[ -f "$pki/.complete" ]] && return 0
  log "generating lab PKI in $pki"
  rm -rf "$pki"
  mkdir -p "$pki"
  chmod 700 "$pki"
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=smeplatform-lab-kubernetes-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$pki/ca.crt" 2>/dev/null
  local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  gen_cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  gen_cert admin "/O=system:masters/CN=smeplatform-lab-admin" "$client"
  gen_cert controller-manager "/CN=system:kube-controller-manager" "$client"
  gen_cert scheduler "/CN=system:kube-scheduler" "$client"
  gen_cert kwok "/O=system:masters/CN=kwok-controller" "$client"
  # Service-account token signing key (kube-apiserver signs, controller-manager too).
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  chmod 600 "$pki"/*.key
  for n in admin controller-manager scheduler kwok; do write_kubeconfig "$pki/$n.kubeconfig" "$n"; done
  touch "$pki/.complete"
}

# ---------------------------------------------------------------- processes
# port_free NAME PORT...: fail clearly when another process holds a port the
# component needs (for instance a lab started from another checkout).
port_free() {
  local name=$1 p busy
  shift
  for p in "$@"; do
    busy="$(ss -Htlnp "( sport = :$p )" 2>/dev/null || true)"
    [[ -z "$busy" ]] || die "cannot start $name: 127.0.0.1:$p is in use: $busy"
  done
}

# start NAME ARGS...: start the component in its own session, detached from
# the calling shell, logging to $logs/NAME.log.
start() {
  local name=$1 bin pid
  shift
  bin="$(binary_of "$name")"
  log "starting $name"
  setsid "$bin" "$@" >>"$logs/$name.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$run/$name.pid"
}

start_etcd() {
  start etcd --name=smeplatform-lab --data-dir="$state/etcd" \
    --listen-client-urls="http://$host:$port_etcd" --advertise-client-urls="http://$host:$port_etcd" \
    --listen-peer-urls="http://$host:$port_etcd_peer" --initial-advertise-peer-urls="http://$host:$port_etcd_peer" \
    --initial-cluster="smeplatform-lab=http://$host:$port_etcd_peer" \
    --quota-backend-bytes=2147483648 --snapshot-count=10000 --unsafe-no-fsync=true \
    --log-level=warn
}

start_apiserver() {
  start kube-apiserver \
    --bind-address="$host" --advertise-address="$host" --secure-port="$port_apiserver" \
    --etcd-servers="http://$host:$port_etcd" --etcd-prefix=/registry \
    --authorization-mode=Node,RBAC --anonymous-auth=true \
    --enable-admission-plugins=NodeRestriction \
    --client-ca-file="$pki/ca.crt" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --kubelet-client-certificate="$pki/admin.crt" --kubelet-client-key="$pki/admin.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 \
    --endpoint-reconciler-type=none \
    --allow-privileged=true --profiling=false --event-ttl=1h \
    --v=1
}

# The node lifecycle controller marks a node Unknown (and every pod on it NotReady, then evicts them) when its
# lease has not been seen renewed for --node-monitor-grace-period. The fault tests kill kube-apiserver for up to
# a minute or two; with the default 40-50 s the nodes flap NotReady right after the restart, while the next run is
# already waiting on its release. Five minutes keeps a control-plane restart from touching the workloads, as a
# real kubelet's pods would keep running through it.
start_controller_manager() {
  start kube-controller-manager \
    --bind-address="$host" --secure-port="$port_controller_manager" \
    --kubeconfig="$pki/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$pki/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$pki/controller-manager.kubeconfig" \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --node-monitor-grace-period=300s \
    --kube-api-qps=100 --kube-api-burst=200 \
    --leader-elect=false --profiling=false \
    --v=1
}

start_scheduler() {
  start kube-scheduler \
    --bind-address="$host" --secure-port="$port_scheduler" \
    --kubeconfig="$pki/scheduler.kubeconfig" \
    --authentication-kubeconfig="$pki/scheduler.kubeconfig" \
    --authorization-kubeconfig="$pki/scheduler.kubeconfig" \
    --leader-elect=false --profiling=false \
    --v=1
}

start_kwok() {
  start kwok-controller \
    --kubeconfig="$pki/kwok.kubeconfig" --config="$here/kwok.yaml" \
    --manage-all-nodes=true \
    --node-ip="$host" --node-port="$port_kwok" --server-address="$host:$port_kwok" \
    --node-lease-duration-seconds=40
}

# an exited process waiting to be reaped (state Z) counts as stopped
running() { [[ -r /proc/$1/stat ]] && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

# stop_pid PID: TERM, then KILL after 12 s; returns once the process is gone.
stop_pid() {
  local pid=$1 j
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((j = 0; j < 120; j++)); do running "$pid" || return 0; sleep 0.1; done
  log "killing $pid"
  kill -KILL "$pid" 2>/dev/null || true
  for ((j = 0; j < 100; j++)); do running "$pid" || return 0; sleep 0.1; done
}

# ---------------------------------------------------------------- commands
cmd_install() {
  "$here/build.sh"
}

all_up() {
  local c
  for c in "${components[@]}"; do [[ -n "$(pid_of "$c")" ]] || return 1; done
  https_ok "$port_apiserver" /readyz >/dev/null 2>&1 || return 1
  [[ -f "$state/.bootstrapped" && -f "$kubeconfig" ]]
}

# Stable paths for the clients (the inventory names them; the cache path carries versions).
link_clients() {
  mkdir -p "$state/bin"
  ln -sfn "$k8s_bin/kubectl" "$state/bin/kubectl"
  ln -sfn "$helm_bin/helm" "$state/bin/helm"
}

cmd_up() {
  if ! have_binaries; then
    log "lab binaries missing in $cache: running install"
    cmd_install
  fi
  link_clients
  if all_up; then
    log "already up ($K8S_VERSION at https://$host:$port_apiserver)"
    return 0
  fi
  command -v openssl >/dev/null || die "openssl is required"
  command -v curl >/dev/null || die "curl is required"
  mkdir -p "$run" "$logs"
  ensure_pki
  write_kubeconfig "$kubeconfig" admin

  [[ -n "$(pid_of etcd)" ]] || { port_free etcd "$port_etcd" "$port_etcd_peer" && start_etcd; }
  wait_until 30 etcd curl -fsS --max-time 2 "http://$host:$port_etcd/health" ||
    { tail -20 "$logs/etcd.log" >&2; die "etcd did not start"; }

  if [[ -z "$(pid_of kube-apiserver)" ]]; then
    port_free kube-apiserver "$port_apiserver" && start_apiserver
    # Controllers that watched the old kube-apiserver resume their watches only after a back-off of up to 30 s,
    # and act on stale caches until then (a Deployment changed meanwhile is not rolled out): start them anew, so
    # that the cluster is in step when `up` returns.
    local c pid
    for c in kwok-controller kube-scheduler kube-controller-manager; do
      pid="$(pid_of "$c")"
      [[ -n "$pid" ]] || continue
      log "restarting $c: kube-apiserver was restarted"
      stop_pid "$pid"
      rm -f "$run/$c.pid"
    done
  fi
  wait_until 90 kube-apiserver https_ok "$port_apiserver" /readyz ||
    { tail -30 "$logs/kube-apiserver.log" >&2; die "kube-apiserver did not become ready"; }

  [[ -n "$(pid_of kube-controller-manager)" ]] ||
    { port_free kube-controller-manager "$port_controller_manager" && start_controller_manager; }
  [[ -n "$(pid_of kube-scheduler)" ]] || { port_free kube-scheduler "$port_scheduler" && start_scheduler; }
  if [[ -z "$(pid_of kwok-controller)" ]]; then
    # The node leases are kwok's own bookkeeping. A kwok-controller started while its predecessor's leases are
    # still valid fails to create them ("already exists") and may then never play the pods' stages: new pods stay
    # Pending. Its leases go first, so that it starts as on a new cluster.
    kubectl -n kube-node-lease delete leases --all --ignore-not-found --wait=false >/dev/null 2>&1 || true
    port_free kwok-controller "$port_kwok" && start_kwok
  fi
  wait_until 60 kube-controller-manager healthz_ok "$port_controller_manager" ||
    { tail -30 "$logs/kube-controller-manager.log" >&2; die "kube-controller-manager not healthy"; }
  wait_until 60 kube-scheduler healthz_ok "$port_scheduler" ||
    { tail -30 "$logs/kube-scheduler.log" >&2; die "kube-scheduler not healthy"; }
  wait_until 60 kwok-controller curl -fsS --max-time 2 "http://$host:$port_kwok/healthz" ||
    { tail -30 "$logs/kwok-controller.log" >&2; die "kwok controller not healthy"; }

  log "applying cluster shape (nodes, zones, StorageClass, IngressClass)"
  kubectl apply --server-side --force-conflicts --field-manager=smeplatform-lab -f "$here/cluster.yaml" >/dev/null
  # Node capacity is status: set it through the status subresource.
  local n
  for n in $(kubectl get nodes -l smeplatform.test/lab=true -o name); do
    kubectl patch "$n" --subresource=status --type=merge \
      -p '{"status":{"capacity":{"cpu":"4","memory":"16Gi","pods":"110","ephemeral-storage":"100Gi"},"allocatable":{"cpu":"4","memory":"16Gi","pods":"110","ephemeral-storage":"100Gi"}}}' >/dev/null
  done
  wait_until 60 "nodes Ready" kubectl wait --for=condition=Ready nodes --all --timeout=2s
  wait_until 60 "service account controller" kubectl -n default get serviceaccount default
  touch "$state/.bootstrapped"
  log "up: $K8S_VERSION at https://$host:$port_apiserver (kubeconfig $kubeconfig, context $context)"
}

cmd_down() {
  local c pid i
  # One at a time, in reverse start order: kube-apiserver shuts down quickly only while etcd still answers.
  for ((i = ${#components[@]} - 1; i >= 0; i--)); do
    c="${components[$i]}"
    pid="$(pid_of "$c")"
    [[ -n "$pid" ]] && { log "stopping $c (pid $pid)"; stop_pid "$pid"; }
    rm -f "$run/$c.pid"
  done
  for pid in $(stray_pids); do
    log "stopping stray lab process $pid"
    stop_pid "$pid"
  done
  rm -f "$state/.bootstrapped"
  local busy
  local filter="" p
  for p in "${lab_ports[@]}"; do filter+="${filter:+ or }sport = :$p"; done
  # a killed process's sockets close a moment after it is gone
  for ((i = 0; i < 20; i++)); do
    busy="$(ss -Htln "( $filter )" 2>/dev/null || true)"
    [[ -n "$busy" ]] || break
    sleep 0.5
  done
  [[ -z "$busy" ]] || { log "ports still listening after down:"; echo "$busy" >&2; return 1; }
  log "down"
}

cmd_status() {
  local c pid rss total=0 ok=0
  for c in "${components[@]}"; do
    pid="$(pid_of "$c")"
    if [[ -n "$pid" ]]; then
      rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
      total=$((total + rss))
      printf '%-24s running  pid=%-8s rss=%6d MiB\n' "$c" "$pid" "$((rss / 1024))"
    else
      printf '%-24s stopped\n' "$c"
      ok=1
    fi
  done
  if https_ok "$port_apiserver" /readyz >/dev/null 2>&1; then
    printf '%-24s ready    https://%s:%s (%s)\n' "api" "$host" "$port_apiserver" "$K8S_VERSION"
  else
    printf '%-24s not ready\n' "api"
    ok=1
  fi
  printf '%-24s %d MiB\n' "rss_total" "$((total / 1024))"
  return $ok
}

cmd_env() {
  printf 'export KUBECONFIG=%q\n' "$kubeconfig"
  printf 'export PATH="%s:%s:%s:%s:$PATH"\n' "$k8s_bin" "$helm_bin" "$kwok_bin" "$etcd_bin"
  printf 'export SMEPLATFORM_LAB_K8S_VERSION=%s\n' "$K8S_VERSION"
  printf 'export SMEPLATFORM_LAB_HELM_VERSION=%s\n' "$HELM_VERSION"
  printf 'export SMEPLATFORM_LAB_K8S_CONTEXT=%s\n' "$context"
  printf 'export SMEPLATFORM_LAB_K8S_API=https://%s:%s\n' "$host" "$port_apiserver"
  printf 'export SMEPLATFORM_LAB_K8S_CA=%q\n' "$pki/ca.crt"
  printf 'export HELM_CONFIG_HOME=%q\n' "$state/helm/config"
  printf 'export HELM_CACHE_HOME=%q\n' "$state/helm/cache"
  printf 'export HELM_DATA_HOME=%q\n' "$state/helm/data"
}

cmd_reset() {
  cmd_down
  log "removing $state"
  rm -rf "$state"
}

case "${1:-}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  reset) cmd_reset ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
