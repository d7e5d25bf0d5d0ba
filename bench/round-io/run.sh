#!/bin/bash
# A real local run on `small` to time rounds and count the bytes the node and its trainer write (docs/benchmarks.md,
# "Node: commit frames instead of the parameters file"). A coordinator (run.toml here) and one node, as separate
# processes; /proc/<pid>/io is sampled every second.
#
# usage: bench/round-io/run.sh TREE LABEL ROUNDS      (then: python3 bench/round-io/analyze.py OUT/LABEL)
#   TREE: a checkout built with
#     ./mvnw -B -q -o -pl coordinator -am package -DskipTests dependency:build-classpath \
#         -Dmdep.outputFile=$PWD/cp.txt -Dmdep.includeScope=runtime
#   OUT (environment, default /tmp/round-io): where each run's logs and data go
set -euo pipefail
TREE=$1; LABEL=$2; ROUNDS=$3
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT=${OUT:-/tmp/round-io}
J=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
OPTS="--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xss4m"
CP="$TREE/coordinator/target/hearth-coordinator-0.1.0-SNAPSHOT.jar:$(cat "$TREE/cp.txt")"
W=$OUT/$LABEL; rm -rf "$W"; mkdir -p "$W"
sed "s|RUNDIR|$W/run|" "$HERE/run.toml" > "$W/run.toml"
export OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE
$J $OPTS -cp "$CP" dev.hearth.coordinator.CoordinatorMain --config "$W/run.toml" > "$W/coord.log" 2>&1 &
CPID=$!
ADDR=""
for _ in $(seq 1 120); do ADDR=$(grep -o 'hearth://[^ ]*' "$W/coord.log" | head -1 || true); [ -n "$ADDR" ] && break; sleep 1; done
echo "coordinator at $ADDR"
$J $OPTS -cp "$CP" dev.hearth.node.cli.NodeMain --coordinator "$ADDR" --data-dir "$W/node" --always --device cpu \
    --rounds "$ROUNDS" > "$W/node.log" 2>&1 &
NPID=$!
( while kill -0 $NPID 2>/dev/null; do
    for p in $NPID $(pgrep -P $NPID || true); do
      role=trainer; [ "$p" = "$NPID" ] && role=node
      echo "$(date +%s.%N) $p $(awk '/^write_bytes/{print $2}' /proc/$p/io 2>/dev/null || echo 0) $role"
    done
    sleep 1
  done ) > "$W/io.log" &
wait $NPID || true
kill $CPID
echo "done: $W"
