#include "drivers/alfen/alfen_station.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <span>
#include <utility>

#include "drivers/alfen/alfen_registers.hpp"
#include "drivers/modbus/register_codec.hpp"

namespace emsgw::drivers::alfen {

namespace {

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool all_ones(std::span<const std::uint16_t> regs) {
  for (const auto r : regs)
    if (r != 0xFFFF) return false;
  return true;
}

/// Decodes registers of one block read, validating each value. `sink` collects rejections.
class BlockDecoder {
 public:
  BlockDecoder(const std::vector<std::uint16_t>& regs, int base, std::string prefix,
               std::function<void(std::string)> sink)
      : regs_(regs), base_(base), prefix_(std::move(prefix)), sink_(std::move(sink)) {}

  [[nodiscard]] std::optional<std::span<const std::uint16_t>> raw(const RegisterDef& d) const {
    const int off = d.address - base_;
    if (off < 0 || off + d.count > static_cast<int>(regs_.size())) return std::nullopt;
    return std::span<const std::uint16_t>(regs_).subspan(static_cast<std::size_t>(off),
                                                         static_cast<std::size_t>(d.count));
  }

  /// A number in [lo, hi]; NaN (or all-ones integers, §1 "reserved → NaN") is absent.
  std::optional<double> number(const RegisterDef& d, double lo, double hi, std::string_view unit = "") {
    const auto r = raw(d);
    if (!r) return std::nullopt;
    if (d.type != ValueType::Float32 && d.type != ValueType::Float64 && all_ones(*r)) {
      sink_(prefix_ + std::string(d.key) + ": NaN (absent)");
      return std::nullopt;
    }
    const double v = decode(*r, d.type, WordOrder::HighFirst);
    if (std::isnan(v)) {
      sink_(prefix_ + std::string(d.key) + ": NaN (absent)");
      return std::nullopt;
    }
    if (!std::isfinite(v) || v < lo || v > hi) {
      std::string why = v < lo && lo == 0 ? " is negative" : " is outside " + fmt(lo) + ".." + fmt(hi);
      if (!std::isfinite(v)) why = " is not finite";
      sink_(prefix_ + std::string(d.key) + ": " + fmt(v) + (unit.empty() ? "" : " ") + std::string(unit) + why);
      return std::nullopt;
    }
    return v == 0.0 ? 0.0 : v;  // -0.0 → 0.0
  }

  std::optional<std::string> text(const RegisterDef& d) const {
    const auto r = raw(d);
    if (!r) return std::nullopt;
    return decode_string(*r);
  }

