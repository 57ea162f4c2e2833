#!/usr/bin/env bash
# JCCL GPU check: the GPU tests with 1, 2 and 4 ranks on one GPU; a 2-process all-reduce of device buffers (fp32
# sum, bf16 avg, 8 B..256 MiB, staged whole, pipelined, and pipelined with received segments reduced on the GPU
# (JCCL_DEVICE_REDUCE), every element checked) against host buffers; the
# sum-kernel bandwidth against a device-to-device copy, and device-buffer vs host-buffer all-reduce at 64 MiB with
# in-process ranks; one summary table.
#
#   scripts/gpu-check.sh --prepare [--out DIR]
#       On the build machine (JDK 17 with jlink, Maven, nvcc for the kernels): builds comm-cuda and writes a
#       self-contained folder (default target/gpucheck/, under 64 MiB): a jlink'd Java runtime (jre/), the jars
#       (lib/), this script. Copy that folder to the GPU machine.
#
#   scripts/gpu-check.sh --run [--dir DIR] [--quick]
#   DIR/gpu-check.sh --run
#       On a Linux machine with an NVIDIA GPU and its driver; no JDK needed. Runs in under 8 minutes (time limits
#       200 + 150 + 120 s) and prints the table. Exit status: 0 all tests passed and no element was wrong, 1 a test
#       failed, an element was wrong or a benchmark broke, 2 no GPU / not prepared (nothing was run).
#       --quick: smaller benchmarks (all-reduce check up to 16 MiB; 8 MiB, fewer iterations).
#
# See docs/gpu.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mode=
dir=
quick=false
while [ $# -gt 0 ]; do
    case "$1" in
        --prepare) mode=prepare ;;
        --run) mode=run ;;
        --out|--dir) dir=${2:?"gpu-check: $1 needs a folder"}; shift ;;
        --quick) quick=true ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "gpu-check: unknown argument '$1' (expected --prepare [--out DIR] or --run [--dir DIR] [--quick])" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$mode" ] || { echo "gpu-check: say --prepare (build machine) or --run (GPU machine); --help for more" >&2; exit 2; }

