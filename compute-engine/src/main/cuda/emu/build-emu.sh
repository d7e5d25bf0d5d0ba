#!/usr/bin/env bash
# Builds libcudaemu.so, the CPU emulator of the CUDA driver API that runs Hearth's kernels as host code
# (cuda_emu.cpp says what it does and what it cannot check). Test tooling: the emulator tests call this.
#   build-emu.sh OUT_DIR    writes OUT_DIR/libcudaemu.so (rebuilds only when a source is newer)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build-emu.sh OUT_DIR}"
mkdir -p "$out"
lib="$out/libcudaemu.so"
CXX="${CXX:-g++}"
if [ -f "$lib" ] && [ -z "$(find "$here" "$here/.." -maxdepth 1 \( -name '*.cu' -o -name '*.cuh' -o -name '*.cpp' -o -name '*.h' \) -newer "$lib")" ]; then
  exit 0
fi
# -ffp-contract=off: no fused multiply-add, so the emulator rounds as the plain-Java CPU engine does.
# A unique temporary name, then a rename: two test JVMs building at once each install a whole library.
tmp="$(mktemp "$out/libcudaemu.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
"$CXX" -std=c++17 -O2 -ffp-contract=off -fPIC -shared -Wno-unknown-pragmas -o "$tmp" "$here/cuda_emu.cpp"
mv -f "$tmp" "$lib"
