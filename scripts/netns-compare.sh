#!/usr/bin/env bash
# scripts/netns-compare.sh [LAYOUTS] [ROUNDS] [RATE] [OUT]: JCCL's all-reduce algorithms against Gloo on an emulated
# cluster (scripts/netns-cluster.sh, root), one sitting, the algorithms and Gloo taking turns in each round.
#
#   LAYOUTS  hosts x ranks per host, comma-separated (default 2x2,4x1); hier runs where a host has 2 ranks or more
#   ROUNDS   rounds (default 2); RATE: each link's rate for tc tbf (default 1gbit); OUT: folder (default target/netns-compare)
#   JCCL_NETNS_FIT=1: first fit a cost model of both links on each layout (bin/jccl-tune), and add "fitted", auto with
#   it (JCCL_COST_MODEL); JCCL_NETNS_ITERS: iterations per size of both, jccl-perf -n and Gloo (default 5)
#
# Each rank runs `bin/jccl-perf -b 64K -e 64M -f 4 -n 5 -w 1 -a ALGO` (JCCL_TCP_SPIN_US=0: four JVMs share few cores)
# or shared/peers' `gloo_allreduce_env.py` (PyTorch's Gloo, `/usr/bin/python3` with torch: Debian's python3-torch)
# on its host; the table gives each one's median in-place time over the rounds, Gloo's time over JCCL's best (above
# 1: JCCL ahead), ring's over hier's, and auto's over the best. Needs the tools' jar (./mvnw -q -B -DskipTests package).
set -euo pipefail
cd "$(dirname "$0")/.."
layouts=${1:-2x2,4x1}
rounds=${2:-2}
rate=${3:-1gbit}
out=${4:-target/netns-compare}
peers=${JCCL_PEERS_DIR:-../shared/peers}
C=scripts/netns-cluster.sh
[ "$(id -u)" = 0 ] || { echo "netns-compare.sh: needs root (network namespaces)" >&2; exit 2; }
[ -f "$peers/gloo_allreduce_env.py" ] || { echo "netns-compare.sh: $peers/gloo_allreduce_env.py not found (JCCL_PEERS_DIR)" >&2; exit 2; }
/usr/bin/python3 -c 'import torch.distributed' 2>/dev/null || { echo "netns-compare.sh: /usr/bin/python3 has no torch (apt-get install python3-torch)" >&2; exit 2; }
mkdir -p "$out"
export JCCL_NETNS_NAME=${JCCL_NETNS_NAME:-jccmp}
trap '$C down >/dev/null 2>&1 || true' EXIT
for layout in ${layouts//,/ }; do
    H=${layout%x*}; P=${layout#*x}; W=$((H * P))
    $C up "$H" "$rate"
    M=$($C addr 0)
    algos="ring auto"; [ "$P" -gt 1 ] && algos="hier ring auto"
    if [ "${JCCL_NETNS_FIT:-0}" = 1 ]; then
        # "fitted": auto with a cost model of both links fitted on this cluster first (bin/jccl-tune)
        for ((r = 0; r < W; r++)); do
            RANK=$r WORLD_SIZE=$W LOCAL_RANK=$((r % P)) LOCAL_WORLD_SIZE=$P MASTER_ADDR=$M MASTER_PORT=29690 \
                JCCL_TCP_SPIN_US=0 timeout 900 $C run $((r / P)) bin/jccl-tune -o "$out/$layout-model.properties" \
                --jit-warmup-ms 5000 > "$out/$layout-tune.txt.$r" 2>&1 &
        done
        wait
        mv "$out/$layout-tune.txt.0" "$out/$layout-tune.txt"; rm -f "$out/$layout-tune.txt".[0-9]*
        algos="$algos fitted"
    fi
    for ((round = 1; round <= rounds; round++)); do
        port=$((29700 + round * 10))
        for a in $algos gloo; do
            port=$((port + 1))
            f="$out/$layout-$a-r$round.txt"
            for ((r = 0; r < W; r++)); do
                h=$((r / P))
                if [ "$a" = gloo ]; then
                    RANK=$r WORLD_SIZE=$W MASTER_ADDR=$M MASTER_PORT=$port GLOO_SOCKET_IFNAME=$($C dev $h) \
                        timeout 600 $C run $h /usr/bin/python3 "$peers/gloo_allreduce_env.py" 65536 67108864 "${JCCL_NETNS_ITERS:-5}" 1 4 > "$f.$r" 2>&1 &
                else
                    model=; algo=$a
                    [ "$a" = fitted ] && model=$out/$layout-model.properties && algo=auto
                    RANK=$r WORLD_SIZE=$W LOCAL_RANK=$((r % P)) LOCAL_WORLD_SIZE=$P MASTER_ADDR=$M MASTER_PORT=$port \
                        JCCL_TCP_SPIN_US=0 JCCL_COST_MODEL=$model timeout 600 $C run $h bin/jccl-perf -b 64K -e 64M -f 4 \
                        -n "${JCCL_NETNS_ITERS:-5}" -w 1 -a "$algo" --jit-warmup-ms 500 > "$f.$r" 2>&1 &
                fi
            done
            wait
            mv "$f.0" "$f"
            rm -f "$f".[0-9]*
            echo "# $(date +%T) $layout $a round $round"
        done
    done
    $C down
done
/usr/bin/python3 - "$out" <<'PY'
import glob, re, statistics, sys, collections
d = collections.defaultdict(list)
for f in glob.glob(sys.argv[1] + '/*-r*.txt'):
    m = re.search(r'/(\d+x\d+)-(\w+)-r\d+\.txt$', f)
    lay, a = m.group(1), m.group(2)
    for line in open(f):
        p = line.split()
        if len(p) >= 6 and p[0].isdigit():
            d[(lay, a, int(p[0]))].append(float(p[2] if a == 'gloo' else p[9]))
for lay in sorted({k[0] for k in d}):
    algos = [a for a in ('hier', 'ring', 'auto', 'fitted', 'gloo') if any(k[:2] == (lay, a) for k in d)]
    print(f'## {lay}: median in-place time (ms) [each round]')
    print('%10s ' % 'size' + ' '.join('%22s' % a for a in algos) + '  gloo/best  ring/hier  auto/best'
          + ('  fitted/best' if 'fitted' in algos else ''))
    for s in sorted({k[2] for k in d if k[0] == lay}):
        med = {a: statistics.median(d[(lay, a, s)]) for a in algos if d.get((lay, a, s))}
        if len(med) < len(algos):
            continue
        best = min(v for a, v in med.items() if a != 'gloo')
        cells = ['%8.2f [%s]' % (med[a] / 1e3, ' '.join('%.1f' % (x / 1e3) for x in d[(lay, a, s)])) for a in algos]
        print('%10d ' % s + ' '.join('%22s' % c for c in cells) + '  %9.2f  %9s  %9.2f' % (
            med['gloo'] / best, '%.2f' % (med['ring'] / med['hier']) if 'hier' in med else '-', med['auto'] / best)
            + ('  %11.2f' % (med['fitted'] / best) if 'fitted' in med else ''))
PY