# ---------------------------------------------------------------------------------------------- prepare
prepare() {
    local root out lib tmp
    root=$(cd "$here/.." && pwd)
    [ -f "$root/comm-cuda/pom.xml" ] || { echo "gpu-check --prepare: run it from the source tree (scripts/gpu-check.sh)" >&2; exit 2; }
    out=${dir:-$root/target/gpucheck}
    if [ -e "$out" ] && [ ! -f "$out/PREPARED" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
        echo "gpu-check --prepare: $out exists, is not empty and was not made by --prepare: not overwriting it" >&2
        exit 2
    fi
    command -v mvn >/dev/null || { echo "gpu-check --prepare: mvn is not on the PATH" >&2; exit 2; }
    local jlink=${JAVA_HOME:+$JAVA_HOME/bin/}jlink
    command -v "$jlink" >/dev/null || jlink=$(dirname "$(readlink -f "$(command -v java)")")/jlink
    [ -x "$jlink" ] || command -v "$jlink" >/dev/null || { echo "gpu-check --prepare: jlink not found (need a full JDK 17)" >&2; exit 2; }

    echo "gpu-check: building comm-cuda (mvn -pl comm-cuda -am package -DskipTests -Pgpucheck) ..."
    (cd "$root" && mvn -B -q -pl comm-cuda -am package -DskipTests -Pgpucheck)
    if ! grep -q '^built=true' "$root/comm-cuda/target/classes/io/jccl/cuda/kernels/kernels.properties"; then
        echo "gpu-check --prepare: comm-cuda was built WITHOUT its CUDA kernels (no nvcc?):" >&2
        cat "$root/comm-cuda/target/classes/io/jccl/cuda/kernels/kernels.properties" >&2
        exit 1
    fi

    rm -rf "$out"
    mkdir -p "$out/lib"
    lib="$out/lib"
    cp "$root"/comm-cuda/target/comm-cuda-*[0-9T].jar "$root"/comm-cuda/target/comm-cuda-*-tests.jar "$lib/"   # not -sources, -javadoc
    local j
    for j in "$root"/comm-cuda/target/gpucheck/lib/*.jar; do
        case "$(basename "$j")" in
            jcuda-natives-*) ;;   # trimmed below
            *) cp "$j" "$lib/" ;;
        esac
    done
    # JCuda's natives jar carries four libraries (26 MB); the driver API needs only libJCudaDriver.
    tmp=$(mktemp -d)
    local natives
    natives=$(ls "$root"/comm-cuda/target/gpucheck/lib/jcuda-natives-*.jar | head -n 1)
    (cd "$tmp" && unzip -q "$natives" 'lib/libJCudaDriver-*' 'META-INF/MANIFEST.MF')
    local jar=${JAVA_HOME:+$JAVA_HOME/bin/}jar
    command -v "$jar" >/dev/null || jar=$(dirname "$jlink")/jar
    "$jar" --create --file "$lib/$(basename "${natives%.jar}")-driver-only.jar" -C "$tmp" lib
    rm -rf "$tmp"

    echo "gpu-check: jlink runtime ..."
    "$jlink" --add-modules java.base,java.logging,java.xml,jdk.zipfs,jdk.unsupported,java.management,java.naming,jdk.crypto.ec \
        --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/jre"

    cp "$here/gpu-check.sh" "$out/gpu-check.sh"
    chmod +x "$out/gpu-check.sh"
    {
        echo "prepared=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "commit=$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
        sed 's/^/kernels./' "$root/comm-cuda/target/classes/io/jccl/cuda/kernels/kernels.properties"
    } > "$out/PREPARED"

    local bytes
    bytes=$(du -sb "$out" | cut -f1)
    echo "gpu-check: prepared $out: $((bytes / 1048576)) MiB ($(du -sh "$out/jre" | cut -f1) runtime, $(du -sh "$lib" | cut -f1) jars)"
    if [ "$bytes" -gt $((64 * 1048576)) ]; then
        echo "gpu-check --prepare: the folder is over 64 MiB" >&2
        exit 1
    fi
    echo "gpu-check: on the GPU machine run: $out/gpu-check.sh --run   (or scripts/gpu-check.sh --run --dir $out)"
}

# ---------------------------------------------------------------------------------------------- run
find_libcuda() {
    # prints the directory holding libcuda.so.1 when it is not on the loader's default path, '' when it is
    if ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 '; then
        echo ""
        return 0
    fi
    local d
    local ldp=${LD_LIBRARY_PATH:-}
    for d in ${ldp//:/ } /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu \
             /usr/lib64 /usr/lib /usr/local/cuda/compat /usr/lib/wsl/lib; do
        if [ -e "$d/libcuda.so.1" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

run() {
    local base java libdir start
    start=$(date +%s)
    if [ -n "$dir" ]; then
        base=$dir
    elif [ -x "$here/jre/bin/java" ]; then
        base=$here
    else
        base=$(cd "$here/.." && pwd)/target/gpucheck
    fi
    java="$base/jre/bin/java"
    if [ ! -x "$java" ] || [ ! -d "$base/lib" ]; then
        echo "gpu-check: $base is not a prepared folder (no jre/bin/java or lib/): run scripts/gpu-check.sh --prepare on the build machine first" >&2
        exit 2
    fi
    local jv
    if ! jv=$("$java" -version 2>&1); then
        echo "gpu-check: the carried Java runtime does not start here (it is jlink'd from the build machine's JDK" >&2
        echo "gpu-check: and needs glibc 2.34 or newer):" >&2
        echo "$jv" | head -n 5 >&2
        exit 2
    fi
    # GPU_CHECK_NO_PROBE=1 skips this probe (to test the script itself on a machine without a GPU: the run then
    # fails in the tests and the benchmark, as it should)
    if [ "${GPU_CHECK_NO_PROBE:-0}" = 1 ]; then
        libdir=
    elif ! libdir=$(find_libcuda); then
        echo "gpu-check: no GPU: the NVIDIA driver library libcuda.so.1 was not found (ldconfig, /usr/local/nvidia/lib64," >&2
        echo "gpu-check: /usr/lib/x86_64-linux-gnu, /usr/lib64, /usr/local/cuda/compat); this check needs an NVIDIA GPU" >&2
        echo "gpu-check: with its driver. Nothing was run." >&2
        exit 2
    fi
    if [ -n "$libdir" ]; then
        export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
    local gpu="(nvidia-smi not available)"
    if command -v nvidia-smi >/dev/null 2>&1; then
        gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n 1 || true)
        [ -n "$gpu" ] || gpu="(nvidia-smi found no GPU)"
    fi
    echo "gpu-check: $(cat "$base/PREPARED" 2>/dev/null | grep -E '^(commit|prepared)=' | tr '\n' ' ')"
    echo "gpu-check: GPU: $gpu; java: $("$java" -version 2>&1 | head -n 1)"

    local tmp log_tests log_bench log_ar rc_tests rc_bench rc_ar
    tmp=$(mktemp -d)
    log_tests="$tmp/tests.log"
    log_bench="$tmp/bench.log"
    log_ar="$tmp/allreduce0.log"
    local cp="$base/lib/*"
    local jvm=(-Xms1g -Xmx8g -XX:+UseParallelGC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)

    echo "gpu-check: [1/3] tests (io.jccl.cuda, GPU required; all-reduce with W = 1, 2, 4 ranks on one GPU) ..."
    set +e
    timeout 200 "$java" "${jvm[@]}" -Djccl.cuda.require=true -cp "$cp" org.junit.platform.console.ConsoleLauncher execute \
        --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests \
        --select-package io.jccl.cuda --reports-dir "$tmp/reports" > "$log_tests" 2>&1
    rc_tests=$?
    set -e
    grep -E '(✘|\[X\]|FAILED|Exception|expected:)' "$log_tests" | head -n 40 || true

    local max_mib=256
    if $quick; then max_mib=16; fi
    echo "gpu-check: [2/3] all-reduce of device buffers, 2 processes (fp32 sum, bf16 avg, 8 B..${max_mib} MiB; host, whole, pipelined, device-reduce) ..."
    set +e
    allreduce_check "$java" "$cp" "$max_mib" "$tmp"
    rc_ar=$?
    set -e
    grep -v '^RESULT ' "$log_ar" | sed 's/^/    /' | head -n 40 || true

    local size=64 iters=20
    if $quick; then size=8; iters=5; fi
    echo "gpu-check: [3/3] benchmark (${size} MiB fp32: sum kernel vs cuMemcpyDtoD; all-reduce W=2,4 host vs device) ..."
    set +e
    timeout 120 "$java" "${jvm[@]}" -cp "$cp" io.jccl.cuda.GpuBenchmark --size-mib "$size" --iters "$iters" --ranks 2,4 \
        > "$log_bench" 2>&1
    rc_bench=$?
    set -e
    grep -v '^RESULT ' "$log_bench" | sed 's/^/    /' | head -n 30 || true

    summarize "$log_tests" "$rc_tests" "$log_bench" "$rc_bench" "$(( $(date +%s) - start ))" "$log_ar" "$rc_ar" "$max_mib"
    local status=0
    [ "$rc_tests" -eq 0 ] || status=1
    [ "$rc_ar" -eq 0 ] || status=1
    [ "$rc_bench" -eq 0 ] || status=1
    rm -rf "$tmp"
    exit $status
}

# Two ranks of io.jccl.cuda.DeviceAllReduceCheck as separate processes on this machine (both on GPU 0 when there
# is one GPU: LOCAL_RANK modulo the device count), rendezvous on a free port of 127.0.0.1, 150 s limit. Rank 0's
# output goes to $4/allreduce0.log, rank 1's to $4/allreduce1.log. Returns 0 when both ranks exit 0.
allreduce_check() {
    local java=$1 cp=$2 max_mib=$3 out=$4 port r rc=0
    local -a pids=()
    port=$(( 20000 + RANDOM % 20000 ))
    for r in 0 1; do
        RANK=$r WORLD_SIZE=2 LOCAL_RANK=$r MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
            timeout 150 "$java" -Xms1g -Xmx6g -XX:+UseParallelGC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
            -cp "$cp" io.jccl.cuda.DeviceAllReduceCheck --max-mib "$max_mib" > "$out/allreduce$r.log" 2>&1 &
        pids+=($!)
    done
    for r in 0 1; do
        wait "${pids[$r]}" || rc=$?
    done
    if [ "$rc" -ne 0 ]; then
        echo "    rank 1 (exit status of the ranks: $rc):"
        grep -v '^RESULT ' "$out/allreduce1.log" | tail -n 15 | sed 's/^/      /' || true
    fi
    return "$rc"
}

# value of "RESULT name=value" in the benchmark log, or "-"
res() {
    local v
    v=$(sed -n "s/^RESULT $2=//p" "$1" | tail -n 1)
    echo "${v:--}"
}

# counts from the ConsoleLauncher summary: "[        40 tests successful      ]", "[  3 containers failed  ]"
count() {
    local v
    v=$(sed -n "s/^\[ *\([0-9][0-9]*\) $2 *\].*/\1/p" "$1" | tail -n 1)
    echo "${v:-?}"
}

mib() {
    case "$1" in
        ''|*[!0-9]*) echo '?' ;;
        *) echo $(( $1 / 1048576 )) ;;
    esac
}

