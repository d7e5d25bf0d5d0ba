#!/usr/bin/env bash
# Regenerates Hearth's shipped PTX from the CUDA C kernels next to this script:
#   compute-engine/src/main/resources/dev/hearth/engine/cuda/<name>.ptx  for every  <name>.cu  here.
#
# Uses Debian's CUDA 11.8 nvcc (/usr/bin/nvcc, package nvidia-cuda-toolkit) on purpose: its PTX is ISA 7.8,
# which every driver from R520 on JIT-compiles for its card (Turing sm_75 to Blackwell sm_120). CUDA 13.0's
# nvcc emits ISA 9.0, which needs R580+, so it must not be used here. No GPU is needed.
#
#   build-ptx.sh            write the committed resources
#   build-ptx.sh --out DIR  write into DIR instead (check-ptx.sh compares that against the committed files)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../resources/dev/hearth/engine/cuda"
if [ "${1:-}" = "--out" ]; then out="$2"; fi
NVCC="${HEARTH_NVCC:-/usr/bin/nvcc}"
if [ ! -x "$NVCC" ]; then
  echo "build-ptx: $NVCC not found; install Debian's nvidia-cuda-toolkit (CUDA 11.8, component non-free)" >&2
  exit 2
fi
if ! "$NVCC" --version | grep -q "release 11.8"; then
  echo "build-ptx: $NVCC is not CUDA 11.8; the shipped PTX must be ISA 7.8 (drivers R520+)" >&2
  exit 2
fi
mkdir -p "$out"
cd "$here" # relative paths only, so nothing machine-specific can reach the output
for cu in *.cu; do
  name="${cu%.cu}"
  # -arch=compute_75: PTX only (no SASS), the oldest target Hearth supports (Turing); the driver compiles it
  # for newer cards. Default IEEE division and square root (-prec-div, -prec-sqrt) and fma contraction.
  "$NVCC" -ptx -arch=compute_75 -std=c++14 -o "$out/$name.ptx" "$cu"
done
echo "build-ptx: wrote $(ls "$here"/*.cu | wc -l) modules to $out"
