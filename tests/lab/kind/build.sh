#!/usr/bin/env bash
# Builds everything the kind cluster needs, offline, into the version-keyed cache.
# Usage: build.sh [kind|coredns|local-path-provisioner|kube-network-policies|pause|rootfs|images|node-image ...]
#   (default: all, in that order; images and node-image need the lab's dockerd: lab.sh install starts it)
# Cache: ${SMEPLATFORM_LAB_CACHE:-$HOME/.cache/smeplatform-lab}/<name>-<version>/
# A component whose cache directory holds a ".complete" marker is not rebuilt; a
# Docker image that exists with its tag is not rebuilt.
#
# Sources: Go modules from the Go module proxy, Debian packages (debootstrap),
# the Kubernetes binaries of tests/lab/k8s/build.sh. No image registry is used:
# every image is made with `docker import` from a folder, the node image from a
# debootstrap root filesystem plus kind's own images/base files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../versions.env
. "$here/../versions.env"
cache="${SMEPLATFORM_LAB_CACHE:-$HOME/.cache/smeplatform-lab}"

export CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=local
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"

# Images are named in a registry that does not exist, so any attempt to pull
# one fails at once instead of reaching out (and the names say where they come from).
repo=smeplatform.lab
node_image="$repo/kind-node:$K8S_VERSION-kind$KIND_VERSION"