 private:
  const std::vector<std::uint16_t>& regs_;
  int base_;
  std::string prefix_;
  std::function<void(std::string)> sink_;
};

bool near(double a, double b) {
  return std::fabs(a - b) < 0.05;
}

}  // namespace

std::array<std::uint16_t, 2> encode_current(double amps) {
  return encode_float32(static_cast<float>(amps), WordOrder::HighFirst);
}

AlfenStation::AlfenStation(ModbusTransport& transport, const ems::Clock& clock, AlfenOptions options)
    : transport_(transport), clock_(clock), options_(options) {}

void AlfenStation::reject(std::vector<std::string>& into, std::string reason) {
  ++rejections_[reason];
  into.push_back(std::move(reason));
}

std::uint64_t AlfenStation::rejection_total() const {
  std::uint64_t n = 0;
  for (const auto& [k, v] : rejections_) n += v;
  return n;
}

Result<StationIdentity, ModbusError> AlfenStation::identify() {
  auto id = transport_.read_holding(kStationUnit, kIdentificationBlock.start, kIdentificationBlock.count);
  if (!id) return Unexpected(id.error());
  if (id->size() != static_cast<std::size_t>(kIdentificationBlock.count))
    return Unexpected(ModbusError{ModbusErrorKind::BadReply, 0, "short identification reply"});
  std::vector<std::string> ignored;
  BlockDecoder d(*id, kIdentificationBlock.start, "", [&](std::string r) { ignored.push_back(std::move(r)); });
  StationIdentity out;
  out.name = d.text(kName).value_or("");
  out.manufacturer = d.text(kManufacturer).value_or("");
  out.firmware = d.text(kFirmware).value_or("");
  out.platform = d.text(kPlatform).value_or("");
  out.serial = d.text(kSerial).value_or("");
  out.table_version = static_cast<int>(d.number(kTableVersion, -32768, 32767).value_or(0));
  if (const auto up = d.number(kUptime, 0, 1.0e18)) out.uptime_ms = static_cast<std::uint64_t>(*up);
  auto n = transport_.read_holding(kStationUnit, kSocketCount.address, 1);
  if (!n) return Unexpected(n.error());
  if (n->size() == 1 && ((*n)[0] == 1 || (*n)[0] == 2)) out.sockets = (*n)[0];
  return out;
}

Result<void, ModbusError> AlfenStation::ping() {
  auto r = transport_.read_holding(kStationUnit, kSocketCount.address, 1);
  if (!r) return Unexpected(r.error());
  return {};
}

SocketReading AlfenStation::read_socket(int socket, const std::function<void()>& between) {
  SocketReading s;
  s.socket = socket;
  const std::string prefix = "socket " + std::to_string(socket) + " ";
  auto sink = [&](std::string r) { reject(s.rejected, std::move(r)); };

  auto status = transport_.read_holding(socket, kSocketStatusBlock.start, kSocketStatusBlock.count);
  if (!status) {
    s.transport_error = status.error();
    s.error = "status block 1200-1215: " + status.error().describe();
    return s;
  }
  if (status->size() != static_cast<std::size_t>(kSocketStatusBlock.count)) {
    sink(prefix + "status block: short reply (" + std::to_string(status->size()) + " of 16 registers)");
    s.error = "short reply";
    return s;
  }
  BlockDecoder st(*status, kSocketStatusBlock.start, prefix, sink);
  if (const auto a = st.number(kAvailability, 0, 1)) s.available = *a == 1.0;
  s.mode3_raw = st.text(kMode3State).value_or("");
  s.mode3 = parse_mode3(s.mode3_raw);
  if (!s.mode3) sink(prefix + "mode3_state: unknown state '" + s.mode3_raw + "'");
  s.applied_max_a = st.number(kAppliedMaxCurrent, 0, kMaxPlausibleCurrentA, "A");
  s.remaining_validity_s = st.number(kValidTime, 0, 4294967294.0, "s");
  s.setpoint_a = st.number(kSetpoint, 0, kMaxPlausibleCurrentA, "A");
  s.safe_current_a = st.number(kSafeCurrent, 0, kMaxPlausibleCurrentA, "A");
  if (const auto a = st.number(kAccountedFor, 0, 1)) s.accounted_for = *a == 1.0;
  if (const auto p = st.number(kPhases, 1, 3)) {
    if (*p == 1.0 || *p == 3.0) {
      s.phases = static_cast<int>(*p);
    } else {
      sink(prefix + "phases: " + fmt(*p) + " is neither 1 nor 3");
    }
  }
  if (s.remaining_validity_s) last_validity_s_[socket] = *s.remaining_validity_s;

  if (options_.read_measurements) {
    if (between) between();
    auto m = transport_.read_holding(socket, kMeasurementBlock.start, kMeasurementReadCount);
    if (!m) {
      s.transport_error = m.error();
      s.error = "measurements 300-377: " + m.error().describe();
      return s;
    }
    if (m->size() != static_cast<std::size_t>(kMeasurementReadCount)) {
      sink(prefix + "measurements: short reply (" + std::to_string(m->size()) + " of " +
           std::to_string(kMeasurementReadCount) + " registers)");
      s.error = "short reply";
      return s;
    }
    BlockDecoder md(*m, kMeasurementBlock.start, prefix, sink);
    const RegisterDef volts[] = {kVoltageL1, kVoltageL2, kVoltageL3};
    const RegisterDef amps[] = {kCurrentL1, kCurrentL2, kCurrentL3};
    for (std::size_t i = 0; i < 3; ++i) {
      s.voltage_v[i] = md.number(volts[i], 0, kMaxPlausibleVoltageV, "V");
      s.current_a[i] = md.number(amps[i], 0, kMaxPlausibleCurrentA, "A");
    }
    s.power_w = md.number(kPowerSum, -kMaxPlausiblePowerW, kMaxPlausiblePowerW, "W");
    s.energy_wh = md.number(kEnergyDelivered, 0, kMaxPlausibleEnergyWh, "Wh");
  }
  s.ok = true;
  return s;
}

StationReading AlfenStation::poll(const std::function<void()>& between) {
  StationReading r;
  r.at = clock_.mono_now();
  r.wall = clock_.wall_now();
  auto sink = [&](std::string why) { reject(r.rejected, std::move(why)); };
  bool ok = true;

  auto status = transport_.read_holding(kStationUnit, kStationStatusBlock.start, kStationStatusBlock.count);
  if (!status) {
    r.error = status.error();
    ok = false;
  } else if (status->size() != static_cast<std::size_t>(kStationStatusBlock.count)) {
    sink("station status: short reply (" + std::to_string(status->size()) + " of 6 registers)");
    ok = false;
  } else {
    BlockDecoder d(*status, kStationStatusBlock.start, "station ", sink);
    r.station_max_a = d.number(kStationMaxCurrent, 0, kMaxPlausibleCurrentA, "A");
    r.temperature_c = d.number(kTemperature, -100, 200, "C");
    if (const auto o = d.number(kOcppState, 0, 65534)) r.ocpp_state = static_cast<int>(*o);
    if (const auto n = d.number(kSocketCount, 1, 2)) r.sockets = static_cast<int>(*n);
  }
  if (between && !r.error) between();
  if (!r.error && options_.read_scn) {
    auto scn = transport_.read_holding(kStationUnit, kScnBlock.start, kScnBlock.count);
    if (!scn) {
      r.error = scn.error();
      ok = false;
    } else if (scn->size() != static_cast<std::size_t>(kScnBlock.count)) {
      sink("SCN block: short reply");
      ok = false;
    } else {
      BlockDecoder d(*scn, kScnBlock.start, "scn ", sink);
      ScnReading s;
      s.name = d.text(kScnName).value_or("");
      if (const auto n = d.number(kScnSockets, 0, 128)) s.sockets = static_cast<int>(*n);
      const RegisterDef cons[] = {kScnConsumptionL1, kScnConsumptionL2, kScnConsumptionL3};
      const RegisterDef act[] = {kScnActualMaxL1, kScnActualMaxL2, kScnActualMaxL3};
      const RegisterDef mx[] = {kScnMaxL1, kScnMaxL2, kScnMaxL3};
      const RegisterDef val[] = {kScnValidL1, kScnValidL2, kScnValidL3};
      for (std::size_t i = 0; i < 3; ++i) {
        s.consumption_a[i] = d.number(cons[i], 0, kMaxPlausibleCurrentA, "A");
        s.actual_max_a[i] = d.number(act[i], 0, kMaxPlausibleCurrentA, "A");
        s.max_current_a[i] = d.number(mx[i], 0, kMaxPlausibleCurrentA, "A");
        s.remaining_s[i] = d.number(val[i], 0, 4294967294.0, "s");
      }
      s.safe_current_a = d.number(kScnSafeCurrent, 0, kMaxPlausibleCurrentA, "A");
      if (const auto e = d.number(kScnEnabled, 0, 1)) s.enabled = *e == 1.0;
      r.scn = std::move(s);
    }
    if (between && !r.error) between();
  }
  const int sockets = options_.sockets > 0 ? options_.sockets : r.sockets.value_or(0);
  if (!r.error) {
    for (int socket = 1; socket <= sockets; ++socket) {
      if (socket > 1 && between) between();
      auto s = read_socket(socket, between);
      if (!s.ok) ok = false;
      if (s.transport_error && !r.error) r.error = s.transport_error;
      r.socket.push_back(std::move(s));
      if (r.error && !r.error->transient()) continue;
      if (r.error) break;  // the link is down: the other socket shares it
    }
  }
  r.ok = ok && sockets > 0 && !r.error;
  return r;
}

WriteConfirmation AlfenStation::write_setpoint(int socket, double amps) {
  WriteConfirmation c;
  c.requested_a = amps;
  if (socket < 1 || socket > 2) {
    c.reason = "socket " + std::to_string(socket) + " does not exist (1 or 2)";
    return c;
  }
  if (std::isnan(amps) || amps < 0 || amps > kMaxPlausibleCurrentA) {
    c.reason = "refused to write " + fmt(amps) + " A: not a current in 0.." + fmt(kMaxPlausibleCurrentA) + " A";
    return c;
  }
  const auto previous = last_validity_s_.find(socket);
  const double before_s = previous == last_validity_s_.end() ? -1.0 : previous->second;  // -1: unknown
  const auto regs = encode_current(amps);
  auto w = transport_.write_multiple(socket, kSetpoint.address, regs);
  if (!w) {
    c.error = w.error();
    c.reason = w.error().kind == ModbusErrorKind::Exception && w.error().exception_code == kIllegalFunction
                   ? "write refused (exception 1): data source not set to Energy Management System, or licence "
                     "missing"
                   : "write failed: " + w.error().describe();
    return c;
  }
  c.written = true;
  auto rb = transport_.read_holding(socket, kAppliedMaxCurrent.address, 10);  // 1206–1215
  if (!rb || rb->size() != 10) {
    if (!rb) c.error = rb.error();
    c.reason = "written, but the read-back failed" + (rb ? std::string(": short reply") : ": " + rb.error().describe());
    return c;
  }
  std::vector<std::string> rejected;
  BlockDecoder d(*rb, kAppliedMaxCurrent.address, "socket " + std::to_string(socket) + " ",
                 [&](std::string why) { reject(rejected, std::move(why)); });
  c.applied_a = d.number(kAppliedMaxCurrent, 0, kMaxPlausibleCurrentA, "A");
  c.remaining_validity_s = d.number(kValidTime, 0, 4294967294.0, "s");
  c.readback_a = d.number(kSetpoint, 0, kMaxPlausibleCurrentA, "A");
  if (const auto a = d.number(kAccountedFor, 0, 1)) c.accounted_for = *a == 1.0;
  if (c.remaining_validity_s) last_validity_s_[socket] = *c.remaining_validity_s;

  // §4.4: 1208 restarted (> 0, not lower than before the write), 1210 echoes, 1214 = 1.
  if (!c.remaining_validity_s || *c.remaining_validity_s <= 0) {
    c.reason = "remaining validity (1208) is 0: the station did not take the set-point";
  } else if (before_s >= 0 && *c.remaining_validity_s < before_s) {
    c.reason = "remaining validity (1208) did not restart (" + fmt(before_s) + " s before, " +
               fmt(*c.remaining_validity_s) + " s after)";
  } else if (!c.readback_a || !near(*c.readback_a, amps)) {
    c.reason = "1210 reads " + (c.readback_a ? fmt(*c.readback_a) + " A" : std::string("nothing")) + ", not " +
               fmt(amps) + " A: another master may be writing";
  } else if (!c.accounted_for || !*c.accounted_for) {
    c.reason = "1214 = 0: set-point received but not used (mode is not Socket, or sockets not enabled)";
  } else {
    c.accepted = true;
    if (c.applied_a && *c.applied_a + 0.05 < amps)
      c.reason = "accepted; another limit applies " + fmt(*c.applied_a) + " A";
  }
  return c;
}

WriteConfirmation AlfenStation::write_scn_limits(double l1_a, double l2_a, double l3_a) {
  WriteConfirmation c;
  const double req[] = {l1_a, l2_a, l3_a};
  c.requested_a = std::min({l1_a, l2_a, l3_a});
  std::vector<std::uint16_t> regs;
  for (const double a : req) {
    if (std::isnan(a) || a < 0 || a > kMaxPlausibleCurrentA) {
      c.reason =
          "refused to write SCN limit " + fmt(a) + " A: not a current in 0.." + fmt(kMaxPlausibleCurrentA) + " A";
      return c;
    }
    const auto r = encode_current(a);
    regs.insert(regs.end(), r.begin(), r.end());
  }
  auto w = transport_.write_multiple(kStationUnit, kScnMaxL1.address, regs);
  if (!w) {
    c.error = w.error();
    c.reason = "SCN write failed: " + w.error().describe();
    return c;
  }
  c.written = true;
  auto rb = transport_.read_holding(kStationUnit, kScnMaxL1.address, 12);  // 1417–1428
  if (!rb || rb->size() != 12) {
    if (!rb) c.error = rb.error();
    c.reason = "written, but the read-back failed";
    return c;
  }
  std::vector<std::string> rejected;
  BlockDecoder d(*rb, kScnMaxL1.address, "scn ", [&](std::string why) { reject(rejected, std::move(why)); });
  const RegisterDef mx[] = {kScnMaxL1, kScnMaxL2, kScnMaxL3};
  const RegisterDef val[] = {kScnValidL1, kScnValidL2, kScnValidL3};
  bool echo = true;
  std::optional<double> min_valid;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto v = d.number(mx[i], 0, kMaxPlausibleCurrentA, "A");
    if (!v || !near(*v, req[i])) echo = false;
    const auto t = d.number(val[i], 0, 4294967294.0, "s");
    if (!t) {
      min_valid = 0.0;
    } else if (!min_valid || *t < *min_valid) {
      min_valid = *t;
    }
  }
  c.remaining_validity_s = min_valid;
  if (!min_valid || *min_valid <= 0) {
    c.reason = "SCN remaining validity (1423-1428) is 0: the station did not take the limits";
  } else if (!echo) {
    c.reason = "SCN limits read back differently: another master may be writing";
  } else {
    c.accepted = true;
  }
  return c;
}

