#!/usr/bin/env bash
# Captures every screen of the desktop app into assets/screenshots/<screen>.png.
#
#   desktop-app/src/test/screenshots.sh            the real app (needs the node on the classpath), under Xvfb
#   desktop-app/src/test/screenshots.sh --fake     the test-scope harness on FakeNodeService (layout checks only)
#
# The app's own --screenshot-tour DIR option does the work: it shows the first start and each screen, lets the
# charts gather points, snapshots the scene (scene.snapshot, so no window manager is needed) and exits.
# Extra arguments go to the app, e.g. --data-dir /tmp/hearth-shots for a fresh first start.
# Needs: Xvfb (apt-get install -y xvfb), a JDK 25 in JAVA_HOME, and a build (./mvnw -pl desktop-app -am package).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
OUT="${SCREENSHOT_DIR:-$ROOT/assets/screenshots}"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
DISPLAY_NUM="${SCREENSHOT_DISPLAY:-:91}"
MAIN=dev.hearth.desktop.Launcher
CLASSES="$ROOT/desktop-app/target/classes"
if [[ "${1:-}" == "--fake" ]]; then
  shift
  MAIN=dev.hearth.desktop.ScreenshotHarness
  (cd "$ROOT" && ./mvnw -B -o -q -pl desktop-app -am test-compile dependency:build-classpath \
      -Dmdep.outputFile=target/test.classpath -Dmdep.includeScope=test)
  CP="$CLASSES:$ROOT/desktop-app/target/test-classes:$(cat "$ROOT/desktop-app/target/test.classpath")"
else
  [[ -f "$ROOT/desktop-app/target/hearth.classpath" ]] || (cd "$ROOT" && ./mvnw -B -o -q -pl desktop-app -am package -DskipTests)
  CP="$CLASSES:$(cat "$ROOT/desktop-app/target/hearth.classpath")"
fi

Xvfb "$DISPLAY_NUM" -screen 0 1280x860x24 >/dev/null 2>&1 &
XVFB=$!
trap 'kill $XVFB 2>/dev/null || true' EXIT
sleep 1
mkdir -p "$OUT"
DISPLAY="$DISPLAY_NUM" timeout 300 "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$CP" "$MAIN" \
    --screenshot-tour "$OUT" "$@"
ls -l "$OUT"
