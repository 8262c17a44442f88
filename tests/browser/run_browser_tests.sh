#!/usr/bin/env bash
# Runs one of the dashboard's end-to-end tests in headless Chromium (CTest: webui.browser_*).
# Argument: the test script in this directory (default dashboard.test.mjs).
# Exit 77 (CTest "skipped") only when chromium or node is missing; any other problem fails.
#   EMSGW_HARNESS      path of the runtime_harness executable (required)
#   EMSGW_SCREENSHOTS  directory for the screenshots (required)
set -u
here=$(cd "$(dirname "$0")" && pwd)
chromium=${EMSGW_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then echo "SKIPPED: $chromium not found (install Debian's chromium: deploy/install-deps.sh --test)"; exit 77; fi
if ! command -v node >/dev/null; then echo "SKIPPED: node not found (install nodejs: deploy/install-deps.sh --test)"; exit 77; fi
: "${EMSGW_HARNESS:?EMSGW_HARNESS must name the runtime_harness executable}"
: "${EMSGW_SCREENSHOTS:?EMSGW_SCREENSHOTS must name a directory}"
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "installing playwright-core (npm ci in tests/browser; no browser download)"
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent) ||
    { echo "FAILED: npm ci in tests/browser did not install playwright-core"; exit 1; }
fi
mkdir -p "$EMSGW_SCREENSHOTS"
export EMSGW_CHROMIUM="$chromium"
exec node "$here/${1:-dashboard.test.mjs}"