Result<void, ModbusError> AlfenStation::write_phases(int socket, int phases) {
  if (phases != 1 && phases != 3)
    return Unexpected(ModbusError{ModbusErrorKind::InvalidRequest, 0, "phases must be 1 or 3"});
  auto w = transport_.write_single(socket, kPhases.address, static_cast<std::uint16_t>(phases));
  if (!w) {
    auto e = w.error();
    if (e.kind == ModbusErrorKind::Exception && e.exception_code == kIllegalDataValue)
      e.message = "phase switching not allowed on this station (enable \"Allow 1- and 3-phased charging\")";
    return Unexpected(std::move(e));
  }
  return {};
}

PhaseSwitchResult AlfenStation::switch_phases(int socket, int phases, double resume_a, PhaseSwitchTiming timing,
                                              const std::function<void(ems::Millis)>& sleep) {
  PhaseSwitchResult r;
  const auto pause = write_setpoint(socket, 0.0);
  if (!pause.written) {
    r.error = pause.error;
    r.message = "pause failed: " + pause.reason;
    return r;
  }
  sleep(timing.pause);
  auto w = write_phases(socket, phases);
  if (!w) {
    r.error = w.error();
    r.not_allowed = w.error().kind == ModbusErrorKind::Exception && w.error().exception_code == kIllegalDataValue;
    r.message = r.not_allowed ? "phase switching not allowed on this station" : "1215 write failed";
    r.message += ": " + w.error().describe();
    // Resume at the previous current on the old phase count rather than stay paused.
    r.resume = write_setpoint(socket, resume_a);
    return r;
  }
  sleep(timing.settle);
  r.resume = write_setpoint(socket, resume_a);
  r.ok = r.resume.accepted;
  r.message = r.ok ? "switched to " + std::to_string(phases) + " phase(s)" : "resume not confirmed: " + r.resume.reason;
  return r;
}

}  // namespace emsgw::drivers::alfen
