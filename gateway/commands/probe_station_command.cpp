// `emsgw probe-station HOST[:PORT] [--kind alfen]`: read a station once and explain what it reports,
// with a hint for each usual commissioning failure — the probe of the station's kind in the device
// registry (Alfen: drivers/alfen/alfen_probe.hpp).

#include <iostream>
#include <optional>
#include <string>

#include "drivers/system_clock.hpp"
#include "gateway/commands/commands.hpp"
#include "gateway/devices/device_kinds.hpp"

namespace emsgw::gateway {

namespace {

struct Target {
  std::string host;
  int port = 502;
};

std::optional<Target> parse_target(const std::string& s, int default_port) {
  Target t;
  t.port = default_port;
  // "[v6]:port", "host:port", "host"
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string::npos) return std::nullopt;
    t.host = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':') return std::nullopt;
      try {
        t.port = std::stoi(s.substr(close + 2));
      } catch (...) {
        return std::nullopt;
      }
    }
  } else if (const auto colon = s.rfind(':'); colon != std::string::npos && s.find(':') == colon) {
    t.host = s.substr(0, colon);
    try {
      std::size_t used = 0;
      t.port = std::stoi(s.substr(colon + 1), &used);
      if (used != s.size() - colon - 1) return std::nullopt;
    } catch (...) {
      return std::nullopt;
    }
  } else {
    t.host = s;
  }
  if (t.host.empty() || t.port < 1 || t.port > 65535) return std::nullopt;
  return t;
}

struct ProbeOptions {
  std::string target;
  std::string kind = "alfen";
  int timeout_ms = 2000;
  double test_write_a = -1;  ///< < 0: no write test
  int test_phases = 0;       ///< 0: no phase test
};

int probe(const ProbeOptions& o) {
  const auto* kind = find_charger_kind(o.kind);
  if (kind == nullptr || !kind->probe) {
    std::cerr << "emsgw probe-station: --kind must be one of: " << charger_kind_names() << "\n";
    return kExitUsage;
  }
  const auto target = parse_target(o.target, kind->default_port);
  if (!target) {
    std::cerr << "emsgw probe-station: '" << o.target << "' is not HOST[:PORT]\n";
    return kExitUsage;
  }
  ChargerProbe request;
  request.host = target->host;
  request.port = target->port;
  request.timeout_ms = o.timeout_ms;
  request.test_write_a = o.test_write_a;
  request.test_phases = o.test_phases;
  drivers::SystemClock clock;
  return kind->probe(request, clock, std::cout) ? kExitOk : kExitFailure;
}

}  // namespace
void add_probe_station_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("probe-station", "Read a charging station once and explain what it reports (commissioning)");
  static ProbeOptions options;
  cmd->add_option("HOST[:PORT]", options.target, "Station address; port 502 when omitted")->required();
  cmd->add_option("--kind", options.kind, "Station kind: " + charger_kind_names())->capture_default_str();
  cmd->add_option("--timeout-ms", options.timeout_ms, "Connect and response timeout")
      ->check(CLI::Range(50, 60000))
      ->capture_default_str();
  cmd->add_option("--test-write", options.test_write_a,
                  "Also write this set-point (A) to every socket and report whether the station takes it")
      ->check(CLI::Range(0.0, 80.0));
  cmd->add_option("--test-phases", options.test_phases, "Also write 1 or 3 to 1215 on every socket")
      ->check(CLI::IsMember({1, 3}));
  cmd->callback([] {
    const int code = probe(options);
    if (code != kExitOk) throw CommandExit{code};
  });
}

}  // namespace emsgw::gateway
