#!/usr/bin/env bash
# Architecture rules of design.md §1, checked on the source text (the link graph checks the rest):
#   ems/       includes only ems/ and standard C++ headers; never reads a clock.
#   drivers/, mqtt/, webui/   include only ems/ and their own folder (plus third-party headers).
#   gateway/   may include everything, but concrete drivers (drivers/alfen, drivers/dsmr, drivers/tic,
#              drivers/sunspec, drivers/heatpump, drivers/modbus, the Modbus meter of drivers/meters)
#              only in the composition (gateway/runtime/) and the device factories (gateway/devices/).
#              Everything else speaks to devices through the interfaces: the charger seam
#              (drivers/charger/), the meter interface and settings (drivers/meters/meter_reading.hpp,
#              meter_settings.hpp, meter_presets.hpp), register value types (drivers/modbus/register_codec.hpp).
#              Simulators (drivers/*/sim/) and drivers/system_clock.hpp are not device drivers.
#   gateway/control/   includes ems/, the charger seam and the meter interface, never a concrete driver.
set -u
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2
fail=0
report() { echo "layering: $*"; fail=1; }

# Standard headers have no extension and no slash (<vector>, <chrono>); anything else is third party.
while IFS=: read -r file line text; do
  inc=$(sed -E 's/.*#include *[<"]([^>"]+)[>"].*/\1/' <<<"$text")
  case "$text" in
    *'#include "'*) [[ "$inc" == ems/* ]] || report "$file:$line: ems/ may include only ems/ headers, not \"$inc\"" ;;
    *) [[ "$inc" != */* && "$inc" != *.* ]] || report "$file:$line: ems/ may include only standard headers, not <$inc>" ;;
  esac
done < <(grep -rnE '^\s*#\s*include' ems --include='*.hpp' --include='*.cpp' || true)

grep -rnE '(steady_clock|system_clock|high_resolution_clock)::now\(|[^a-z_]time\(nullptr\)|gettimeofday|clock_gettime' \
  ems --include='*.hpp' --include='*.cpp' | while IFS= read -r hit; do echo "layering: $hit: ems/ must not read a clock"; done | grep . && fail=1

for layer in drivers mqtt webui; do
  [ -d "$layer" ] || continue
  while IFS=: read -r file line text; do
    inc=$(sed -E 's/.*#include *"([^"]+)".*/\1/' <<<"$text")
    case "$inc" in
      ems/*|"$layer"/*) ;;
      */*) report "$file:$line: $layer/ may include ems/ and $layer/ only, not \"$inc\"" ;;
    esac
  done < <(grep -rnE '^\s*#\s*include *"' "$layer" --include='*.hpp' --include='*.cpp' || true)
done

# A driver header that is an interface (or no device at all), not a concrete driver.
driver_interface() {
  case "$1" in
    drivers/charger/*|drivers/meters/meter_reading.hpp|drivers/meters/meter_settings.hpp) return 0 ;;
    drivers/meters/meter_presets.hpp|drivers/modbus/register_codec.hpp|drivers/system_clock.hpp) return 0 ;;
    drivers/*/sim/*) return 0 ;;
  esac
  return 1
}

if [ -d gateway ]; then
  while IFS=: read -r file line text; do
    inc=$(sed -E 's/.*#include *"([^"]+)".*/\1/' <<<"$text")
    [[ "$inc" == drivers/* ]] || continue
    driver_interface "$inc" && continue
    case "$file" in
      gateway/control/*) report "$file:$line: gateway/control/ may include the charger seam and the meter interface only, not the concrete driver \"$inc\"" ;;
      gateway/runtime/*|gateway/devices/*) ;;
      *) report "$file:$line: only gateway/runtime/ and gateway/devices/ may include a concrete driver, not \"$inc\"" ;;
    esac
  done < <(grep -rnE '^\s*#\s*include *"' gateway --include='*.hpp' --include='*.cpp' || true)
fi

[ "$fail" = 0 ] && echo "layering: ok"
exit "$fail"
