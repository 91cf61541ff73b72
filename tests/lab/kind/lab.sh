#!/usr/bin/env bash
# kind lab: a real Kubernetes cluster (kind: nodes are Docker containers running
# systemd, containerd and kubelet) built offline on this machine. One control
# plane and two workers in two zones, pods routed across nodes, NetworkPolicy
# enforced. The API server listens on 127.0.0.1:16643, the NodePorts of the
# platform's database and Redis on 127.0.0.1:16432 and 127.0.0.1:16379; runtime
# state lives in .lab/kind/ of the checkout.
#
# Usage: tests/lab/kind/lab.sh install|up|down|status|env
#   install  install Debian's docker.io and build tools, build kind, the node
#            image and every image the cluster needs (cached by version)
#   up       start dockerd when no Docker daemon runs, create the cluster, apply
#            IngressClass nginx, load the platform images, link kubectl and helm
#            into .lab/kind/bin (idempotent)
#   down     delete the cluster, stop the dockerd that up started (and its containerd)
#   status   dockerd, nodes, system pods; exit 0 only when the cluster is ready
#   env      print export lines (SMEPLATFORM_LAB_KIND_*; KUBECONFIG only with --kubeconfig)
#
# Environment: SMEPLATFORM_LAB_KIND_NODE_IMAGE overrides the node image (for
# instance kind's upstream kindest/node on a host with Docker and internet).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
# shellcheck source=../versions.env
. "$here/../versions.env"

cache="${SMEPLATFORM_LAB_CACHE:-$HOME/.cache/smeplatform-lab}"
state="${SMEPLATFORM_LAB_KIND_STATE:-$repo/.lab/kind}"
run="$state/run"
logs="$state/logs"
kubeconfig="$state/kubeconfig"
cluster=smeplatform-lab
context="kind-$cluster"
api_port=16643
db_port=16432
redis_port=16379
kind_bin="$cache/kind-$KIND_VERSION/bin"
k8s_bin="$cache/kubernetes-$K8S_VERSION/bin"
helm_bin="$cache/helm-$HELM_VERSION/bin"
node_image="${SMEPLATFORM_LAB_KIND_NODE_IMAGE:-$("$here/build.sh" node-image-name)}"
# the lab's own dockerd: host socket, its own exec root (so its processes are known)
docker_sock=/var/run/docker.sock
docker_exec_root=/run/smeplatform-lab-docker
closed_port=127.0.0.1:9

t0=$SECONDS
log() { printf '[kind-lab +%3ds] %s\n' "$((SECONDS - t0))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

kind() { "$kind_bin/kind" "$@"; }
kubectl() { "$k8s_bin/kubectl" --kubeconfig "$kubeconfig" --context "$context" "$@"; }

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND every second, with progress.
wait_until() {
  local limit=$1 what=$2 start=$SECONDS next=$((SECONDS + 15))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - start >= limit)); then
      log "timed out after ${limit}s waiting for $what"
      return 1
    fi
    if ((SECONDS >= next)); then log "waiting for $what ($((SECONDS - start))s)"; next=$((SECONDS + 15)); fi
    sleep 1
  done
  log "$what ($((SECONDS - start))s)"
}