t0=$SECONDS
log() { printf '[kind-lab build +%4ds] %s\n' "$((SECONDS - t0))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

workdirs=()
cleanup() { for d in "${workdirs[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT
# new_workdir NAME: an empty directory in $workdir, removed on exit (not in a
# subshell: the list of directories to remove must reach the EXIT trap).
new_workdir() {
  workdir="$(mktemp -d "${TMPDIR:-/tmp}/smeplatform-kind-$1.XXXXXX")"
  workdirs+=("$workdir")
}

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

# module_dir MODULE@VERSION: the module's source directory in the module cache.
module_dir() {
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p'
}

# go_build NAME VERSION MODULE PACKAGE BINARY [LDFLAGS]: one binary from a helper module.
go_build() {
  local name=$1 v=$2 module=$3 pkg=$4 bin=$5 ld=${6:-} w
  if is_built "$name" "$v"; then log "$name $v cached"; return; fi
  new_workdir "$name"; w="$workdir"
  printf 'module smeplatform.test/labbuild/%s\n\ngo 1.26\n\nrequire %s %s\n' "$name" "$module" "$v" >"$w/go.mod"
  log "$name $v: compiling $pkg"
  mkdir -p "$w/bin"
  (cd "$w" && go build -trimpath -ldflags "-s -w $ld" -o "$w/bin/$bin" "$pkg")
  finish "$name" "$v" "$w/bin"
}

build_kind() {
  go_build kind "$KIND_VERSION" sigs.k8s.io/kind sigs.k8s.io/kind kind
}

# kube-network-policies, with one change for kernels without nft_queue: the
# queue verdict goes through the xtables NFQUEUE target (kube-network-policies/nfqueue_compat.go).
build_kube-network-policies() {
  local v="$KUBE_NETWORK_POLICIES_VERSION" w src
  if is_built kube-network-policies "$v"; then log "kube-network-policies $v cached"; return; fi
  new_workdir kube-network-policies; w="$workdir"
  src="$(cd "$w" && printf 'module x\n\ngo 1.26\n' >go.mod && module_dir "sigs.k8s.io/kube-network-policies@$v")"
  rm -f "$w/go.mod"
  cp -r "$src" "$w/src"
  chmod -R u+w "$w/src"
  cp "$here/kube-network-policies/nfqueue_compat.go" "$w/src/pkg/networkpolicy/"
  python3 - "$w/src/pkg/networkpolicy" <<'PY'
import re, sys
from pathlib import Path
d = Path(sys.argv[1])
c = d / "controller.go"
text, n = re.subn(
    r"queue := &expr\.Queue\{Num: uint16\(c\.config\.QueueID\)\}\n\tif c\.config\.FailOpen \{\n\t\tqueue\.Flag = expr\.QueueFlagBypass\n\t\}",
    "queue := nfqueueVerdict(uint16(c.config.QueueID), c.config.FailOpen)",
    c.read_text(),
)
c.write_text(text)
a = d / "dnsagent.go"
text2, m = re.subn(
    r"&expr\.Queue\{Num: uint16\(n\.nfQueueID\), Flag: expr\.QueueFlagBypass\}",
    "nfqueueVerdict(uint16(n.nfQueueID), true)",
    a.read_text(),
)
a.write_text(text2)
if n != 2 or m != 1:
    sys.exit(f"kube-network-policies: expected 2+1 queue expressions to replace, found {n}+{m}")
PY
  printf 'module smeplatform.test/labbuild/kube-network-policies\n\ngo 1.26\n\nrequire sigs.k8s.io/kube-network-policies %s\n\nreplace sigs.k8s.io/kube-network-policies => ./src\n' "$v" >"$w/go.mod"
  log "kube-network-policies $v: compiling (queue verdict through the xtables NFQUEUE target)"
  mkdir -p "$w/bin"
  (cd "$w" && go build -trimpath -ldflags "-s -w" -o "$w/bin/kube-network-policies" sigs.k8s.io/kube-network-policies/cmd)
  finish kube-network-policies "$v" "$w/bin"
}

build_local-path-provisioner() {
  go_build local-path-provisioner "$LOCAL_PATH_PROVISIONER_VERSION" github.com/rancher/local-path-provisioner \
    github.com/rancher/local-path-provisioner local-path-provisioner "-X main.VERSION=$LOCAL_PATH_PROVISIONER_VERSION"
}

# CoreDNS with only the plugins of kubeadm's Corefile (the full set pulls in
# every cloud SDK): the same main as upstream, with a shorter directive list in
# upstream's plugin.cfg order.
build_coredns() {
  local v="$COREDNS_VERSION" w src plugins p imports=""
  if is_built coredns "$v"; then log "coredns $v cached"; return; fi
  new_workdir coredns; w="$workdir"
  printf 'module smeplatform.test/labbuild/coredns\n\ngo 1.26\n\nrequire github.com/coredns/coredns %s\n' "$v" >"$w/go.mod"
  src="$(cd "$w" && module_dir "github.com/coredns/coredns@$v")"
  plugins=""
  # plugin.cfg lines are NAME:PACKAGE (a bare PACKAGE lives under plugin/)
  for p in $(grep -v '^#' "$src/plugin.cfg" | grep :); do
    case " errors log health ready kubernetes prometheus forward cache loop reload loadbalance " in
      *" ${p%%:*} "*)
        plugins+="\"${p%%:*}\", "
        [[ "${p#*:}" == */* ]] || p="${p%%:*}:github.com/coredns/coredns/plugin/${p#*:}"
        imports+="	_ \"${p#*:}\""$'\n'
        ;;
    esac
  done
  cat >"$w/main.go" <<GO
// CoreDNS with the plugins of kubeadm's Corefile only.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
$imports)

func init() { dnsserver.Directives = []string{$plugins} }

func main() { coremain.Run() }
GO
  log "coredns $v: compiling with plugins ${plugins//\"/}"
  mkdir -p "$w/bin"
  (cd "$w" && { go mod tidy 2>&1 | grep -v '^go: \(downloading\|finding\|found\)' >&2 || true; } && go build -trimpath -ldflags "-s -w" -o "$w/bin/coredns" .)
  finish coredns "$v" "$w/bin"
}

# pause: the sandbox container's process, from build/pause/linux/pause.c of the Kubernetes module.
build_pause() {
  local v="$K8S_VERSION" w src
  if is_built pause "$v"; then log "pause $v cached"; return; fi
  command -v gcc >/dev/null || die "gcc is required to build pause (apt-get install gcc libc6-dev)"
  new_workdir pause; w="$workdir"
  src="$(cd "$w" && module_dir "k8s.io/kubernetes@$v")"
  mkdir -p "$w/bin"
  log "pause $v: gcc -static $src/build/pause/linux/pause.c"
  gcc -Os -Wall -Werror -static -DVERSION="$v" -o "$w/bin/pause" "$src/build/pause/linux/pause.c"
  strip "$w/bin/pause"
  finish pause "$v" "$w/bin"
}

# ---------------------------------------------------------------- root filesystem
# The node image's Debian root filesystem: the packages of kind's images/base,
# with Debian's containerd, runc and CNI plugins instead of upstream builds.
rootfs_packages="systemd,systemd-sysv,dbus,containerd,runc,containernetworking-plugins,iptables,nftables,conntrack,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,e2fsprogs,bash,ca-certificates,curl,jq,procps,socat,busybox-static"
rootfs_key() { printf '%s' "$KIND_DEBIAN_SUITE-$(printf '%s' "$rootfs_packages" | sha256sum | cut -c1-12)"; }

build_rootfs() {
  local key dest w mirror
  key="$(rootfs_key)"
  dest="$cache/kind-rootfs-$key"
  if [[ -f "$dest/.complete" ]]; then log "node rootfs $key cached"; return; fi
  command -v debootstrap >/dev/null || die "debootstrap is required (lab.sh install installs it)"
  mirror="$(sed -n 's/^URIs: \(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  new_workdir rootfs; w="$workdir"
  log "node rootfs: debootstrap $KIND_DEBIAN_SUITE from $mirror (about 90 s)"
  debootstrap --variant=minbase --include="$rootfs_packages" "$KIND_DEBIAN_SUITE" "$w/rootfs" "$mirror" \
    >"$w/debootstrap.log" 2>&1 || { tail -20 "$w/debootstrap.log" >&2; die "debootstrap failed"; }
  rm -rf "$w/rootfs/var/cache/apt/archives/"*.deb "$w/rootfs/var/lib/apt/lists/"*
  log "node rootfs: packing"
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  tar -C "$w/rootfs" --numeric-owner -cf "$dest.tmp/rootfs.tar" .
  date -u +%Y-%m-%dT%H:%M:%SZ >"$dest.tmp/.complete"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  log "node rootfs ready: $dest/rootfs.tar ($(du -sh "$dest/rootfs.tar" | cut -f1))"
}

# ---------------------------------------------------------------- images
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# import_dir DIR IMAGE CHANGE...: a one-layer image from a folder.
import_dir() {
  local dir=$1 image=$2 args=() c
  shift 2
  for c in "$@"; do args+=(--change "$c"); done
  tar -C "$dir" --numeric-owner -c . | docker import "${args[@]}" - "$image" >/dev/null
}

# copy_with_libs ROOT DEST FILE...: copy files from ROOT into DEST with the
# shared libraries they load (resolved inside ROOT).
copy_with_libs() {
  local root=$1 dest=$2 f lib
  shift 2
  for f in "$@"; do
    mkdir -p "$dest/$(dirname "$f")"
    cp -a "$root/$f" "$dest/$f"
    if [[ -L "$root/$f" ]]; then
      local target
      target="$(readlink -f "$root/$f")"
      target="${target#"$root"}"
      copy_with_libs "$root" "$dest" "$target"
      continue
    fi
    for lib in $(chroot "$root" /usr/bin/ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
      [[ -e "$dest$lib" ]] && continue
      mkdir -p "$dest/$(dirname "$lib")"
      cp -aL "$root$lib" "$dest$lib"
    done
  done
}

# The image names and tags kubeadm asks for (kubeadm config images list).
kubeadm_image() {
  "$cache/kubernetes-$K8S_VERSION/bin/kubeadm" config images list --kubernetes-version "$K8S_VERSION" 2>/dev/null |
    grep "/$1:"
}

# images_list: every image the node image carries, one "name file" per line.
images_list() {
  local k
  for k in kube-apiserver kube-controller-manager kube-scheduler kube-proxy pause; do
    printf '%s %s\n' "$(kubeadm_image "$k")" "$k"
  done
  # etcd and CoreDNS carry the versions built here; the cluster's kubeadm
  # configuration asks for these tags (lab.sh)
  printf '%s %s\n' "registry.k8s.io/etcd:$ETCD_VERSION" etcd
  printf '%s %s\n' "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" coredns
  printf '%s %s\n' "$repo/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION" local-path-provisioner
  printf '%s %s\n' "$repo/busybox:$KIND_DEBIAN_SUITE" busybox
  printf '%s %s\n' "$repo/kube-network-policies:$KUBE_NETWORK_POLICIES_VERSION" kube-network-policies
}

build_images() {
  local rootfs w k8s_bin image name f
  k8s_bin="$cache/kubernetes-$K8S_VERSION/bin"
  [[ -x "$k8s_bin/kubeadm" ]] || die "missing $k8s_bin/kubeadm: run tests/lab/k8s/build.sh kubernetes"
  rootfs="$cache/kind-rootfs-$(rootfs_key)/rootfs.tar"
  local missing=0
  while read -r image name; do image_exists "$image" || missing=1; done < <(images_list)
  if ((missing == 0)); then log "every image exists"; return; fi
  new_workdir images; w="$workdir"
  mkdir -p "$w/rootfs"
  tar -C "$w/rootfs" -xf "$rootfs"
  local path_env="ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin"
  while read -r image name; do
    [[ -n "$image" ]] || die "kubeadm $K8S_VERSION names no image for $name"
    if image_exists "$image"; then log "image $image exists"; continue; fi
    local d="$w/img-$name"
    mkdir -p "$d/tmp" "$d/etc" "$d/usr/local/bin"
    chmod 1777 "$d/tmp"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$d/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$d/etc/group"
    case "$name" in
      kube-apiserver | kube-controller-manager | kube-scheduler)
        cp "$k8s_bin/$name" "$d/usr/local/bin/"
        import_dir "$d" "$image" "$path_env" "ENTRYPOINT [\"/usr/local/bin/$name\"]"
        ;;
      kube-proxy)
        cp "$k8s_bin/kube-proxy" "$d/usr/local/bin/"
        copy_with_libs "$w/rootfs" "$d" /usr/sbin/xtables-nft-multi /usr/sbin/nft /usr/sbin/conntrack /usr/bin/ip
        for f in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
          ln -sf xtables-nft-multi "$d/usr/sbin/$f"
        done
        mkdir -p "$d/usr/lib/x86_64-linux-gnu"
        cp -a "$w/rootfs/usr/lib/x86_64-linux-gnu/xtables" "$d/usr/lib/x86_64-linux-gnu/"
        for f in "$d"/usr/lib/x86_64-linux-gnu/xtables/*.so; do
          copy_with_libs "$w/rootfs" "$d" "${f#"$d"}"
        done
        cp -a "$w/rootfs/etc/ethertypes" "$w/rootfs/etc/protocols" "$w/rootfs/etc/services" "$d/etc/" 2>/dev/null || true
        import_dir "$d" "$image" "$path_env" 'ENTRYPOINT ["/usr/local/bin/kube-proxy"]'
        ;;
      etcd)
        cp "$cache/etcd-$ETCD_VERSION/bin/etcd" "$d/usr/local/bin/"
        import_dir "$d" "$image" "$path_env" 'ENTRYPOINT ["/usr/local/bin/etcd"]'
        ;;
      coredns)
        cp "$cache/coredns-$COREDNS_VERSION/bin/coredns" "$d/coredns"
        import_dir "$d" "$image" "$path_env" 'ENTRYPOINT ["/coredns"]'
        ;;
      pause)
        cp "$cache/pause-$K8S_VERSION/bin/pause" "$d/pause"
        import_dir "$d" "$image" 'USER 65535:65535' 'ENTRYPOINT ["/pause"]'
        ;;
      local-path-provisioner)
        cp "$cache/local-path-provisioner-$LOCAL_PATH_PROVISIONER_VERSION/bin/local-path-provisioner" "$d/usr/local/bin/"
        import_dir "$d" "$image" "$path_env" 'ENTRYPOINT ["/usr/local/bin/local-path-provisioner"]'
        ;;
      busybox)
        # Debian's static busybox: the provisioner's helper pods (sh scripts) and the lab's test pods
        mkdir -p "$d/bin"
        cp "$w/rootfs/bin/busybox" "$d/bin/busybox"
        for f in $(chroot "$w/rootfs" /bin/busybox --list); do
          [[ -e "$d/bin/$f" ]] || ln -s busybox "$d/bin/$f"
        done
        import_dir "$d" "$image" "ENV PATH=/bin" 'CMD ["/bin/sh"]'
        ;;
      kube-network-policies)
        cp "$cache/kube-network-policies-$KUBE_NETWORK_POLICIES_VERSION/bin/kube-network-policies" "$d/usr/local/bin/"
        import_dir "$d" "$image" "$path_env" 'ENTRYPOINT ["/usr/local/bin/kube-network-policies"]'
        ;;
    esac
    log "image $image built ($(docker image inspect -f '{{.Size}}' "$image" | numfmt --to=iec))"
  done < <(images_list)
}

# ---------------------------------------------------------------- node image
# What `kind build node-image` does, without pulling: kind's images/base files
# on the Debian rootfs, the Kubernetes node binaries, every image imported into
# the node's containerd (pinned, not unpacked), kind's entrypoint.
build_node-image() {
  local kind_src w base rootfs k8s_bin c image name
  if image_exists "$node_image"; then log "node image $node_image exists"; return; fi
  k8s_bin="$cache/kubernetes-$K8S_VERSION/bin"
  rootfs="$cache/kind-rootfs-$(rootfs_key)/rootfs.tar"
  new_workdir node; w="$workdir"
  kind_src="$(cd "$w" && printf 'module x\n\ngo 1.26\n' >go.mod && module_dir "sigs.k8s.io/kind@$KIND_VERSION")"
  base="$kind_src/images/base"
  log "node image: root filesystem + kind $KIND_VERSION images/base files + Kubernetes $K8S_VERSION binaries"
  mkdir -p "$w/rootfs"
  tar -C "$w/rootfs" -xf "$rootfs"
  local r="$w/rootfs"
  install -m 0755 "$base"/files/usr/local/bin/* "$r/usr/local/bin/"
  mkdir -p "$r/kind/bin" "$r/kind/manifests" "$r/etc/systemd/system/kubelet.service.d" "$r/etc/kubernetes/manifests" "$r/opt/cni"
  install -m 0644 "$base"/files/kind/README.txt "$r/kind/"
  install -m 0755 "$base"/files/kind/bin/* "$r/kind/bin/"
  install -m 0644 "$base"/files/etc/crictl.yaml "$r/etc/"
  install -m 0644 "$base"/files/etc/default/kubelet "$r/etc/default/"
  install -m 0644 "$base"/files/etc/sysctl.d/* "$r/etc/sysctl.d/"
  install -m 0644 "$base"/files/etc/systemd/system/*.service "$base"/files/etc/systemd/system/*.slice "$r/etc/systemd/system/"
  install -m 0644 "$base"/files/etc/systemd/system/kubelet.service.d/* "$r/etc/systemd/system/kubelet.service.d/"
  # containerd: kind's configuration without the fuse-overlayfs proxy (rootless only);
  # runc cannot lower oom_score_adj on this kernel's capability set, so restrict it.
  mkdir -p "$r/etc/containerd"
  sed -e '/^\[proxy_plugins\]/,/^$/d' \
    -e 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' \
    -e "s#sandbox_image = .*#sandbox_image = \"$(kubeadm_image pause)\"#" \
    "$base/files/etc/containerd/config.toml" >"$r/etc/containerd/config.toml"
  rm -f "$r/etc/systemd/system/containerd-fuse-overlayfs.service"
  for c in containerd containerd-shim-runc-v2 ctr; do ln -sf "/usr/bin/$c" "$r/usr/local/bin/$c"; done
  ln -sfn /usr/lib/cni "$r/opt/cni/bin"
  chroot "$r" /usr/bin/ctr oci spec |
    jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
    jq 'del(.process.rlimits)' >"$r/etc/containerd/cri-base.json"
  # systemd as kind's base image sets it up
  find "$r/lib/systemd/system/sysinit.target.wants/" -name "systemd-tmpfiles-setup.service" -delete
  rm -f "$r"/lib/systemd/system/multi-user.target.wants/* "$r"/etc/systemd/system/*.wants/* \
    "$r"/lib/systemd/system/local-fs.target.wants/* "$r"/lib/systemd/system/sockets.target.wants/*udev* \
    "$r"/lib/systemd/system/sockets.target.wants/*initctl* "$r"/lib/systemd/system/basic.target.wants/*
  echo "ReadKMsg=no" >>"$r/etc/systemd/journald.conf"
  ln -sf /usr/lib/systemd/systemd "$r/sbin/init"
  install -m 0755 "$k8s_bin/kubelet" "$k8s_bin/kubeadm" "$k8s_bin/kubectl" "$r/usr/bin/"
  chroot "$r" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
  chroot "$r" systemctl mask systemd-binfmt.service >/dev/null 2>&1
  printf '%s' "$K8S_VERSION" >"$r/kind/version"
  # kind applies this manifest as the default StorageClass: upstream's, with the images built here
  sed -n '/^const defaultStorageManifest = `/,/^`/p' "$kind_src/pkg/build/nodeimage/const_storage.go" | sed '1d;$d' |
    sed -e "s#\` + storageProvisionerImage + \`#$repo/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION#" \
      -e "s#\` + storageHelperImage + \`#$repo/busybox:$KIND_DEBIAN_SUITE#" \
      -e 's#imagePullPolicy: IfNotPresent#imagePullPolicy: Never#' >"$r/kind/manifests/default-storage.yaml"
  grep -q "$repo/local-path-provisioner" "$r/kind/manifests/default-storage.yaml" ||
    die "could not take the storage manifest from kind $KIND_VERSION sources"
  mkdir -p "$r/kind/images"
  while read -r image name; do
    docker save "$image" -o "$r/kind/images/$name.tar"
  done < <(images_list)
  log "node image: importing into docker"
  import_dir "$r" "$node_image-base" "ENV container=docker" 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]'
  rm -rf "$r"
  # containerd in a throwaway container imports every image tarball into its
  # content store (not unpacked: that needs the node's own /var volume).
  log "node image: importing $(images_list | wc -l) images into the node's containerd"
  c="smeplatform-kind-node-build-$$"
  docker rm -f "$c" >/dev/null 2>&1 || true
  docker run -d --name "$c" --privileged --entrypoint sleep "$node_image-base" infinity >/dev/null
  docker exec "$c" bash -c '
    set -e
    containerd >/tmp/containerd.log 2>&1 &
    pid=$!
    for i in $(seq 1 100); do ctr version >/dev/null 2>&1 && break; sleep 0.1; done
    for f in /kind/images/*.tar; do
      ctr -n k8s.io images import --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests "$f" >/dev/null
    done
    ctr -n k8s.io images ls -q | grep -v "^sha256:" | sort
    rm -rf /kind/images
    kill $pid; wait $pid || true
    rm -f /tmp/containerd.log' | sed 's/^/[kind-lab build]   /' >&2
  docker commit "$c" "$node_image-committed" >/dev/null
  docker rm -f "$c" >/dev/null
  # kind's entrypoint and STOPSIGNAL (systemd's clean shutdown; only a build step sets it)
  printf 'FROM %s\nENV container=docker\nSTOPSIGNAL SIGRTMIN+3\nENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]\nCMD []\n' \
    "$node_image-committed" |
    DOCKER_BUILDKIT=0 /usr/bin/docker build -q -t "$node_image" - >/dev/null
  docker rmi "$node_image-base" "$node_image-committed" >/dev/null
  log "node image $node_image ready ($(docker image inspect -f '{{.Size}}' "$node_image" | numfmt --to=iec))"
}

# ---------------------------------------------------------------- platform images
# The platform stand-in (tests/lab/standins/platform.py --pod) as the platform's
# backend and frontend images: a Debian root filesystem with python3, the
# stand-in's code, one image per tag with the tag baked in ($SME_PLATFORM_VERSION).
# python3-psycopg2 for the migration tool; postgresql-15 for the lab's in-cluster database image
platform_packages="python3,ca-certificates,python3-psycopg2,postgresql-15"
platform_tags="${SMEPLATFORM_LAB_KIND_PLATFORM_TAGS:-v1.0.0 v1.1.0 v1.1.0-faulty v1.1.0-unready}"
platform_rootfs_key() { printf '%s' "$KIND_DEBIAN_SUITE-$(printf '%s' "$platform_packages" | sha256sum | cut -c1-12)"; }
# the code's own hash: a changed stand-in makes new images
# Left out of the images (not needed by the stand-in or the database; ~200 MB less to load into every node):
# PostgreSQL's LLVM JIT (the server runs with jit=off), translations, documentation.
platform_slim="usr/lib/x86_64-linux-gnu/libLLVM-* usr/lib/postgresql/15/lib/llvmjit* usr/lib/postgresql/15/lib/bitcode usr/share/locale usr/share/doc usr/share/man"
platform_code_key() {
  { cat "$here"/../standins/{__init__,common,kube,platform,migrate}.py; echo "$platform_slim"; } | sha256sum | cut -c1-12
}
postgres_image="$repo/postgres:15-$KIND_DEBIAN_SUITE"
# Redis in the cluster: Debian's redis-server of this machine (the package the data lab runs), alone in an image
redis_image() { printf '%s/redis:%s-%s\n' "$repo" "$(redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')" "$KIND_DEBIAN_SUITE"; }
platform_images() {
  local tag
  for tag in $platform_tags; do
    printf '%s\n' "$repo/sme-platform/backend:$tag" "$repo/sme-platform/frontend:$tag"
  done
  printf '%s\n' "$postgres_image" "$(redis_image)"
}

build_platform-rootfs() {
  local key dest w mirror
  key="$(platform_rootfs_key)"
  dest="$cache/kind-platform-rootfs-$key"
  if [[ -f "$dest/.complete" ]]; then log "platform rootfs $key cached"; return; fi
  mirror="$(sed -n 's/^URIs: \(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  new_workdir platform-rootfs; w="$workdir"
  log "platform rootfs: debootstrap $KIND_DEBIAN_SUITE with $platform_packages (about 90 s)"
  debootstrap --variant=minbase --include="$platform_packages" "$KIND_DEBIAN_SUITE" "$w/rootfs" "$mirror" \
    >"$w/debootstrap.log" 2>&1 || { tail -20 "$w/debootstrap.log" >&2; die "debootstrap failed"; }
  rm -rf "$w/rootfs/var/cache/apt/archives/"*.deb "$w/rootfs/var/lib/apt/lists/"*
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  tar -C "$w/rootfs" --numeric-owner -cf "$dest.tmp/rootfs.tar" .
  date -u +%Y-%m-%dT%H:%M:%SZ >"$dest.tmp/.complete"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  log "platform rootfs ready: $dest/rootfs.tar ($(du -sh "$dest/rootfs.tar" | cut -f1))"
}

build_platform-images() {
  local base w tag image role stale_bases=()
  base="$repo/sme-platform-standin:$(platform_code_key)"
  if ! image_exists "$base"; then
    new_workdir platform; w="$workdir"
    mkdir -p "$w/rootfs"
    tar -C "$w/rootfs" -xf "$cache/kind-platform-rootfs-$(platform_rootfs_key)/rootfs.tar"
    (cd "$w/rootfs" && eval "rm -rf $platform_slim")
    mkdir -p "$w/rootfs/app/tests/lab/standins"
    install -m 0644 "$here"/../standins/{__init__,common,kube,platform,migrate}.py "$w/rootfs/app/tests/lab/standins/"
    import_dir "$w/rootfs" "$base" "ENV PYTHONDONTWRITEBYTECODE=1" "ENV PYTHONUNBUFFERED=1" "WORKDIR /app/tests/lab" "USER 1000:1000"
    rm -rf "$w/rootfs"
    log "image $base built ($(docker image inspect -f '{{.Size}}' "$base" | numfmt --to=iec))"
  fi
  # images of earlier stand-in code: only what this build makes is kept (it retags every platform image)
  local old_base
  for old_base in $(docker images --format '{{.Repository}}:{{.Tag}}' "$repo/sme-platform-standin"); do
    [[ "$old_base" == "$base" ]] || stale_bases+=("$old_base")
  done
  if ! image_exists "$postgres_image" || [[ "$(docker image inspect -f '{{index .Config.Labels "smeplatform.lab/entrypoint"}}' "$postgres_image")" != "$(sha256sum <"$here/postgres-entrypoint.sh" | cut -c1-12)" ]]; then
    # the same root filesystem: Debian's PostgreSQL 15, run by its own user
    new_workdir postgres; w="$workdir"
    cp "$here/postgres-entrypoint.sh" "$w/"
    printf 'FROM %s\nUSER root\nCOPY postgres-entrypoint.sh /usr/local/bin/lab-postgres\nUSER postgres\nWORKDIR /var/lib/postgresql\nENV PGDATA=/var/lib/postgresql/data/pgdata PATH=/usr/lib/postgresql/15/bin:/usr/bin:/bin\nLABEL smeplatform.lab/entrypoint=%s\nENTRYPOINT ["/usr/local/bin/lab-postgres"]\n' \
      "$base" "$(sha256sum <"$here/postgres-entrypoint.sh" | cut -c1-12)" >"$w/Dockerfile"
    DOCKER_BUILDKIT=0 /usr/bin/docker build -q -t "$postgres_image" "$w" >/dev/null
    log "image $postgres_image built"
  fi
  image="$(redis_image)"
  if ! image_exists "$image"; then
    # one layer: the server and the libraries it loads; it runs as an unprivileged uid with its data in /tmp
    new_workdir redis; w="$workdir"
    mkdir -p "$w/rootfs/tmp" "$w/rootfs/etc/redis"
    chmod 1777 "$w/rootfs/tmp"
    copy_with_libs / "$w/rootfs" /usr/bin/redis-server
    import_dir "$w/rootfs" "$image" "USER 1000:1000" "WORKDIR /tmp" 'ENTRYPOINT ["/usr/bin/redis-server"]'
    log "image $image built ($(docker image inspect -f '{{.Size}}' "$image" | numfmt --to=iec))"
  fi
  for image in $(platform_images); do
    [[ "$image" == "$postgres_image" || "$image" == "$(redis_image)" ]] && continue
    tag="${image##*:}"
    role="${image%:*}"
    role="${role##*/}"
    if [[ "$(docker image inspect -f '{{index .Config.Labels "smeplatform.lab/standin"}}' "$image" 2>/dev/null)" == "$base" ]]; then
      continue
    fi
    {
      printf 'FROM %s\nENV SME_PLATFORM_VERSION=%s\nLABEL smeplatform.lab/standin=%s\n' "$base" "$tag" "$base"
      if [[ "$role" == frontend ]]; then
        printf 'ENTRYPOINT ["python3", "-m", "standins.platform", "--pod", "--frontend", "--listen", "0.0.0.0"]\n'
      else
        printf 'ENTRYPOINT ["python3", "-m", "standins.platform", "--pod", "--listen", "0.0.0.0"]\n'
      fi
    } | DOCKER_BUILDKIT=0 /usr/bin/docker build -q -t "$image" - >/dev/null
    log "image $image built"
  done
  if ((${#stale_bases[@]})); then
    docker rmi "${stale_bases[@]}" >/dev/null 2>&1 || true
    docker image prune -f >/dev/null 2>&1 || true
    log "removed the images of earlier stand-in code: ${stale_bases[*]}"
  fi
}

case "${1:-}" in
  node-image-name) echo "$node_image"; exit 0 ;;
  platform-image-names) platform_images; exit 0 ;;
  redis-image-name) redis_image; exit 0 ;;
esac
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(kind coredns local-path-provisioner kube-network-policies pause rootfs images node-image)
mkdir -p "$cache"
for t in "${targets[@]}"; do
  s=$SECONDS
  "build_$t"
  log "$t done (step $((SECONDS - s))s, ${SECONDS}s total)"
done
