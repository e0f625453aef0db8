#!/usr/bin/env bash
# Makes the README's screenshots of the web view (docs/img/ui-*.png) with Debian's chromium:
# examples/shop as a real lab (root) with `podnet ui` on it and real traffic (`podnet matrix`) for
# the flows view, and an `analyze -o html` report opened from a file. Run after `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
podnet() { node dist/cli/main.js "$@"; }
if [ "$(id -u)" -ne 0 ]; then echo "screenshots: run as root (the flows view needs a real lab)" >&2; exit 2; fi
out=docs/img
mkdir -p "$out"
lab=uishots
work=$(mktemp -d)
ui_pid=
cleanup() {
  if [ -n "$ui_pid" ]; then kill "$ui_pid" 2>/dev/null || true; fi
  podnet down --name "$lab" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
podnet down --name "$lab" >/dev/null 2>&1 || true
podnet up --name "$lab" --dns-upstream none -f examples/shop >/dev/null
podnet wait pods --all -A --for condition=Ready --timeout 60s --name "$lab" >/dev/null
# node directly, not the podnet function: $! must be the server itself.
node dist/cli/main.js ui --name "$lab" >"$work/ui.out" &
ui_pid=$!
for _ in $(seq 50); do grep -q 'http://' "$work/ui.out" && break; sleep 0.2; done
url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/ui.out")
# Real connections, allowed and denied, for the flows view.
podnet matrix --name "$lab" --port 8080 >/dev/null || true
podnet analyze -f examples/shop --port 8080 -o html >"$work/report.html"
node scripts/screenshots.mjs "$url" "$work/report.html" "$out"
ls -l "$out"/ui-*.png
