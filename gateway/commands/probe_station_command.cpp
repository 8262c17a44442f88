// `emsgw probe-station HOST[:PORT]`: read an Alfen station once and explain what it reports, with a
// hint for each usual commissioning failure (alfen-modbus.md §4.1, §5).

#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "drivers/alfen/alfen_registers.hpp"
#include "drivers/alfen/alfen_station.hpp"
#include "drivers/modbus/libmodbus_transport.hpp"
#include "gateway/commands/commands.hpp"

namespace emsgw::gateway {

namespace {

namespace alfen = drivers::alfen;
using drivers::ModbusError;
using drivers::ModbusErrorKind;

class WallClock final : public ems::Clock {
 public:
  [[nodiscard]] ems::MonoTime mono_now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] ems::WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

std::string amps(const std::optional<double>& v) {
  if (!v) return "n/a";
  char b[32];
  std::snprintf(b, sizeof b, "%.1f A", *v);
  return b;
}

std::string number(const std::optional<double>& v, const char* unit, int decimals = 0) {
  if (!v) return "n/a";
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(decimals);
  o << *v << unit;
  return o.str();
}

/// The installer's hint for a transport error (alfen-modbus.md §4.1, §5).
std::string hint(const ModbusError& e) {
  switch (e.kind) {
    case ModbusErrorKind::NotConnected:
    case ModbusErrorKind::Timeout:
      return "no answer: check the address and port, and that the Modbus TCP slave is enabled on the station "
             "(ACE Service Installer: Active Load Balancing, data source Energy Management System, TCP/IP EMS)";
    case ModbusErrorKind::ConnectionLost:
      return "the station closed the connection: a second master (evcc, Home Assistant, another emsgw) may be "
             "holding it - the station accepts at most two";
    case ModbusErrorKind::Exception:
      if (e.exception_code == drivers::kIllegalFunction)
        return "exception 1: data source not set to Energy Management System, or the Active Load Balancing "
               "licence is missing";
      if (e.exception_code == drivers::kIllegalDataValue)
        return "exception 3: the station refused the value (on 1215: phase switching not allowed - tick \"Allow 1- "
               "and 3-phased charging\")";
      if (e.exception_code == drivers::kIllegalDataAddress || e.exception_code == drivers::kGatewayTargetFailed)
        return "the station does not know this register or unit: check the socket count and firmware";
      return "the station answered with an exception";
    case ModbusErrorKind::BadReply: return "garbled reply: another device may answer on this address";
    case ModbusErrorKind::InvalidRequest: return "internal: the request could not be encoded";
  }
  return "";
}

struct Target {
  std::string host;
  int port = alfen::kDefaultPort;
};

std::optional<Target> parse_target(const std::string& s) {
  Target t;
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
  int timeout_ms = 2000;
  double test_write_a = -1;  ///< < 0: no write test
  int test_phases = 0;       ///< 0: no phase test
};

int probe(const ProbeOptions& o) {
  const auto target = parse_target(o.target);
  if (!target) {
    std::cerr << "emsgw probe-station: '" << o.target << "' is not HOST[:PORT]\n";
    return kExitUsage;
  }
  drivers::TcpLink link;
  link.host = target->host;
  link.port = target->port;
  link.timing.connect_timeout_ms = o.timeout_ms;
  link.timing.response_timeout_ms = o.timeout_ms;
  drivers::LibmodbusTcpTransport transport(link);
  WallClock clock;
  alfen::AlfenStation station(transport, clock, {.sockets = 0, .read_scn = true, .read_measurements = true});
  std::ostream& out = std::cout;
  out << "Station " << transport.endpoint() << "\n";

  const auto id = station.identify();
  if (!id) {
    out << "  error: " << id.error().describe() << "\n  hint: " << hint(id.error()) << "\n";
    return kExitFailure;
  }
  out << "  Name:          " << id->name << "\n"
      << "  Manufacturer:  " << id->manufacturer << "\n"
      << "  Platform:      " << id->platform << "   serial " << id->serial << "\n"
      << "  Firmware:      " << id->firmware << "   (Modbus table version " << id->table_version << ")\n";
  if (id->uptime_ms) out << "  Uptime:        " << *id->uptime_ms / 1000 << " s\n";

  const auto r = station.poll();
  out << "  Sockets:       " << (r.sockets ? std::to_string(*r.sockets) : std::string("n/a"))
      << (r.sockets == 2   ? " (Double)"
          : r.sockets == 1 ? " (Single)"
                           : "")
      << "\n"
      << "  Station max:   " << amps(r.station_max_a) << "   board temperature " << number(r.temperature_c, " C", 1)
      << "\n";
  if (r.scn) {
    out << "  SCN:           " << (r.scn->name.empty() ? std::string("none") : r.scn->name)
        << (r.scn->enabled.value_or(false) ? ", Modbus SCN max current enabled" : "") << "\n";
  }
  bool failed = !r.ok;
  for (const auto& s : r.socket) {
    out << "Socket " << s.socket << " (unit " << s.socket << ")\n";
    if (!s.ok && s.transport_error) {
      out << "  error: " << s.error << "\n  hint: " << hint(*s.transport_error) << "\n";
      continue;
    }
    out << "  Mode 3 state:            "
        << (s.mode3 ? std::string(alfen::to_string(*s.mode3)) + " - " + std::string(alfen::describe(*s.mode3))
                    : "unknown ('" + s.mode3_raw + "')")
        << "\n";
    out << "  Currents:                L1 " << amps(s.current_a[0]) << ", L2 " << amps(s.current_a[1]) << ", L3 "
        << amps(s.current_a[2]) << "   power " << number(s.power_w, " W") << "   energy "
        << number(s.energy_wh ? std::optional<double>(*s.energy_wh / 1000) : std::nullopt, " kWh", 2) << "\n";
    out << "  Applied limit (1206):    " << amps(s.applied_max_a) << "\n";
    out << "  EMS set-point (1210):    " << amps(s.setpoint_a) << "\n";
    out << "  Remaining validity (1208): " << number(s.remaining_validity_s, " s");
    if (s.remaining_validity_s && *s.remaining_validity_s <= 0)
      out << " - no fresh EMS set-point: the socket runs on its safe current";
    out << "\n";
    out << "  Safe current (1212):     " << amps(s.safe_current_a) << "\n";
    out << "  Accounted for (1214):    "
        << (s.accounted_for ? (*s.accounted_for ? "yes" : "no (no EMS set-point in use)") : "n/a") << "\n";
    out << "  Phases (1215):           " << (s.phases ? std::to_string(*s.phases) : std::string("n/a"))
        << " (read-back not reliable on some firmware)\n";
  }
  if (r.error) {
    out << "error: " << r.error->describe() << "\n  hint: " << hint(*r.error) << "\n";
    failed = true;
  }
  for (const auto& why : r.rejected) out << "rejected: " << why << "\n";
  for (const auto& s : r.socket)
    for (const auto& why : s.rejected) out << "rejected: " << why << "\n";

  if (o.test_write_a >= 0) {
    for (const auto& s : r.socket) {
      const auto c = station.write_setpoint(s.socket, o.test_write_a);
      out << "Write test socket " << s.socket << ": " << amps(o.test_write_a) << " at 1210 -> "
          << (c.accepted ? "accepted" : "NOT accepted") << (c.reason.empty() ? "" : " (" + c.reason + ")")
          << ", remaining validity " << number(c.remaining_validity_s, " s") << ", applied " << amps(c.applied_a)
          << "\n";
      if (c.error) out << "  hint: " << hint(*c.error) << "\n";
      if (!c.accepted) failed = true;
    }
  }
  if (o.test_phases == 1 || o.test_phases == 3) {
    for (const auto& s : r.socket) {
      const auto w = station.write_phases(s.socket, o.test_phases);
      out << "Phase test socket " << s.socket << ": " << o.test_phases << " at 1215 -> "
          << (w ? std::string("accepted") : "refused: " + w.error().describe()) << "\n";
      if (!w) {
        out << "  hint: " << hint(w.error()) << "\n";
        failed = true;
      }
    }
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

void add_probe_station_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("probe-station", "Read an Alfen station once and explain what it reports (commissioning)");
  static ProbeOptions options;
  cmd->add_option("HOST[:PORT]", options.target, "Station address; port 502 when omitted")->required();
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
