#!/usr/bin/env bash
# Builds the Kubernetes lab binaries from Go modules into a version-keyed cache.
# Usage: build.sh [etcd|kubernetes|kwok|helm ...]   (default: all)
# Cache: ${SMEPLATFORM_LAB_CACHE:-$HOME/.cache/smeplatform-lab}/<name>-<version>/bin/
# A component whose cache directory holds a ".complete" marker is not rebuilt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../versions.env
. "$here/../versions.env"
cache="${SMEPLATFORM_LAB_CACHE:-$HOME/.cache/smeplatform-lab}"

export CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=local
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"

t0=$SECONDS
log() { printf '[k8s-lab build +%4ds] %s\n' "$((SECONDS - t0))" "$*" >&2; }

# new_workdir NAME: empty helper module directory (removed on exit).
workdirs=()
cleanup() { for d in "${workdirs[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT
new_workdir() {
  local d
  d="$(mktemp -d "${TMPDIR:-/tmp}/smeplatform-lab-$1.XXXXXX")"
  workdirs+=("$d")
  printf '%s' "$d"
}

# finish NAME VERSION STAGE_BIN: atomically publish the built binaries.
finish() {
  local dest="$cache/$1-$2"
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  mv "$3" "$dest.tmp/bin"
  date -u +%Y-%m-%dT%H:%M:%SZ >"$dest.tmp/.complete"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  log "$1 $2 ready in $dest/bin: $(ls "$dest/bin" | tr '\n' ' ')"
}

is_built() { [[ -f "$cache/$1-$2/.complete" ]]; }

build_etcd() {
  local v="$ETCD_VERSION" w
  if is_built etcd "$v"; then log "etcd $v cached"; return; fi
  w="$(new_workdir etcd)"
  log "etcd $v: resolving modules"
  cat >"$w/go.mod" <<MOD
module smeplatform.test/labbuild/etcd

go 1.26

require (
	go.etcd.io/etcd/api/v3 $v
	go.etcd.io/etcd/client/pkg/v3 $v
	go.etcd.io/etcd/client/v3 $v
	go.etcd.io/etcd/pkg/v3 $v
	go.etcd.io/etcd/server/v3 $v
)
MOD
  (cd "$w" && go mod download go.etcd.io/etcd/server/v3 >/dev/null)
  log "etcd $v: compiling etcd"
  (cd "$w" && go build -trimpath -ldflags "-s -w" -o "$w/bin/etcd" go.etcd.io/etcd/server/v3)
  finish etcd "$v" "$w/bin"
}

build_kubernetes() {
  local v="$K8S_VERSION" w gomod staging minor major date ld pkg
  if is_built kubernetes "$v" && [[ -x "$cache/kubernetes-$v/bin/kubelet" ]]; then log "kubernetes $v cached"; return; fi
  w="$(new_workdir kubernetes)"
  log "kubernetes $v: reading staging modules from k8s.io/kubernetes@$v go.mod"
  gomod="$(cd "$w" && go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*#\1#p' "$gomod")"
  [[ -n "$staging" ]] || { log "no staging replaces found in $gomod"; exit 1; }
  major="${v#v}"; major="${major%%.*}"
  minor="${v#v*.}"; minor="${minor%%.*}"
  {
    printf 'module smeplatform.test/labbuild/kubernetes\n\ngo 1.26\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$v"
    for m in $staging; do printf '\t%s => %s v0.%s\n' "$m" "$m" "${v#v*.}"; done
    printf ')\n'
  } >"$w/go.mod"
  log "kubernetes $v: $(wc -w <<<"$staging") staging modules replaced with v0.${v#v*.}"
  date="$(date -u -d "@$(stat -c %Y "$gomod")" +%Y-%m-%dT%H:%M:%SZ)"
  ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitCommit=0000000000000000000000000000000000000000 -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  # The node binaries (kubelet, kubeadm, kube-proxy) are built in the same go build:
  # the kind node image (tests/lab/kind) takes them from this cache, so the
  # Kubernetes sources are compiled once for both clusters.
  log "kubernetes $v: compiling kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kubeadm kube-proxy (one go build)"
  mkdir -p "$w/bin"
  (cd "$w" && go build -trimpath -ldflags "$ld" -o "$w/bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl \
    k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kubeadm \
    k8s.io/kubernetes/cmd/kube-proxy)
  finish kubernetes "$v" "$w/bin"
}

build_kwok() {
  local v="$KWOK_VERSION" w
  if is_built kwok "$v"; then log "kwok $v cached"; return; fi
  w="$(new_workdir kwok)"
  printf 'module smeplatform.test/labbuild/kwok\n\ngo 1.26\n\nrequire sigs.k8s.io/kwok %s\n' "$v" >"$w/go.mod"
  log "kwok $v: compiling kwok kwokctl"
  mkdir -p "$w/bin"
  (cd "$w" && go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${v#v}" -o "$w/bin/" \
    sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl)
  finish kwok "$v" "$w/bin"
}

build_helm() {
  local v="$HELM_VERSION" w
  if is_built helm "$v"; then log "helm $v cached"; return; fi
  w="$(new_workdir helm)"
  printf 'module smeplatform.test/labbuild/helm\n\ngo 1.26\n\nrequire helm.sh/helm/v3 %s\n' "$v" >"$w/go.mod"
  log "helm $v: compiling helm"
  mkdir -p "$w/bin"
  (cd "$w" && go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$v -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
    -o "$w/bin/helm" helm.sh/helm/v3/cmd/helm)
  finish helm "$v" "$w/bin"
}

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(etcd kubernetes kwok helm)
mkdir -p "$cache"
for t in "${targets[@]}"; do
  s=$SECONDS
  "build_$t"
  log "$t done (${SECONDS}s total, step $((SECONDS - s))s)"
done
