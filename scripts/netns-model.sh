#!/usr/bin/env bash
# scripts/netns-model.sh [LAYOUT] [RATE] [OUT]: the cost model's two link classes on an emulated cluster
# (scripts/netns-cluster.sh, root): fit them, check their predictions, and check jccl-scaling's prediction.
#
#   LAYOUT  hosts x ranks per host (default 2x2); RATE: each link's rate for tc tbf (default 1gbit)
#   OUT     folder (default target/netns-model)
#
# 1. bin/jccl-tune on every rank: the link inside a host and the link between hosts (OUT/model.properties);
# 2. bin/jccl-perf --model OUT/model.properties -a ALGO (64 KiB .. 64 MiB; ALGO: auto, hier where a host has 2 ranks or
#    more, ring; or the list in JCCL_NETNS_ALGOS): each row's predicted time and error, and the median error of the
#    sweep (OUT/perf-ALGO.txt);
# 3. bin/jccl-scaling --model OUT/model.properties -a auto: a training step measured at W = 1..H x P (the first W
#    ranks) next to the model's prediction of it (OUT/scaling.txt).
# Each rank runs with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR of host 0 and JCCL_TCP_SPIN_US=0
# (the emulated hosts share this machine's cores). Needs the tools' jar (./mvnw -q -B -DskipTests package).
set -euo pipefail
cd "$(dirname "$0")/.."
layout=${1:-2x2}
rate=${2:-1gbit}
out=${3:-target/netns-model}
C=scripts/netns-cluster.sh
[ "$(id -u)" = 0 ] || { echo "netns-model.sh: needs root (network namespaces)" >&2; exit 2; }
H=${layout%x*}; P=${layout#*x}; W=$((H * P))
mkdir -p "$out"
export JCCL_NETNS_NAME=${JCCL_NETNS_NAME:-jcmod}
trap '$C down >/dev/null 2>&1 || true' EXIT
$C up "$H" "$rate"
M=$($C addr 0)
port=29900

# on_every_rank FILE TOOL ARGS...: TOOL on each rank of the cluster, rank 0's output into FILE
on_every_rank() {
    local f=$1; shift
    port=$((port + 1))
    for ((r = 0; r < W; r++)); do
        RANK=$r WORLD_SIZE=$W LOCAL_RANK=$((r % P)) LOCAL_WORLD_SIZE=$P MASTER_ADDR=$M MASTER_PORT=$port \
            JCCL_TCP_SPIN_US=0 timeout 900 $C run $((r / P)) "$@" > "$f.$r" 2>&1 &
    done
    wait
    mv "$f.0" "$f"
    rm -f "$f".[0-9]*
}

on_every_rank "$out/tune.txt" bin/jccl-tune -o "$out/model.properties" --jit-warmup-ms 5000
grep '^# fitted' "$out/tune.txt"
algos=${JCCL_NETNS_ALGOS:-auto ring}; [ -z "${JCCL_NETNS_ALGOS:-}" ] && [ "$P" -gt 1 ] && algos="auto hier ring"
for a in $algos; do
    on_every_rank "$out/perf-$a.txt" bin/jccl-perf -b 64K -e 64M -f 4 -n 5 -w 1 -a "$a" --jit-warmup-ms 500 \
        --model "$out/model.properties"
    echo "# jccl-perf -a $a: $(grep 'Median |prediction error|' "$out/perf-$a.txt" | sed 's/^# *//')"
done
on_every_rank "$out/scaling.txt" bin/jccl-scaling -P 4M --flops 2e9 --steps 5 -a auto --model "$out/model.properties" \
    --out "$out/scaling"
sed -n '/^# validation/,/^#$/p' "$out/scaling.txt" | head -8
