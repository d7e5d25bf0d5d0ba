#!/usr/bin/env bash
# Smoke test of Hearth's Linux installer: install the .deb on this machine, train one real round with the
# installed `hearth-node` (a local coordinator on loopback, the trainer in a child JVM of the installed runtime),
# check the desktop integration, uninstall, check nothing is left.
#
# It installs into the machine (dpkg -i) — meant for a throwaway CI machine, run as root. Without root or dpkg it
# says SKIP and exits 0, so CI can call it unconditionally. It refuses to touch an already installed hearth.
#
# Usage: installers/smoke-test.sh [--deb FILE] [--build]
#   --deb FILE  test this .deb (default: installers/target/dist/hearth_*_amd64.deb, built if missing)
#   --build     build the .deb first even if one exists (./mvnw -Pinstallers -pl installers -am package -DskipTests)
# Environment: HEARTH_SMOKE_BUILD_TIMEOUT (s, default 1800), HEARTH_SMOKE_RUN_TIMEOUT (s, default 300),
#              HEARTH_SMOKE_UI_TIMEOUT (s, default 240; the desktop app runs only where xvfb-run exists).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The build on 2 shared cores: ~2 min for the reactor, ~1 min jlink + app-image, ~1-10 min for the .deb (compressor).
BUILD_TIMEOUT="${HEARTH_SMOKE_BUILD_TIMEOUT:-1800}"
# One round of the nano model on 2 cores takes under a minute; starting the JVMs and unpacking OpenBLAS
# (~40 MB into a fresh ~/.javacpp/cache) adds about as much again.
RUN_TIMEOUT="${HEARTH_SMOKE_RUN_TIMEOUT:-300}"
# The screenshot tour (a local run in-process, six screens) takes 35–95 s on 2 busy cores.
UI_TIMEOUT="${HEARTH_SMOKE_UI_TIMEOUT:-240}"
PACKAGE=hearth
APP=/opt/hearth

say() { echo "smoke-test: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

deb=""
build=no
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) [ $# -ge 2 ] || fail "--deb needs a file"; deb="$2"; shift 2 ;;
    --build) build=yes; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown option $1 (see --help)" ;;
  esac
done

if [ "$(id -u)" != 0 ]; then say "SKIP: needs root (it installs the .deb into this machine)"; exit 0; fi
for tool in dpkg dpkg-deb timeout; do
  command -v "$tool" >/dev/null 2>&1 || { say "SKIP: $tool not found"; exit 0; }
done
if dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null | grep -q "install ok installed"; then
  fail "a $PACKAGE package is already installed here; remove it first (dpkg -r $PACKAGE), this test will not touch it"
fi

