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
rm "$tmp/mqtt/cross.cpp"
# Concrete drivers: only in the composition (gateway/runtime/) and the device factories (gateway/devices/).
mkdir -p "$tmp/gateway/control" "$tmp/gateway/runtime" "$tmp/gateway/devices" "$tmp/gateway/commands" "$tmp/gateway/config"
printf '#include "drivers/charger/station_device.hpp"\n#include "drivers/meters/meter_reading.hpp"\n#include "ems/allocator.hpp"\n' \
  > "$tmp/gateway/control/loop.cpp"
printf '#include "drivers/alfen/alfen_station_device.hpp"\n' > "$tmp/gateway/runtime/runtime.cpp"
printf '#include "drivers/dsmr/p1_meter.hpp"\n#include "drivers/alfen/sim/alfen_station_sim.hpp"\n' > "$tmp/gateway/devices/kinds.cpp"
printf '#include "drivers/meters/meter_presets.hpp"\n#include "drivers/system_clock.hpp"\n' > "$tmp/gateway/commands/probe.cpp"
"$here/check_layers.sh" "$tmp" >/dev/null || { echo "selftest: interfaces or composition including drivers were refused"; exit 1; }
printf '#include "drivers/alfen/alfen_station.hpp"\n' > "$tmp/gateway/control/concrete.cpp"
"$here/check_layers.sh" "$tmp" >/dev/null && { echo "selftest: gateway/control/ including a concrete driver not caught"; exit 1; }
rm "$tmp/gateway/control/concrete.cpp"
printf '#include "drivers/modbus/libmodbus_transport.hpp"\n' > "$tmp/gateway/control/transport.cpp"
"$here/check_layers.sh" "$tmp" >/dev/null && { echo "selftest: gateway/control/ including a Modbus transport not caught"; exit 1; }
rm "$tmp/gateway/control/transport.cpp"
printf '#include "drivers/dsmr/p1_meter.hpp"\n' > "$tmp/gateway/commands/p1.cpp"
"$here/check_layers.sh" "$tmp" >/dev/null && { echo "selftest: gateway/commands/ including a concrete driver not caught"; exit 1; }
rm "$tmp/gateway/commands/p1.cpp"
printf '#include "drivers/meters/modbus_meter.hpp"\n' > "$tmp/gateway/config/meter.cpp"
"$here/check_layers.sh" "$tmp" >/dev/null && { echo "selftest: gateway/config/ including the Modbus meter driver not caught"; exit 1; }
echo "selftest: ok"
