#!/usr/bin/env bash
# scripts/slurm-single-node.sh: a one-node Slurm on this machine (root only), for SrunIT and trying `srun` by hand.
#
#   slurm-single-node.sh up      write a minimal slurm.conf under DIR, start munged (if none runs), slurmctld and
#                                slurmd, and wait until the node is idle; prints the SLURM_CONF to export
#   slurm-single-node.sh down    stop the slurmd and slurmctld that `up` started (and munged if `up` started it)
#   slurm-single-node.sh conf    print the slurm.conf path (DIR/slurm.conf)
#
# It configures and starts an installed Slurm (Debian's slurm-wlm), it installs nothing. Its config, state, spool,
# logs and pid files live under DIR (JCCL_SLURM_DIR, default /var/lib/jccl-slurm), never in /etc/slurm; the daemons
# and the clients find the config through SLURM_CONF. No cgroups: proctrack/linuxproc, task/none. The node is this
# host (`hostname -s`, address 127.0.0.1) with the CPUs `slurmd -C` reports, partition "debug"; the daemons listen on
# the usual ports 6817/6818 (JCCL_SLURM_PORTS="CTLD SLURMD" changes them).
set -euo pipefail

DIR=${JCCL_SLURM_DIR:-/var/lib/jccl-slurm}
CONF="$DIR/slurm.conf"
read -r CTLD_PORT SLURMD_PORT <<<"${JCCL_SLURM_PORTS:-6817 6818}"

die() { echo "slurm-single-node.sh: $*" >&2; exit 2; }

need() {
    [ "$(id -u)" = 0 ] || die "needs root (starts munged, slurmctld and slurmd)"
    local p
    for p in slurmctld slurmd sinfo srun scontrol munged; do
        command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] \
            || die "slurm-wlm is not installed ($p not found): apt-get install slurm-wlm"
    done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_conf() {
    local host cpus
    host=$(hostname -s)
    cpus=$(slurmd -C 2>/dev/null | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' | head -n1)
    mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
    cat >"$CONF" <<EOF
# written by JCCL's scripts/slurm-single-node.sh; removed by its "down"
ClusterName=jccl
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=${cpus:-1} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
}

start_munge() {
    if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
        return 0                                   # a munged already answers: use it, and leave it running at down
    fi
    [ -r /etc/munge/munge.key ] || die "no /etc/munge/munge.key (reinstall munge, or run mungekey as user munge)"
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
    if id munge >/dev/null 2>&1; then
        runuser -u munge -- /usr/sbin/munged || die "munged did not start (see /var/log/munge/munged.log)"
    else
        /usr/sbin/munged --force || die "munged did not start (see /var/log/munge/munged.log)"
    fi
    touch "$DIR/run/munged.ours"
    for _ in $(seq 50); do
        munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "munged started but does not answer (munge -n | unmunge)"
}

up() {
    need
    if pid_alive "$DIR/run/slurmctld.pid" || pid_alive "$DIR/run/slurmd.pid"; then
        down >/dev/null
    fi
    write_conf
    start_munge
    export SLURM_CONF="$CONF"
    slurmctld || die "slurmctld did not start (see $DIR/log/slurmctld.log)"
    slurmd || die "slurmd did not start (see $DIR/log/slurmd.log)"
    local state=""
    for _ in $(seq 60); do
        state=$(sinfo -h -o %t 2>/dev/null | head -n1 || true)
        case "$state" in idle | mix | alloc) break ;; esac
        sleep 0.5
    done
    case "$state" in
        idle | mix | alloc) echo "Slurm up: node $(hostname -s) $state; export SLURM_CONF=$CONF" ;;
        *) die "the node is '${state:-not answering}' after 30 s (see $DIR/log/)" ;;
    esac
}

stop_pid() {
    local f=$1
    pid_alive "$f" || { rm -f "$f"; return 0; }
    local pid; pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$f"; return 0; }
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
}

down() {
    [ "$(id -u)" = 0 ] || die "needs root"
    stop_pid "$DIR/run/slurmd.pid"
    stop_pid "$DIR/run/slurmctld.pid"
    if [ -f "$DIR/run/munged.ours" ]; then
        stop_pid /run/munge/munged.pid
        rm -f "$DIR/run/munged.ours"
    fi
    rm -f "$CONF"
    echo "Slurm down"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    conf) echo "$CONF" ;;
    *) echo "usage: $0 up|down|conf" >&2; exit 2 ;;
esac
