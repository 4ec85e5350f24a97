#!/usr/bin/env bash
# Installs everything netbench needs on a Debian 12 machine, as root. Idempotent:
# running it again changes nothing that is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: must run as root (it installs Debian packages)" >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive

# netperf lives in Debian's non-free component. Derive a sources entry for it from the
# existing main entry (same mirror, suites and key) rather than naming a mirror here.
NONFREE=/etc/apt/sources.list.d/netbench-non-free.sources
if [ ! -f "$NONFREE" ]; then
  src=""
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    if grep -q '^Components:.*\bmain\b' "$f" && grep -q '^Suites:.*bookworm' "$f"; then src="$f"; break; fi
  done
  if [ -n "$src" ]; then
    # keep only the first stanza (the main archive, not security), switch its component
    awk 'BEGIN{RS="";ORS="\n\n"} NR==1{print}' "$src" \
      | sed -E 's/^Components:.*/Components: non-free/' > "$NONFREE"
  elif grep -qE '^deb [^#]*bookworm[[:space:]]+main' /etc/apt/sources.list 2>/dev/null; then
    grep -E '^deb [^#]*bookworm[[:space:]]+main' /etc/apt/sources.list | head -n1 \
      | sed -E 's/[[:space:]]main.*$/ non-free/' > /etc/apt/sources.list.d/netbench-non-free.list
    NONFREE=/etc/apt/sources.list.d/netbench-non-free.list
  else
    echo "setup: found no Debian bookworm 'main' source to derive a non-free entry from" >&2
    exit 1
  fi
  echo "setup: added Debian non-free component in $NONFREE (for netperf)"
fi

# clang, llvm, libbpf-dev, bpftool, gcc, make and pkg-config build the compiled observer
PKGS=(iproute2 iperf3 netperf bpftrace openvswitch-switch iptables nftables ethtool
      chromium procps util-linux iputils-ping openssh-client openssh-server
      docker.io containernetworking-plugins busybox-static
      clang llvm libbpf-dev bpftool make gcc libc6-dev pkg-config)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  # openvswitch-switch's postinst tries to start the system service; the suite never
  # uses it (it runs a private instance per run), so keep the package from starting it
  # while it installs. The policy file is ours only if none was there; it goes on every
  # exit path, failed apt steps included.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\n# netbench setup: no service starts while packages install\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ -n "$(trap -p EXIT)" ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
else
  echo "setup: Debian packages already installed"
fi

# The suite never uses the system Open vSwitch: leave its services disabled, so that
# they do not start at the next boot either (idempotent; a no-op where they are).
for svc in openvswitch-switch ovsdb-server ovs-vswitchd ovs-record-hostname; do
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --quiet "$svc" 2>/dev/null || true; fi
done
if command -v update-rc.d >/dev/null 2>&1 && [ -e /etc/init.d/openvswitch-switch ]; then
  update-rc.d openvswitch-switch disable >/dev/null 2>&1 || true
fi

# docker.io is here for the docker builder, which starts its own dockerd inside a run's
# namespace with its own data, exec and socket paths. The system's Docker services stay
# off when this script installed them; a Docker that was already installed is left alone.
if [[ " ${missing[*]} " == *" docker.io "* ]]; then
  for unit in docker.service docker.socket containerd.service; do
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --quiet "$unit" 2>/dev/null || true; fi
  done
  for svc in docker containerd; do
    if command -v update-rc.d >/dev/null 2>&1 && [ -e "/etc/init.d/$svc" ]; then update-rc.d "$svc" disable >/dev/null 2>&1 || true; fi
  done
fi

# openssh-server is here for the real-host tests, which start sshd themselves inside a
# namespace. When this script installed it, its service stays disabled (no daemon listens
# at the next boot because of netbench); an sshd that was already installed is left alone.
if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
  for unit in ssh.service ssh.socket; do
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --quiet "$unit" 2>/dev/null || true; fi
  done
  if command -v update-rc.d >/dev/null 2>&1 && [ -e /etc/init.d/ssh ]; then update-rc.d ssh disable >/dev/null 2>&1 || true; fi
fi

# bpftrace attaches to tracepoints through tracefs; mount it where the kernel expects it
if [ ! -e /sys/kernel/tracing/events ] && [ -d /sys/kernel/tracing ]; then
  mount -t tracefs nodev /sys/kernel/tracing && echo "setup: mounted tracefs at /sys/kernel/tracing (for bpftrace)"
fi

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
npm run build
# the compiled observer (docs/methodology.md, "Tracing"): built against this kernel's BTF;
# without BTF the suite traces with bpftrace instead
# and the ebpf topology's tc programs with their loader (docs/methodology.md, "eBPF host routing")
if [ -e /sys/kernel/btf/vmlinux ]; then
  make -s -C bench/trace/bpf
  make -s -C bench/datapath
else
  echo "setup: the kernel has no BTF (/sys/kernel/btf/vmlinux): the compiled observer and the eBPF datapath are not built; runs trace with bpftrace, and the ebpf topology is refused"
fi
echo "setup: done"
