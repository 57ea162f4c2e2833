#!/usr/bin/env bash
# scripts/netns-reducer.sh [RATES] [REPS]: the gradient reducer's wire formats between two emulated hosts
# (scripts/netns-cluster.sh, root), one rank on each: `bin/jccl-train --reducer-bench 64M` over TCP at each link rate.
#
#   RATES  link rates for tc tbf, comma-separated (default 1gbit); "none": unshaped (then the 2 cores, not the link,
#          bound it, as on loopback)
#   REPS   rounds over the formats per rate (default 9)
#
# Prints rank 0's table per rate: each wire format's median step time and its ratio to fp32's (fp32, bf16, bf16 with
# error feedback, fp16 alternate within every round). Needs the tools' jar (./mvnw -q -B -DskipTests package).
set -euo pipefail
cd "$(dirname "$0")/.."
rates=${1:-1gbit}
reps=${2:-9}
C=scripts/netns-cluster.sh
[ "$(id -u)" = 0 ] || { echo "netns-reducer.sh: needs root (network namespaces)" >&2; exit 2; }
[ -f benchmarks/target/jccl.jar ] || { echo "netns-reducer.sh: build first: ./mvnw -q -B -DskipTests package" >&2; exit 2; }
export JCCL_NETNS_NAME=${JCCL_NETNS_NAME:-jcred}
out=$(mktemp -d)
trap '$C down >/dev/null 2>&1 || true; rm -rf "$out"' EXIT
for rate in ${rates//,/ }; do
    $C up 2 "$rate"
    M=$($C addr 0)
    for r in 0 1; do
        RANK=$r WORLD_SIZE=2 LOCAL_RANK=0 LOCAL_WORLD_SIZE=1 MASTER_ADDR=$M MASTER_PORT=29890 \
            timeout 600 $C run $r bin/jccl-train --reducer-bench 64M --reps "$reps" --warmup 2 > "$out/rank$r" 2>&1 &
    done
    wait
    echo "# link $rate"
    cat "$out/rank0"
    $C down
done
