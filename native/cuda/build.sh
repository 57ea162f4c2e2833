#!/bin/sh
# Builds the CUDA reduction kernels when nvcc can be found; called by native/pom.xml (generate-resources).
#
#   build.sh OUT_DIR [NVCC] [SKIP]
#
# nvcc is looked up in this order: the NVCC argument (Maven property jccl.nvcc), `nvcc` on the PATH,
# $CUDA_HOME/bin/nvcc. SKIP=true (Maven property jccl.cuda.skip) builds nothing. When nvcc is not found,
# or make is missing, the build succeeds without kernels and says so. When nvcc is found, a compile error
# fails the build. OUT_DIR always receives kernels.properties saying what happened; comm-cuda packages it
# with the kernels and reads it to explain a missing kernel image.
set -eu

out=${1:?usage: build.sh OUT_DIR [NVCC] [SKIP]}
nvcc_arg=${2:-}
skip=${3:-false}
here=$(cd "$(dirname "$0")/.." && pwd)

mkdir -p "$out"
rm -f "$out/kernels.properties"

absent() {
    # no stale kernels from an earlier build with nvcc
    rm -f "$out/jccl_reduce.fatbin" "$out/jccl_reduce.ptx"
    # on stderr, so that Maven shows it as a warning even with -q
    echo "[jccl-native] WARNING: GPU kernels absent: $1." >&2
    echo "[jccl-native] comm-cuda is built without CUDA kernels: device buffers still work (staged through" >&2
    echo "[jccl-native] host memory) but ReduceKernels cannot load." >&2
    {
        echo "built=false"
        echo "reason=$1"
    } > "$out/kernels.properties"
    exit 0
}

case "$nvcc_arg" in
    '${jccl.nvcc}') nvcc_arg= ;;   # property left unset in the pom
esac

if [ "$skip" = "true" ]; then
    absent "skipped (-Djccl.cuda.skip=true)"
fi

nvcc=
if [ -n "$nvcc_arg" ]; then
    [ -x "$nvcc_arg" ] || { echo "[jccl-native] -Djccl.nvcc=$nvcc_arg is not an executable file" >&2; exit 1; }
    nvcc=$nvcc_arg
elif command -v nvcc >/dev/null 2>&1; then
    nvcc=$(command -v nvcc)
elif [ -n "${CUDA_HOME:-}" ] && [ -x "${CUDA_HOME}/bin/nvcc" ]; then
    nvcc=${CUDA_HOME}/bin/nvcc
fi
if [ -z "$nvcc" ]; then
    absent "nvcc not found (not on the PATH, no \$CUDA_HOME/bin/nvcc, no -Djccl.nvcc)"
fi
if ! command -v make >/dev/null 2>&1; then
    absent "nvcc found at $nvcc but make is not installed"
fi

# ptxas beside nvcc (for the ptxcheck target and the comm-cuda PTX test)
ptxas=$(dirname "$nvcc")/ptxas
[ -x "$ptxas" ] || ptxas=ptxas

version=$("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p' | head -n 1)
echo "[jccl-native] building CUDA kernels with $nvcc (CUDA $version), unless up to date"
start=$(date +%s)
make -s -j2 -C "$here" cuda NVCC="$nvcc" OUT="$out"
end=$(date +%s)
gencode=$(make -s -C "$here" --no-print-directory -f Makefile -f - print-gencode <<'MK'
print-gencode:
	@echo $(GENCODE)
MK
)
{
    echo "built=true"
    echo "nvcc=$nvcc"
    echo "nvccVersion=$version"
    echo "ptxas=$ptxas"
    echo "gencode=$gencode"
    echo "fatbin=jccl_reduce.fatbin"
    echo "ptx=jccl_reduce.ptx"
} > "$out/kernels.properties"
echo "[jccl-native] built $(ls "$out" | tr '\n' ' ')in $((end - start)) s"