goal() { # value goal -> met / missed / -
    awk -v v="$1" -v g="$2" 'BEGIN { if (v == "-" || v == "") print "-"; else if (v + 0 >= g + 0) print "met"; else print "MISSED" }'
}

summarize() {
    local lt=$1 rt=$2 lb=$3 rb=$4 secs=$5 la=$6 ra=$7 max_mib=$8
    local ok failed skipped aborted cfailed
    ok=$(count "$lt" "tests successful")
    failed=$(count "$lt" "tests failed")
    skipped=$(count "$lt" "tests skipped")
    aborted=$(count "$lt" "tests aborted")
    cfailed=$(count "$lt" "containers failed")
    echo
    echo "================================ JCCL GPU check ================================"
    printf '%-46s %s\n' "device" "$(res "$lb" device) (sm_$(res "$lb" device_sm), $(res "$lb" device_multiprocessors) SMs)"
    printf '%-46s %s\n' "tests (GPU tests: W = 1, 2, 4 on one GPU)" \
        "$ok passed, $failed failed, $aborted skipped by assumption, $skipped disabled; $cfailed classes failed (exit $rt)"
    printf '%-46s %s  (exit %s)\n' "all-reduce 2 processes, #wrong (must be 0)" "$(res "$la" wrong_total)" "$ra"
    local b t ratio
    for t in f32 bf16; do
        for b in 67108864 $((max_mib * 1048576)); do
            [ "$b" -le $((max_mib * 1048576)) ] || continue
            printf '%-46s host %s, whole %s, pipelined %s, device-reduce %s GB/s\n' "  $t busbw, $(mib "$b") MiB" \
                "$(res "$la" "${t}_${b}_host_busbw_GBps")" "$(res "$la" "${t}_${b}_whole_busbw_GBps")" \
                "$(res "$la" "${t}_${b}_pipelined_busbw_GBps")" "$(res "$la" "${t}_${b}_devred_busbw_GBps")"
            ratio=$(res "$la" "${t}_${b}_whole_over_pipelined")
            printf '%-46s %s  goal >= 1.5: %s\n' "  $t time whole / pipelined, $(mib "$b") MiB" "$ratio" "$(goal "$ratio" 1.5)"
            [ "$b" -ne 67108864 ] || [ "$max_mib" -ne 64 ] || break
        done
    done
    printf '%-46s %s GB/s  (%s ms)\n' "sum kernel fp32, 3 x size moved" "$(res "$lb" kernel_sum_f32_GBps)" "$(res "$lb" kernel_sum_f32_ms)"
    printf '%-46s %s GB/s  (%s ms)\n' "cuMemcpyDtoD, 2 x size moved" "$(res "$lb" dtod_copy_GBps)" "$(res "$lb" dtod_copy_ms)"
    local r
    r=$(res "$lb" kernel_vs_copy_ratio)
    printf '%-46s %s  goal >= 0.60: %s\n' "kernel / copy throughput" "$r" "$(goal "$r" 0.60)"
    local w
    for w in 2 4; do
        printf '%-46s host %s GB/s, device %s GB/s, device-reduce %s GB/s\n' \
            "all-reduce busbw W=$w, $(mib "$(res "$lb" size_bytes)") MiB" "$(res "$lb" allreduce_W${w}_host_busbw_GBps)" \
            "$(res "$lb" allreduce_W${w}_device_busbw_GBps)" "$(res "$lb" allreduce_W${w}_devred_busbw_GBps)"
        r=$(res "$lb" allreduce_W${w}_device_vs_host_ratio)
        printf '%-46s %s  goal >= 0.80: %s\n' "  device / host busbw W=$w" "$r" "$(goal "$r" 0.80)"
    done
    printf '%-46s %s s (benchmark exit %s)\n' "wall time" "$secs" "$rb"
    echo "================================================================================="
}

case "$mode" in
    prepare) prepare ;;
    run) run ;;
esac
