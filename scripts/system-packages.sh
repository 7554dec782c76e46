#!/usr/bin/env bash
# The Debian packages the app and its test suite need, in one place.
#
#   scripts/system-packages.sh --check      install nothing; exit 1 naming each missing package and
#                                           the one command that installs them
#   scripts/system-packages.sh --install    install the missing ones with apt (root only; otherwise
#                                           the same as --check)
#   add --app to either to consider only what the running app needs (no browser, no PDF rasteriser)
#
# The browser tests drive Debian's Chromium at /usr/bin/chromium; a browser build of Playwright's
# own is never downloaded.
set -euo pipefail

# WeasyPrint (the weekly report's PDF) needs Pango, HarfBuzz's subsetter and a font.
APP_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
# The suite also renders pages in Chromium and report PDFs with pdftoppm.
TEST_PACKAGES=(chromium poppler-utils)

mode=check
scope=test
for arg in "$@"; do
  case "$arg" in
    --check) mode=check ;;
    --install) mode=install ;;
    --app) scope=app ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "system-packages: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

wanted=("${APP_PACKAGES[@]}")
[ "$scope" = test ] && wanted+=("${TEST_PACKAGES[@]}")

missing_packages() {
  local pkg
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || echo "$pkg"
  done
}

mapfile -t missing < <(missing_packages)
[ ${#missing[@]} -eq 0 ] && exit 0

command_line="apt-get update && apt-get install -y ${missing[*]}"
if [ "$mode" = install ] && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/tmp/system-packages-apt.log 2>&1; then
    echo "system-packages: apt could not install ${missing[*]} (log: /tmp/system-packages-apt.log)" >&2
    exit 1
  fi
  mapfile -t missing < <(missing_packages)
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "system-packages: still missing after apt: ${missing[*]}" >&2
  exit 1
fi

echo "Missing Debian packages: ${missing[*]}." >&2
echo "Install them (as root) with:  $command_line" >&2
exit 1
