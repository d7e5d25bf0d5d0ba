#!/bin/sh
# Hearth's desktop integration on Linux, run by the package's postinst (install) and prerm (uninstall):
# the menu entry and hearth:// link handler (hearth.desktop), the icons, and `hearth` / `hearth-node` on PATH.
#
# It replaces jpackage's --linux-shortcut, whose xdg-desktop-menu call fails the whole install on a minimal system
# without /usr/share/desktop-directories (issue 7): here every directory is created as needed, the cache updates
# run only where their tools exist, and nothing in here can fail the package's installation.
#
# Usage: hearth-integration.sh install|uninstall
set -u

APP=/opt/hearth
SHARE="$APP/lib/share"
APPS=/usr/share/applications
ICONS=/usr/share/icons/hicolor
BIN=/usr/bin
SIZES="16x16 24x24 32x32 48x48 64x64 128x128 256x256 512x512"

refresh_caches() {
  if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q "$APPS" || true; fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$ICONS/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$ICONS" || true
  fi
}

# A wrapper script in /usr/bin (it once set OMP_WAIT_POLICY for ND4J's OpenMP pool; Hearth has no OpenMP now).
write_wrapper() {
  cat > "$BIN/$1" <<WRAPPER || return 0
#!/bin/sh
# Installed by the hearth package ($SHARE/hearth-integration.sh); removed with it.
exec "$APP/bin/$1" "\$@"
WRAPPER
  chmod 755 "$BIN/$1" || true
}

install() {
  mkdir -p "$APPS" "$BIN" || true
  cp "$SHARE/hearth.desktop" "$APPS/hearth.desktop" || true
  for s in $SIZES; do
    mkdir -p "$ICONS/$s/apps" && cp "$SHARE/icons/hicolor/$s/apps/hearth.png" "$ICONS/$s/apps/hearth.png" || true
  done
  mkdir -p "$ICONS/scalable/apps" && cp "$SHARE/icons/hicolor/scalable/apps/hearth.svg" "$ICONS/scalable/apps/hearth.svg" || true
  write_wrapper hearth
  write_wrapper hearth-node
  refresh_caches
}

uninstall() {
  rm -f "$APPS/hearth.desktop" "$BIN/hearth" "$BIN/hearth-node" "$ICONS/scalable/apps/hearth.svg"
  for s in $SIZES; do rm -f "$ICONS/$s/apps/hearth.png"; done
  refresh_caches
}

case "${1:-}" in
  install) install ;;
  uninstall) uninstall ;;
  *) echo "usage: $0 install|uninstall" >&2; exit 2 ;;
esac
exit 0