# ---------------------------------------------------------------- dockerd
docker_answers() { docker -H "unix://$docker_sock" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# our_dockerd_pid: pid of the dockerd this lab started, empty otherwise.
our_dockerd_pid() {
  local pid cmd
  [[ -f "$run/dockerd.pid" ]] || return 0
  pid="$(<"$run/dockerd.pid")"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 0
  cmd="$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null || true)"
  [[ "$cmd" == *dockerd*"$state/daemon.json"* ]] && echo "$pid"
  return 0
}

# The host's capability bounding set: CAP_SYS_RESOURCE (bit 24) missing means
# runc cannot start privileged containers (kind's nodes) without the wrapper.
host_lacks_sys_resource() {
  local bnd
  bnd="$(awk '/^CapBnd:/ {print $2}' /proc/self/status)"
  (((0x$bnd >> 24 & 1) == 0))
}

write_daemon_json() {
  local runtime=""
  if host_lacks_sys_resource; then
    runtime=", \"default-runtime\": \"smeplatform-lab-runc\", \"runtimes\": {\"smeplatform-lab-runc\": {\"path\": \"$here/runc-wrapper\"}}"
  fi
  # dns on loopback and no ip forwarding: nothing a container resolves or sends leaves the machine
  cat >"$state/daemon.json" <<EOF
{
  "hosts": ["unix://$docker_sock"],
  "exec-root": "$docker_exec_root",
  "pidfile": "$run/dockerd.pid",
  "dns": ["127.0.0.1"],
  "ip-forward": false,
  "bridge": "none",
  "log-driver": "json-file",
  "log-opts": {"max-size": "10m", "max-file": "2"},
  "features": {"buildkit": false}$runtime
}
EOF
}

start_dockerd() {
  if docker_answers; then
    [[ -n "$(our_dockerd_pid)" ]] && { log "dockerd (lab) already running"; return 0; }
    log "a Docker daemon already answers on $docker_sock: using it"
    return 0
  fi
  command -v dockerd >/dev/null || die "dockerd missing: run tests/lab/kind/lab.sh install"
  mkdir -p "$run" "$logs"
  write_daemon_json
  log "starting dockerd (pulls go to a closed port $closed_port, dns 127.0.0.1$(host_lacks_sys_resource && echo ', runtime without CAP_SYS_RESOURCE'))"
  HTTP_PROXY="http://$closed_port" HTTPS_PROXY="http://$closed_port" NO_PROXY="" \
    http_proxy="http://$closed_port" https_proxy="http://$closed_port" no_proxy="" \
    setsid dockerd --config-file "$state/daemon.json" >>"$logs/dockerd.log" 2>&1 </dev/null &
  wait_until 60 "dockerd answering" docker_answers || { tail -20 "$logs/dockerd.log" >&2; die "dockerd did not start"; }
}

# lab_docker_pids: every process of the lab's dockerd (dockerd, its containerd, shims).
lab_docker_pids() {
  local p cmd
  for p in /proc/[0-9]*; do
    cmd="$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null || true)"
    [[ "$cmd" == *"$docker_exec_root"* || "$cmd" == *dockerd*"$state/daemon.json"* ]] && echo "${p#/proc/}"
  done
  return 0
}

running() { [[ -r /proc/$1/stat ]] && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

stop_pid() {
  local pid=$1 limit=${2:-30} j
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((j = 0; j < limit * 10; j++)); do running "$pid" || return 0; sleep 0.1; done
  log "killing $pid"
  kill -KILL "$pid" 2>/dev/null || true
  for ((j = 0; j < 50; j++)); do running "$pid" || return 0; sleep 0.1; done
}

stop_dockerd() {
  local pid p
  pid="$(our_dockerd_pid)"
  if [[ -n "$pid" ]]; then
    log "stopping dockerd (pid $pid)"
    stop_pid "$pid" 60
  fi
  for p in $(lab_docker_pids); do
    log "stopping leftover lab docker process $p: $({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-80)"
    stop_pid "$p" 10
  done
  rm -f "$run/dockerd.pid"
}

# ---------------------------------------------------------------- cluster
cluster_config() {
  cat <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: $cluster
networking:
  apiServerAddress: 127.0.0.1
  apiServerPort: $api_port
  # pods are routed by the lab (ptp + host-local per node, routes between nodes);
  # an upstream node image brings kindnetd (routes and NetworkPolicy) instead
  disableDefaultCNI: $([[ -n "${SMEPLATFORM_LAB_KIND_NODE_IMAGE:-}" ]] && echo false || echo true)
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/16
  kubeProxyMode: iptables
nodes:
  - role: control-plane
    labels: {topology.kubernetes.io/region: lab-region-1, topology.kubernetes.io/zone: lab-zone-a}
    # the NodePorts of the platform's database and Redis (database.yaml, redis.yaml) on the controller: the
    # route inventories/kind gives the checks to the addresses the platform names
    extraPortMappings:
      - {containerPort: 30432, hostPort: $db_port, listenAddress: 127.0.0.1}
      - {containerPort: 30379, hostPort: $redis_port, listenAddress: 127.0.0.1}
  - role: worker
    labels: {topology.kubernetes.io/region: lab-region-1, topology.kubernetes.io/zone: lab-zone-a}
  - role: worker
    labels: {topology.kubernetes.io/region: lab-region-1, topology.kubernetes.io/zone: lab-zone-b}
kubeadmConfigPatches:
  - |
    kind: KubeletConfiguration
    # cgroup v1 hosts (kubelet 1.36 refuses them unless told)
    failCgroupV1: false
EOF
  # the node image built here carries etcd and CoreDNS under their own versions
  [[ -n "${SMEPLATFORM_LAB_KIND_NODE_IMAGE:-}" ]] || cat <<EOF
  - |
    kind: ClusterConfiguration
    etcd:
      local:
        imageTag: $ETCD_VERSION
    dns:
      imageTag: $COREDNS_VERSION
EOF
}

cluster_exists() { kind get clusters 2>/dev/null | grep -qx "$cluster"; }

# node_routes: "name podCIDR InternalIP" of every node.
node_routes() {
  kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'
}

all_have_pod_cidr() {
  local n c i count=0
  while read -r n c i; do
    [[ -n "$c" && -n "$i" ]] || return 1
    count=$((count + 1))
  done < <(node_routes)
  ((count == 3))
}

# What kind's own network daemon does, once: each node's pods on ptp with
# addresses from the node's podCIDR, and on every node a route to each other
# node's podCIDR via that node's address.
configure_pod_network() {
  local n c i m mc mi
  while read -r n c i; do
    docker exec -i "$n" sh -c 'cat >/etc/cni/net.d/10-smeplatform-lab.conflist' <<EOF
{
  "cniVersion": "0.4.0",
  "name": "smeplatform-lab",
  "plugins": [
    {"type": "ptp", "ipMasq": false, "mtu": 1500,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$c"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
    while read -r m mc mi; do
      [[ "$m" == "$n" ]] && continue
      docker exec "$n" ip route replace "$mc" via "$mi"
    done < <(node_routes)
    log "pod network on $n: $c (routes to the other nodes' podCIDRs)"
  done < <(node_routes)
}

create_cluster() {
  local attempt
  for attempt in 1 2; do
    log "creating cluster $cluster with $node_image (attempt $attempt)"
    if cluster_config | kind create cluster --kubeconfig "$kubeconfig" --image "$node_image" \
      --retain --config - >>"$logs/kind-create.log" 2>&1; then
      return 0
    fi
    log "kind create failed: $(grep -i 'error\|failed' "$logs/kind-create.log" | tail -3)"
    kind export logs --name "$cluster" "$logs/kind-create-failure-$attempt" >/dev/null 2>&1 || true
    kind delete cluster --name "$cluster" --kubeconfig "$kubeconfig" >/dev/null 2>&1 || true
  done
  die "kind create cluster failed twice (logs in $logs)"
}

system_ready() {
  kubectl wait --for=condition=Ready nodes --all --timeout=1s &&
    kubectl -n kube-system rollout status deployment/coredns --timeout=1s &&
    { [[ -n "${SMEPLATFORM_LAB_KIND_NODE_IMAGE:-}" ]] ||
      kubectl -n kube-system rollout status daemonset/kube-network-policies --timeout=1s; } &&
    kubectl -n local-path-storage rollout status deployment/local-path-provisioner --timeout=1s
}

cmd_install() {
  local missing=() pkgs=() s
  for c in dockerd:docker.io debootstrap:debootstrap jq:jq gcc:gcc redis-server:redis-server; do
    command -v "${c%%:*}" >/dev/null || { missing+=("${c%%:*}"); pkgs+=("${c#*:}"); }
  done
  if ((${#pkgs[@]})); then
    s=$SECONDS
    log "installing Debian packages ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${pkgs[@]}" libc6-dev >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq "${pkgs[@]}" libc6-dev >/dev/null; }
    log "Debian packages installed ($((SECONDS - s))s)"
  fi
  "$here/../k8s/build.sh" kubernetes etcd helm
  if [[ -n "${SMEPLATFORM_LAB_KIND_NODE_IMAGE:-}" ]]; then
    # an upstream node image: only kind and the platform images are built here
    "$here/build.sh" kind platform-rootfs
    start_dockerd
    "$here/build.sh" platform-images
    return 0
  fi
  "$here/build.sh" kind coredns local-path-provisioner kube-network-policies pause rootfs platform-rootfs
  start_dockerd
  "$here/build.sh" images node-image platform-images
}

# What production has beside the nodes: IngressClass nginx (ingress-class.yaml).
apply_cluster_shape() {
  kubectl apply --server-side --force-conflicts --field-manager=smeplatform-lab -f "$here/ingress-class.yaml" >/dev/null
}

# The platform images (the stand-in as backend and frontend, one per tag) into
# every node's containerd; kind skips nodes that already have an image.
load_platform_images() {
  local s=$SECONDS images
  images="$("$here/build.sh" platform-image-names | tr '\n' ' ')"
  # shellcheck disable=SC2086
  kind load docker-image --name "$cluster" $images >>"$logs/kind-load.log" 2>&1 ||
    { tail -5 "$logs/kind-load.log" >&2; die "kind load docker-image failed"; }
  log "platform images loaded into the nodes ($((SECONDS - s))s): $images"
}

cmd_up() {
  mkdir -p "$run" "$logs" "$state/bin"
  cmd_install
  # the clients at stable paths (inventories/kind reads helm there)
  ln -sfn "$k8s_bin/kubectl" "$state/bin/kubectl"
  ln -sfn "$helm_bin/helm" "$state/bin/helm"
  if cluster_exists && [[ -f "$kubeconfig" ]] && system_ready >/dev/null 2>&1; then
    apply_cluster_shape
    load_platform_images
    log "already up (kubeconfig $kubeconfig, context $context)"
    return 0
  fi
  cluster_exists && { log "deleting a cluster that is not ready"; kind delete cluster --name "$cluster" --kubeconfig "$kubeconfig" >/dev/null 2>&1; }
  local s=$SECONDS
  create_cluster
  log "cluster created ($((SECONDS - s))s)"
  if [[ -z "${SMEPLATFORM_LAB_KIND_NODE_IMAGE:-}" ]]; then
    wait_until 60 "podCIDRs allocated" all_have_pod_cidr
    configure_pod_network
    sed "s/KUBE_NETWORK_POLICIES_VERSION/$KUBE_NETWORK_POLICIES_VERSION/" "$here/network-policies.yaml" |
      kubectl apply --server-side --force-conflicts --field-manager=smeplatform-lab -f - >/dev/null
  fi
  wait_until 180 "nodes Ready, CoreDNS, NetworkPolicy agent, local-path-provisioner" system_ready || {
    kubectl get nodes,pods -A -o wide >&2 || true
    die "the cluster did not become ready"
  }
  apply_cluster_shape
  load_platform_images
  log "up: $(kubectl get nodes --no-headers | wc -l) nodes ($K8S_VERSION) at https://127.0.0.1:$api_port (kubeconfig $kubeconfig, context $context)"
}

cmd_down() {
  if docker_answers; then
    if [[ -x "$kind_bin/kind" ]] && cluster_exists; then
      local s=$SECONDS
      log "deleting cluster $cluster"
      kind delete cluster --name "$cluster" --kubeconfig "$kubeconfig" >/dev/null 2>&1
      log "cluster deleted ($((SECONDS - s))s)"
    fi
    local left_containers
    left_containers="$(docker ps -aq --filter "label=io.x-k8s.kind.cluster=$cluster" | tr '\n' ' ')"
    [[ -z "${left_containers// /}" ]] || die "kind node containers still present after delete: $left_containers"
    if [[ -n "$(our_dockerd_pid)" ]]; then
      docker network rm kind >/dev/null 2>&1 || true
    fi
  fi
  stop_dockerd
  rm -f "$kubeconfig"
  local left
  left="$(lab_docker_pids | tr '\n' ' ')"
  [[ -z "${left// /}" ]] || die "lab docker processes still running: $left"
  log "down"
}

cmd_status() {
  local ok=0 pid
  pid="$(our_dockerd_pid)"
  if [[ -n "$pid" ]]; then
    printf '%-24s running  pid=%s\n' dockerd "$pid"
  elif docker_answers; then
    printf '%-24s running  (not started by the lab)\n' dockerd
  else
    printf '%-24s stopped\n' dockerd
    return 1
  fi
  if cluster_exists && [[ -f "$kubeconfig" ]]; then
    kubectl get nodes -L topology.kubernetes.io/zone --no-headers 2>/dev/null | sed 's/^/node  /' || ok=1
    system_ready >/dev/null 2>&1 && printf '%-24s ready    https://127.0.0.1:%s\n' cluster "$api_port" ||
      { printf '%-24s not ready\n' cluster; ok=1; }
  else
    printf '%-24s absent\n' cluster
    ok=1
  fi
  return $ok
}

cmd_env() {
  if [[ "${1:-}" == --kubeconfig ]]; then
    printf 'export KUBECONFIG=%q\n' "$kubeconfig"
    printf 'export PATH="%s:%s:%s:$PATH"\n' "$k8s_bin" "$helm_bin" "$kind_bin"
  fi
  printf 'export SMEPLATFORM_LAB_KIND_KUBECONFIG=%q\n' "$kubeconfig"
  printf 'export SMEPLATFORM_LAB_KIND_CONTEXT=%s\n' "$context"
  printf 'export SMEPLATFORM_LAB_KIND_CLUSTER=%s\n' "$cluster"
  printf 'export SMEPLATFORM_LAB_KIND_API=https://127.0.0.1:%s\n' "$api_port"
  printf 'export SMEPLATFORM_LAB_KIND_BIN=%q\n' "$kind_bin/kind"
}

case "${1:-}" in
  install) cmd_install ;;
  dockerd) mkdir -p "$run" "$logs" && start_dockerd ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env "${2:-}" ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
