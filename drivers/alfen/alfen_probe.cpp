#include "drivers/alfen/alfen_probe.hpp"

#include <cstdio>
#include <optional>
#include <sstream>
#include <string>

#include "drivers/alfen/alfen_registers.hpp"
#include "drivers/alfen/alfen_station.hpp"
#include "drivers/modbus/libmodbus_transport.hpp"

namespace emsgw::drivers::alfen {

namespace {

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
      if (e.exception_code == kIllegalFunction)
        return "exception 1: data source not set to Energy Management System, or the Active Load Balancing "
               "licence is missing";
      if (e.exception_code == kIllegalDataValue)
        return "exception 3: the station refused the value (on 1215: phase switching not allowed - tick \"Allow 1- "
               "and 3-phased charging\")";
      if (e.exception_code == kIllegalDataAddress || e.exception_code == kGatewayTargetFailed)
        return "the station does not know this register or unit: check the socket count and firmware";
      return "the station answered with an exception";
    case ModbusErrorKind::BadReply: return "garbled reply: another device may answer on this address";
    case ModbusErrorKind::InvalidRequest: return "internal: the request could not be encoded";
  }
  return "";
}

}  // namespace

bool probe_station(const ProbeRequest& o, const ems::Clock& clock, std::ostream& out) {
  LibmodbusTcpTransport transport(o.link);
  AlfenStation station(transport, clock, {.sockets = 0, .read_scn = true, .read_measurements = true});
  out << "Station " << transport.endpoint() << "\n";

  const auto id = station.identify();
  if (!id) {
    out << "  error: " << id.error().describe() << "\n  hint: " << hint(id.error()) << "\n";
    return false;
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
        << (s.mode3 ? std::string(to_string(*s.mode3)) + " - " + std::string(describe(*s.mode3))
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
  return !failed;
}

}  // namespace emsgw::drivers::alfen
