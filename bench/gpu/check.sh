#!/usr/bin/env bash
# The GPU check anyone can run: on a Linux x86-64 machine with an NVIDIA driver and PyTorch, and no JDK, no Maven,
# no network. Prepared elsewhere by bench/gpu/package.sh, which puts this script into bench/gpu/dist/ beside a
# Java runtime and Hearth's jars; run it from there:
#
#   dist/check.sh                     # results in $OUT, or ./gpu-results when OUT is unset
#
# It (1) records the machine (GPU, driver, PyTorch), (2) runs Hearth's gpu-tagged JUnit tests (CUDA engine against
# the CPU reference) with JUnit's console launcher, (3) runs the engine benchmark on CUDA against PyTorch on the
# same GPU for nano, small and gpt2-small (same initial weights, same batches, fp32), each step bounded by
# `timeout`, the whole within 8 minutes. It writes gpu-check.json (the summary), bench-<model>.json, junit.txt
# and check.log into the results folder. Exit status: 0 passed, 1 something failed, 2 not runnable (no GPU, no
# PyTorch, a broken package); the JSON says which and why in words.
#
# Environment: OUT (results folder), PYTHON (an interpreter whose torch has CUDA; default python3),
# HEARTH_CHECK_MODELS (default "nano small gpt2-small"), HEARTH_CHECK_PEAK_TFLOPS (the card's fp32 peak, when the
# table below does not know it), HEARTH_CHECK_BUDGET_S (default 470: 8 minutes less a margin).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RESULTS="${OUT:-$PWD/gpu-results}"
mkdir -p "$RESULTS"
LOG="$RESULTS/check.log"
: > "$LOG"
exec > >(tee -a "$LOG") 2>&1
PYTHON="${PYTHON:-python3}"
MODELS="${HEARTH_CHECK_MODELS:-nano small gpt2-small}"
BUDGET_S="${HEARTH_CHECK_BUDGET_S:-470}"
START_S=$(date +%s)
JAVA="$HERE/runtime/bin/java"
# UTF-8 output whatever the locale (a bare machine's shell often has none); FFM for the CUDA driver binding.
JAVA_OPTS=(--enable-native-access=ALL-UNNAMED -Xss4m -Dstdout.encoding=UTF-8 -Dstderr.encoding=UTF-8)
LIB="$HERE/lib"
CP="$LIB/hearth-compute-engine.jar:$LIB/hearth-compute-engine-tests.jar:$LIB/hearth-bench-engine.jar:$LIB/europarl-corpus.jar"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/hearth-gpu-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# What each step may take at most, seconds (the budget caps them further as time runs out). The tests get the
# most: their CPU side is the plain-Java engine (no OpenBLAS is packed), ~2 s per `small` step on 16 cores by an
# estimate from this machine, and they take 50 AdamW steps on `small`.
TESTS_TIMEOUT_S=210
declare -A BENCH_TIMEOUT_S=([nano]=45 [small]=55 [gpt2-small]=140)
# Benchmark shapes: nano and small as the CPU benchmark runs them; gpt2-small at 8 × 1024 tokens per step, fewer
# steps (10 timed) because nothing yet says how fast Hearth's kernels are at that size.
declare -A BENCH_ARGS=(
    [nano]="--batch 16 --steps 30 --warmup 5"
    [small]="--batch 16 --steps 30 --warmup 5"
    [gpt2-small]="--batch 8 --steps 12 --warmup 2 ${HEARTH_CHECK_GPT2_MICRO_BATCH:+--micro-batch $HEARTH_CHECK_GPT2_MICRO_BATCH}")

