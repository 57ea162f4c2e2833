#!/usr/bin/env bash
# scripts/netns-cluster.sh: a cluster of H emulated hosts on this machine (root only), for JCCL's multi-host tests.
#
#   netns-cluster.sh up H [RATE]      make H network namespaces on one bridge, host i at 10.77.X.(i+1)/24 (and
#                                     fd77:X::(i+1)/64), each namespace's egress shaped with tc tbf to RATE
#                                     (default 1gbit; "none": unshaped)
#   netns-cluster.sh run I CMD...     run CMD in host I with that host's own /dev/shm (one tmpfs per host, as a real
#                                     host has) and JCCL_HOST_ID=host-I; prints nothing itself, exits with CMD's code
#   netns-cluster.sh addr I [-6]      print host I's address (IPv4, or IPv6 with -6)
#   netns-cluster.sh dev I            print host I's interface name (for JCCL_SOCKET_IFNAME)
#   netns-cluster.sh link I up|down   set host I's link up or down (a pulled cable)
#   netns-cluster.sh down             remove the namespaces, veths and bridge of this cluster
#
# JCCL_NETNS_NAME (default jccl) names the cluster: namespaces NAME-h0.., bridge NAME-br, veths NAME-vI/NAME-bI
# (at most 6 characters, so interface names stay under 16), so that concurrent tests use different names; X is a
# number derived from the name. `down` removes only what `up` of this name made.
set -euo pipefail

NAME=${JCCL_NETNS_NAME:-jccl}
if [ ${#NAME} -gt 6 ]; then
    echo "netns-cluster.sh: JCCL_NETNS_NAME='$NAME' is longer than 6 characters" >&2
    exit 2
fi
NET=$(( $(printf '%s' "$NAME" | cksum | cut -d' ' -f1) % 200 + 20 ))
BR="$NAME-br"
SHM_ROOT=/run/jccl-netns

ns() { echo "$NAME-h$1"; }
die() { echo "netns-cluster.sh: $*" >&2; exit 2; }
need_root() { [ "$(id -u)" = 0 ] || die "needs root (network namespaces, veth, tc)"; }

up() {
    need_root
    local hosts=${1:?usage: up H [RATE]} rate=${2:-1gbit}
    [ "$hosts" -ge 1 ] 2>/dev/null || die "H='$hosts' is not a positive number"
    down >/dev/null 2>&1 || true
    ip link add "$BR" type bridge || die "cannot create bridge $BR"
    ip link set "$BR" up
    for ((i = 0; i < hosts; i++)); do
        local n; n=$(ns "$i")
        ip netns add "$n"
        # the host's /dev/shm: one tmpfs that every command run on this host sees (bound over /dev/shm by run)
        mkdir -p "$SHM_ROOT/$n"
        mount -t tmpfs -o size=2g tmpfs "$SHM_ROOT/$n"
        ip link add "$NAME-v$i" type veth peer name "$NAME-b$i"
        ip link set "$NAME-v$i" netns "$n"
        ip link set "$NAME-b$i" master "$BR"
        ip link set "$NAME-b$i" up
        ip -n "$n" link set lo up
        ip -n "$n" addr add "10.77.$NET.$((i + 1))/24" dev "$NAME-v$i"
        # a pulled link (link I down) keeps its IPv6 address, as its IPv4 one, for when it comes back up
        ip netns exec "$n" sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1
        ip -n "$n" -6 addr add "fd77:$NET::$((i + 1))/64" dev "$NAME-v$i" nodad
        ip -n "$n" link set "$NAME-v$i" up
        if [ "$rate" != none ]; then
            # this host's egress; every flow between hosts leaves one of them
            ip netns exec "$n" tc qdisc add dev "$NAME-v$i" root tbf rate "$rate" burst 256kb latency 50ms
            # and the bridge's egress toward it, so each direction of a link is shaped once
            tc qdisc add dev "$NAME-b$i" root tbf rate "$rate" burst 256kb latency 50ms
        fi
    done
}

down() {
    need_root
    local n
    for n in $(ip netns list | awk '{print $1}' | grep -E "^$NAME-h[0-9]+$" || true); do
        ip netns del "$n"
    done
    for d in "$SHM_ROOT"/"$NAME"-h*; do
        [ -d "$d" ] || continue
        umount "$d" 2>/dev/null || true
        rmdir "$d"
    done
    ip link del "$BR" 2>/dev/null || true
}

run() {
    need_root
    local i=${1:?usage: run I CMD...}
    shift
    [ $# -ge 1 ] || die "run $i: no command"
    ip netns list | awk '{print $1}' | grep -qx "$(ns "$i")" || die "no host $i (run: up H first)"
    # ip netns exec gives each invocation its own mount namespace: the host's tmpfs is bound over /dev/shm there only
    exec ip netns exec "$(ns "$i")" bash -c 'mount --bind "$1" /dev/shm && export JCCL_HOST_ID="$0" && shift && exec "$@"' \
        "host-$i" "$SHM_ROOT/$(ns "$i")" "$@"
}

case "${1:-}" in
    up) shift; up "$@" ;;
    down) down ;;
    run) shift; run "$@" ;;
    addr) if [ "${3:-}" = -6 ]; then echo "fd77:$NET::$(( ${2:?usage: addr I [-6]} + 1 ))"; else echo "10.77.$NET.$(( ${2:?usage: addr I} + 1 ))"; fi ;;
    dev) echo "$NAME-v${2:?usage: dev I}" ;;
    link) need_root; ip -n "$(ns "${2:?usage: link I up|down}")" link set "$NAME-v$2" "${3:?usage: link I up|down}" ;;
    *) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
