#!/usr/bin/env bash
# Architecture rules of design.md §1, checked on the source text (the link graph checks the rest):
#   ems/       includes only ems/ and standard C++ headers; never reads a clock.
#   drivers/, mqtt/, webui/   include only ems/ and their own folder (plus third-party headers).
#   gateway/   may include everything.
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

[ "$fail" = 0 ] && echo "layering: ok"
exit "$fail"
