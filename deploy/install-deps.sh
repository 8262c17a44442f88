#!/usr/bin/env bash
# Installs everything emsgw needs from Debian 12 packages. Idempotent: packages already present are
# left alone, and a second run only re-reads the package lists.
#
#   deploy/install-deps.sh          build and run dependencies
#   deploy/install-deps.sh --test   plus what the test suite starts for real (mosquitto, influxd,
#                                   socat, chromium, node/npm, wrk for the web load bench)
set -euo pipefail

want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

build_pkgs=(
  build-essential cmake pkg-config git
  libmodbus-dev libpaho-mqttpp-dev libpaho-mqtt-dev libsqlite3-dev libcpp-httplib-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libsodium-dev libsystemd-dev
  clang-format lld
)
test_pkgs=(mosquitto influxdb socat chromium iproute2 procps wrk)
# The browser tests drive Chromium with playwright-core from npm; Debian's nodejs/npm are only
# installed where no Node.js is present (an existing node/npm conflicts with Debian's npm).
command -v npm >/dev/null || test_pkgs+=(nodejs npm)

pkgs=("${build_pkgs[@]}")
[ "$want_test" = 1 ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" = 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Debian's influxdb and mosquitto packages enable system services; the tests start their own
# instances on ephemeral ports, so the system copies are not needed (and must not hold the ports).
if [ "$want_test" = 1 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  "${sudo_cmd[@]}" systemctl disable --now mosquitto influxdb >/dev/null 2>&1 || true
fi
echo "install-deps: done"