work="$(mktemp -d -t hearth-smoke.XXXXXX)"
installed=no
cleanup() {
  local rc=$?
  if [ "$installed" = yes ]; then
    say "cleanup: removing the package"
    dpkg -P "$PACKAGE" >/dev/null 2>&1 || say "cleanup: dpkg -P $PACKAGE failed"
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the .deb -----------------------------------------------------------------------------------------------
if [ -z "$deb" ]; then
  deb="$(ls -t "$ROOT"/installers/target/dist/hearth_*_amd64.deb 2>/dev/null | head -1 || true)"
  if [ "$build" = yes ] || [ -z "$deb" ]; then
    say "building the .deb (timeout ${BUILD_TIMEOUT}s)"
    start=$SECONDS
    # A fast gzip: the jars are already deflated (installers/build.xml, "compressor").
    (cd "$ROOT" && DPKG_DEB_COMPRESSOR_TYPE="${DPKG_DEB_COMPRESSOR_TYPE:-gzip}" \
      DPKG_DEB_COMPRESSOR_LEVEL="${DPKG_DEB_COMPRESSOR_LEVEL:-1}" \
      timeout "$BUILD_TIMEOUT" ./mvnw -B -q -Pinstallers -pl installers -am package -DskipTests) \
      || fail "the installer build failed or timed out"
    say "built in $((SECONDS - start)) s"
    deb="$(ls -t "$ROOT"/installers/target/dist/hearth_*_amd64.deb | head -1)"
  fi
fi
[ -f "$deb" ] || fail "no .deb at $deb"
say "package $deb ($(du -m "$deb" | cut -f1) MB)"

# --- install ------------------------------------------------------------------------------------------------
start=$SECONDS
if ! dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then
  installed=yes  # half-installed: cleanup removes it
  cat "$work/dpkg.log" >&2
  fail "dpkg -i failed (missing dependencies? the list is in the log above)"
fi
installed=yes
say "installed in $((SECONDS - start)) s, $(du -sm "$APP" | cut -f1) MB in $APP"

for f in "$APP/bin/hearth" "$APP/bin/hearth-node" "$APP/lib/runtime/bin/java" /usr/bin/hearth /usr/bin/hearth-node \
         /usr/share/applications/hearth.desktop /usr/share/icons/hicolor/256x256/apps/hearth.png; do
  [ -e "$f" ] || fail "$f is missing after install"
done
grep -q '^MimeType=.*x-scheme-handler/hearth;' /usr/share/applications/hearth.desktop \
  || fail "hearth.desktop does not declare the hearth:// handler"
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate /usr/share/applications/hearth.desktop || fail "hearth.desktop is not valid"
fi
# Only this OS's natives (installers/build.xml, trim-natives): one sqlite-jdbc platform, one OpenBLAS JNI wrapper.
JAR_TOOL="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/jar" # the build's JDK (unzip may be missing)
SQLITE_NATIVES=$("$JAR_TOOL" tf "$APP"/lib/app/sqlite-jdbc-*.jar | grep -c '^org/sqlite/native/.*[^/]$' || true)
[ "$SQLITE_NATIVES" = 1 ] || fail "sqlite-jdbc carries $SQLITE_NATIVES native libraries, expected Linux/x86_64's only"
"$JAR_TOOL" tf "$APP"/lib/app/openblas-*-linux-x86_64.jar | grep -q 'libjniopenblas_full' \
  && fail "the OpenBLAS jar still carries the LAPACK wrappers"
# No benchmark or research code (the bench module, issue 15): no hearth-bench jar, no class of a bench package.
ls "$APP"/lib/app/hearth-bench-*.jar >/dev/null 2>&1 && fail "the package carries the bench module's jar"
for jar in "$APP"/lib/app/hearth-*.jar; do
  bench_classes=$("$JAR_TOOL" tf "$jar" | grep -cE '^dev/hearth/(.+/)?bench/.+\.class$' || true)
  [ "$bench_classes" = 0 ] || fail "$(basename "$jar") carries $bench_classes classes of a bench package"
done

# The desktop launcher: --help prints the usage without opening a window.
timeout 60 "$APP/bin/hearth" --help >"$work/help.txt" 2>&1 || { cat "$work/help.txt" >&2; fail "hearth --help failed"; }
grep -q -- '--data-dir' "$work/help.txt" || fail "hearth --help did not print the usage"

# --- the desktop app, headless: every screen once, under Xvfb -------------------------------------------------
if command -v xvfb-run >/dev/null 2>&1; then
  mkdir -p "$work/ui-home" "$work/ui-data" "$work/shots"
  say "desktop app under Xvfb: hearth --screenshot-tour (timeout ${UI_TIMEOUT}s)"
  start=$SECONDS
  # user.home, not HOME: Java takes it from the password database. A fresh one keeps JavaFX's cache in $work.
  # The inner timeout stops the app itself (so no JVM outlives a failure); the outer one guards xvfb-run and Xvfb.
  JAVA_TOOL_OPTIONS="-Duser.home=$work/ui-home" timeout --kill-after=10 "$((UI_TIMEOUT + 30))" xvfb-run -a \
    timeout --kill-after=10 "$UI_TIMEOUT" /usr/bin/hearth --data-dir "$work/ui-data" --screenshot-tour "$work/shots" \
    >"$work/ui.log" 2>&1 \
    || { tail -30 "$work/ui.log" >&2; fail "the desktop app failed under Xvfb"; }
  [ -s "$work/shots/dashboard.png" ] || { tail -30 "$work/ui.log" >&2; fail "the desktop app saved no dashboard screenshot"; }
  say "desktop app showed $(ls "$work/shots" | wc -l) screens and quit in $((SECONDS - start))s"
else
  say "no xvfb-run: desktop app not started (only hearth --help)"
fi

# --- one real round from the installed image --------------------------------------------------------------
# As an ordinary user when the machine has `nobody` (an installed app must not need root to read its own files),
# with a fresh home (user.home: Java reads it from the password database, where nobody's is /nonexistent): OpenBLAS's
# natives must unpack from the installed jars into a new ~/.javacpp/cache.
mkdir -p "$work/home" "$work/data"
as_user=()
runner=root
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
  chmod 755 "$work"
  chown -R nobody "$work/home" "$work/data"
  as_user=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
  runner=nobody
fi
say "training one round: hearth-node --demo --rounds 1 as $runner (timeout ${RUN_TIMEOUT}s)"
start=$SECONDS
set +e
HOME="$work/home" JAVA_TOOL_OPTIONS="-Duser.home=$work/home" timeout --kill-after=10 "$RUN_TIMEOUT" "${as_user[@]}" \
  /usr/bin/hearth-node --demo --rounds 1 --data-dir "$work/data" >"$work/node.log" 2>&1
rc=$?
set -e
took=$((SECONDS - start))
if [ $rc -ne 0 ]; then
  tail -40 "$work/node.log" >&2
  [ $rc -eq 124 ] && fail "hearth-node did not finish one round within ${RUN_TIMEOUT}s"
  fail "hearth-node exited with $rc after ${took}s"
fi
grep -q "trainer started" "$work/node.log" || { tail -40 "$work/node.log" >&2; fail "the trainer worker never started"; }
say "one round trained in ${took}s (exit 0)"

# --- uninstall ---------------------------------------------------------------------------------------------
dpkg -P "$PACKAGE" >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log" >&2; fail "dpkg -P (remove and purge) failed"; }
installed=no
for f in "$APP/bin/hearth" /usr/bin/hearth /usr/bin/hearth-node /usr/share/applications/hearth.desktop \
         /usr/share/icons/hicolor/256x256/apps/hearth.png; do
  [ ! -e "$f" ] || fail "$f is still there after dpkg -P"
done
say "PASS"