say() { echo "check.sh: $*"; }
elapsed() { echo $(( $(date +%s) - START_S )); }
# The timeout for a step that wants $1 seconds: never past the budget (5 s kept for writing the summary).
budget() { local left=$(( BUDGET_S - $(elapsed) - 5 )); [ "$left" -lt "$1" ] && echo "$left" || echo "$1"; }
# The card's dense FP32 (non-tensor-core) peak in TFLOP/s, from the vendors' datasheets, for the MFU at fp32.
fp32_peak_tflops() {
    case "$1" in
        *H200*|*"H100 SXM"*|*H100*HBM3*) echo 66.9 ;;
        *"H100 NVL"*) echo 60 ;;
        *H100*) echo 51.2 ;;       # H100 PCIe
        *A100*) echo 19.5 ;;
        *L40S*) echo 91.6 ;;
        *L40*) echo 90.5 ;;
        *L4*) echo 30.3 ;;
        *A10G*) echo 31.2 ;;
        *A10*) echo 31.2 ;;
        *"RTX 5090"*) echo 104.8 ;;
        *"RTX 4090"*) echo 82.6 ;;
        *"RTX 3090"*) echo 35.6 ;;
        *"RTX 3060"*) echo 12.7 ;;
        *T4*) echo 8.1 ;;
        *) echo "" ;;
    esac
}
json_str() { # a shell string as a JSON string
    local s=${1//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\t'/ }; s=${s//$'\r'/}; printf '"%s"' "$s"
}

say "results in $RESULTS; budget ${BUDGET_S}s; $(date -u +%Y-%m-%dT%H:%M:%SZ)"
problems=()
runnable=1

# ---- 1. the machine
gpu_name="" driver="" gpu_facts=""
if command -v nvidia-smi >/dev/null 2>&1; then
    if gpu_facts=$(timeout -k 2 "$(budget 15)" nvidia-smi --query-gpu=index,name,driver_version,memory.total,compute_cap \
            --format=csv,noheader 2>&1); then
        gpu_name=$(echo "$gpu_facts" | head -1 | cut -d, -f2 | sed 's/^ *//;s/ *$//')
        driver=$(echo "$gpu_facts" | head -1 | cut -d, -f3 | sed 's/^ *//;s/ *$//')
        say "GPU: $gpu_facts"
    else
        problems+=("nvidia-smi failed: $(echo "$gpu_facts" | head -1)")
        gpu_facts=""
    fi
else
    problems+=("no nvidia-smi on PATH (no NVIDIA driver installed?)")
fi
torch_facts=$(timeout -k 2 "$(budget 30)" "$PYTHON" -c 'import json, torch
print(json.dumps({"torch": torch.__version__, "cuda": torch.version.cuda, "cudaAvailable": torch.cuda.is_available(),
                  "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}))' 2>&1 | tail -1)
case "$torch_facts" in
    "{"*) say "PyTorch: $torch_facts" ;;
    *) problems+=("$PYTHON cannot import torch: $torch_facts"); torch_facts="null" ;;
esac
if [ -z "$gpu_name" ] && ! echo "$torch_facts" | grep -q '"cudaAvailable": true'; then
    runnable=0
    status_words="no GPU: neither nvidia-smi nor PyTorch sees an NVIDIA GPU on this machine"
    say "$status_words"
fi
if [ ! -x "$JAVA" ] || [ ! -f "$LIB/junit-platform-console-standalone.jar" ]; then
    runnable=0
    problems+=("the package is incomplete ($JAVA or lib/ missing): run bench/gpu/package.sh again")
fi
peak="${HEARTH_CHECK_PEAK_TFLOPS:-$(fp32_peak_tflops "$gpu_name")}"

# ---- 2. the gpu-tagged tests
tests_json='{"status":"not run"}'
tests_rc=-1
if [ -x "$JAVA" ]; then
    selects=()
    while read -r cls; do [ -n "$cls" ] && selects+=("--select-class" "$cls"); done < "$HERE/gpu-tests.txt"
    if [ ${#selects[@]} -eq 0 ]; then
        tests_json='{"status":"none","reason":"this package holds no gpu-tagged test classes"}'
        problems+=("no gpu-tagged tests in this package")
    elif [ "$(budget "$TESTS_TIMEOUT_S")" -lt 10 ]; then
        tests_json='{"status":"skipped","reason":"the 8-minute budget was spent before the tests"}'
        problems+=("gpu tests: not run, out of time")
    else
        t=$(budget "$TESTS_TIMEOUT_S")
        say "gpu tests: $(( ${#selects[@]} / 2 )) classes, timeout ${t}s"
        timeout -k 5 "$t" "$JAVA" "${JAVA_OPTS[@]}" -Djava.io.tmpdir="$WORK" \
            -jar "$LIB/junit-platform-console-standalone.jar" execute --disable-banner --disable-ansi-colors --details=verbose \
            --class-path "$CP" --include-tag gpu "${selects[@]}" > "$RESULTS/junit.txt" 2>&1
        tests_rc=$?
        cat "$RESULTS/junit.txt"
        count() { grep -E "^\[ *[0-9]+ $1" "$RESULTS/junit.txt" | grep -oE '[0-9]+' | head -1; }
        found=$(count "tests found"); ok=$(count "tests successful"); failed=$(count "tests failed")
        aborted=$(count "tests aborted"); skipped=$(count "tests skipped")
        classes_aborted=$(count "containers aborted"); classes_failed=$(count "containers failed")
        st=passed
        if [ "$tests_rc" -eq 124 ] || [ "$tests_rc" -eq 137 ]; then st=timeout; problems+=("gpu tests ran past ${t}s")
        elif [ "$tests_rc" -ne 0 ]; then st=failed
            problems+=("gpu tests failed (exit $tests_rc: ${failed:-?} tests and ${classes_failed:-?} classes failed; see junit.txt)")
        elif [ "${ok:-0}" -eq 0 ]; then st=skipped
            problems+=("no gpu test ran (${found:-0} found; ${aborted:-0} tests and ${classes_aborted:-0} classes aborted, ${skipped:-0} skipped: see junit.txt)")
        fi
        tests_json="{\"status\":\"$st\",\"exit\":$tests_rc,\"found\":${found:-null},\"successful\":${ok:-null},\"failed\":${failed:-null},\"aborted\":${aborted:-null},\"skipped\":${skipped:-null},\"classesAborted\":${classes_aborted:-null},\"classesFailed\":${classes_failed:-null},\"classes\":$(( ${#selects[@]} / 2 ))}"
    fi
fi

# ---- 3. the benchmark: Hearth on CUDA against PyTorch on the same GPU
bench_json=""
for m in $MODELS; do
    out="$RESULTS/bench-$m.json"
    rm -f "$out"
    t=$(budget "${BENCH_TIMEOUT_S[$m]:-120}")
    if [ "$t" -lt 10 ]; then
        entry="{\"status\":\"skipped\",\"reason\":\"the 8-minute budget was spent before this model\"}"
        problems+=("bench $m: not run, out of time")
    elif [ ! -x "$JAVA" ]; then
        entry='{"status":"not run","reason":"no Java runtime in the package"}'
    else
        peak_args=()
        [ -n "$peak" ] && peak_args=(--peak-tflops "$peak")
        say "bench $m (cuda, fp32), timeout ${t}s"
        # shellcheck disable=SC2086  # BENCH_ARGS holds several words on purpose
        timeout -k 5 "$t" "$JAVA" "${JAVA_OPTS[@]}" -Djava.io.tmpdir="$WORK" -cp "$CP" \
            dev.hearth.engine.bench.EngineBenchmark --backend cuda --model "$m" ${BENCH_ARGS[$m]:-} \
            --python "$PYTHON" --script "$HERE/gpt_reference.py" --cache "$WORK/corpus" --json "$out" "${peak_args[@]}"
        rc=$?
        if [ -s "$out" ]; then
            entry=$(cat "$out")
            grep -q '"status":"ok"' "$out" || problems+=("bench $m: $(sed -n 's/.*"reason":"\([^"]*\)".*/\1/p' "$out" | head -1)")
        elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            entry="{\"status\":\"timeout\",\"reason\":\"ran past ${t}s\"}"; problems+=("bench $m: ran past ${t}s")
        else
            entry="{\"status\":\"failed\",\"exit\":$rc,\"reason\":\"see check.log\"}"; problems+=("bench $m: exit $rc")
        fi
    fi
    bench_json+="${bench_json:+,}$(json_str "$m"):$entry"
done

# ---- 4. the summary
if [ "$runnable" -eq 0 ]; then status="no-gpu"; [ -x "$JAVA" ] || status="broken-package"
elif [ ${#problems[@]} -eq 0 ]; then status="passed"
else status="failed"; fi
problems_json=""
for p in "${problems[@]}"; do problems_json+="${problems_json:+,}$(json_str "$p")"; done
{
    printf '{"status":"%s",' "$status"
    printf '"reason":%s,' "$(json_str "${status_words:-${problems[0]:-all checks passed}}")"
    printf '"problems":[%s],' "$problems_json"
    printf '"startedUtc":"%s","elapsedSeconds":%d,"budgetSeconds":%d,' \
        "$(date -u -d "@$START_S" +%Y-%m-%dT%H:%M:%SZ)" "$(elapsed)" "$BUDGET_S"
    printf '"machine":{"kernel":%s,"gpus":%s,"gpuName":%s,"driver":%s,"pytorch":%s,"fp32PeakTflops":%s,"java":%s},' \
        "$(json_str "$(uname -srm)")" "$(json_str "$gpu_facts")" "$(json_str "$gpu_name")" "$(json_str "$driver")" \
        "$torch_facts" "${peak:-null}" "$(json_str "$("$JAVA" -version 2>&1 | head -1)")"
    printf '"tests":%s,' "$tests_json"
    printf '"bench":{%s}}\n' "$bench_json"
} > "$RESULTS/gpu-check.json"
say "status: $status ($(elapsed)s); summary in $RESULTS/gpu-check.json"
for p in "${problems[@]}"; do say "  - $p"; done
case "$status" in passed) exit 0 ;; failed) exit 1 ;; *) exit 2 ;; esac
