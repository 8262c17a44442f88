#!/usr/bin/env bash
# The layering lint must fail on a tree that breaks the rules (a lint that never fails proves nothing).
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ems" "$tmp/mqtt"
printf '#include <vector>\n#include "ems/x.hpp"\n' > "$tmp/ems/ok.cpp"
"$here/check_layers.sh" "$tmp" >/dev/null || { echo "selftest: a clean tree was refused"; exit 1; }
printf '#include <modbus/modbus.h>\n' > "$tmp/ems/bad_include.cpp"
"$here/check_layers.sh" "$tmp" >/dev/null && { echo "selftest: third-party include in ems/ not caught"; exit 1; }
rm "$tmp/ems/bad_include.cpp"
printf 'auto t = std::chrono::system_clock::now();\n' > "$tmp/ems/clock.cpp"
"$here/check_layers.sh" "$tmp" >/dev/null && { echo "selftest: clock read in ems/ not caught"; exit 1; }
rm "$tmp/ems/clock.cpp"
printf '#include "webui/server.hpp"\n' > "$tmp/mqtt/cross.cpp"
"$here/check_layers.sh" "$tmp" >/dev/null && { echo "selftest: mqtt/ including webui/ not caught"; exit 1; }
echo "selftest: ok"
