#include "drivers/alfen/sim/alfen_station_sim.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <sstream>

#include "drivers/alfen/alfen_registers.hpp"
#include "drivers/modbus/register_codec.hpp"

namespace emsgw::drivers::alfen {

namespace {

using sim::ModbusReply;
using sim::ModbusRequest;

class SteadyClock final : public ems::Clock {
 public:
  [[nodiscard]] ems::MonoTime mono_now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] ems::WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

const ems::Clock& steady() {
  static const SteadyClock c;
  return c;
}

constexpr double kIec61851MinA = 6.0;  // below this no PWM can be offered (alfen-modbus.md §4.5)

void put(std::vector<std::uint16_t>& regs, int base, const RegisterDef& d, double v) {
  const auto words = encode(v, d.type, WordOrder::HighFirst);
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto at = static_cast<std::size_t>(d.address - base) + i;
    if (at < regs.size()) regs[at] = words[i];
  }
}

void put_text(std::vector<std::uint16_t>& regs, int base, const RegisterDef& d, const std::string& s) {
  // Strings are zero-terminated (§1): at most 2*count-1 characters.
  const auto words = encode_string(s.substr(0, static_cast<std::size_t>(2 * d.count - 1)), d.count);
  for (std::size_t i = 0; i < words.size(); ++i) regs[static_cast<std::size_t>(d.address - base) + i] = words[i];
}

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> w;
  std::string s;
  while (in >> s) w.push_back(s);
  return w;
}

std::optional<double> to_number(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<bool> on_off(const std::string& s) {
  if (s == "on" || s == "true" || s == "1" || s == "yes") return true;
  if (s == "off" || s == "false" || s == "0" || s == "no") return false;
  return std::nullopt;
}

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

}  // namespace

AlfenStationSim::AlfenStationSim(AlfenSimConfig config, const ems::Clock* base)
    : cfg_(std::move(config)), base_(base != nullptr ? base : &steady()) {
  cfg_.sockets = std::clamp(cfg_.sockets, 1, 2);
  base_start_ = base_->mono_now();
  wall_start_ = base_->wall_now();
  sim_start_ = ems::MonoTime{} + std::chrono::hours(1);
  epoch_ = sim_start_;
  last_update_ = sim_start_;
  boot_ = sim_start_;
}

ems::MonoTime AlfenStationSim::now_locked() const {
  const auto real = base_->mono_now() - base_start_;
  const auto scaled = std::chrono::duration_cast<ems::MonoTime::duration>(std::chrono::duration<double, std::nano>(
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(real).count()) * cfg_.time_scale));
  return sim_start_ + scaled + offset_;
}

bool AlfenStationSim::setpoint_valid_locked(const Socket& s, ems::MonoTime now) const {
  return s.setpoint_a.has_value() && now < s.deadline;
}

double AlfenStationSim::remaining_s_locked(ems::MonoTime deadline, ems::MonoTime now) const {
  if (now >= deadline) return 0;
  const double ms = static_cast<double>(std::chrono::duration_cast<ems::Millis>(deadline - now).count());
  return std::ceil(ms / 1000.0);
}

int AlfenStationSim::effective_phases_locked(int index) const {
  const auto& s = sockets_[static_cast<std::size_t>(index)];
  if (!s.ev) return 0;
  const int wired = cfg_.socket[static_cast<std::size_t>(index)].wiring.count;
  return std::min({s.ev->phases, wired, s.phases_setting});
}

void AlfenStationSim::update_locked() {
  const auto now = now_locked();
  // Integrate energy piecewise: old draw until a pending change takes effect, new draw after it.
  for (int i = 0; i < cfg_.sockets; ++i) {
    auto& s = sockets_[static_cast<std::size_t>(i)];
    if (!s.ev) s.model.reset();
    if (s.model) continue;  // integrates its own energy below
    auto t = last_update_;
    if ((s.target_a != s.draw_a || s.target_phases != s.draw_phases) && s.target_at <= now) {
      const auto until = std::max(s.target_at, t);
      s.energy_wh += s.draw_a * s.draw_phases * cfg_.voltage_v *
                     std::chrono::duration<double, std::ratio<3600>>(until - t).count();
      t = until;
      s.draw_a = s.target_a;
      s.draw_phases = s.target_phases;
    }
    if (now > t)
      s.energy_wh +=
          s.draw_a * s.draw_phases * cfg_.voltage_v * std::chrono::duration<double, std::ratio<3600>>(now - t).count();
  }
  last_update_ = now;

  // Applied limits (1206) and the EVs' new targets.
  double station_left = cfg_.station_max_a;
  for (int i = 0; i < cfg_.sockets; ++i) {
    auto& s = sockets_[static_cast<std::size_t>(i)];
    const auto& sc = cfg_.socket[static_cast<std::size_t>(i)];
    double limit = s.override_a ? *s.override_a : setpoint_valid_locked(s, now) ? *s.setpoint_a : sc.safe_current_a;
    limit = std::min({limit, sc.max_current_a, std::max(0.0, station_left)});
    if (cfg_.scn_mode) {
      for (std::size_t p = 0; p < 3; ++p) {
        const double scn = scn_limit_a_[p] && now < scn_deadline_[p] ? *scn_limit_a_[p] : cfg_.scn_safe_current_a;
        limit = std::min(limit, scn / static_cast<double>(cfg_.sockets));
      }
    }
    s.applied_a = std::max(0.0, limit);
    if (s.model) {
      const double before = s.model->energy_wh();
      const int allowed = std::min(static_cast<int>(sc.wiring.count), s.phases_setting);
      s.model->update(now, s.fault ? 0.0 : s.applied_a, allowed);
      s.energy_wh += s.model->energy_wh() - before;
      s.draw_a = s.target_a = s.model->current_a();
      s.draw_phases = s.target_phases = s.model->phases();
      station_left -= s.applied_a > 0 ? s.draw_a : 0.0;
      continue;
    }
    const int phases = effective_phases_locked(i);
    double target = 0;
    if (s.ev && !s.fault && !s.ev->full && s.applied_a >= kIec61851MinA && s.applied_a >= s.ev->min_current_a)
      target = std::min(s.applied_a, s.ev->max_current_a);
    const int target_phases = target > 0 ? phases : 0;
    if (target != s.target_a || target_phases != s.target_phases) {
      s.target_a = target;
      s.target_phases = target_phases;
      // Unplugging and faults act at once; an EV answers a new offer after its response delay.
      const bool immediate = !s.ev || s.fault.has_value();
      s.target_at = immediate ? now : now + s.ev->response_delay.value_or(cfg_.ev_response_delay);
      if (immediate) {
        s.draw_a = target;
        s.draw_phases = target_phases;
      }
    }
    station_left -= std::max(s.applied_a > 0 ? std::max(s.draw_a, s.target_a) : 0.0, 0.0);
  }
}

std::string AlfenStationSim::mode3_locked(int index) const {
  const auto& s = sockets_[static_cast<std::size_t>(index)];
  if (s.fault) return std::string(1, *s.fault);
  if (!s.ev) return "A";
  if (s.model) return s.model->mode3(s.applied_a);
  const bool pwm = s.applied_a >= kIec61851MinA;
  const bool drawing = s.draw_a > 0;
  if (drawing) return pwm ? "C2" : "C1";
  return pwm ? "B2" : "B1";
}

AlfenStationSim::Regs AlfenStationSim::block_locked(int unit, int start, int count) {
  const auto now = now_locked();
  Regs regs(static_cast<std::size_t>(count), 0xFFFF);  // §1: unavailable → NaN / 0xFFFF
  if (unit == kStationUnit && start == kIdentificationBlock.start) {
    put_text(regs, start, kName, cfg_.name);
    put_text(regs, start, kManufacturer, cfg_.manufacturer);
    put(regs, start, kTableVersion, 1);
    put_text(regs, start, kFirmware, cfg_.firmware);
    put_text(regs, start, kPlatform, cfg_.platform);
    put_text(regs, start, kSerial, cfg_.serial);
    const auto wall = wall_start_ + std::chrono::duration_cast<ems::WallTime::duration>(now - epoch_);
    const std::time_t tt = std::chrono::system_clock::to_time_t(wall);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    put(regs, start, kYear, tm.tm_year + 1900);
    put(regs, start, kMonth, tm.tm_mon + 1);
    put(regs, start, kDay, tm.tm_mday);
    put(regs, start, kHour, tm.tm_hour);
    put(regs, start, kMinute, tm.tm_min);
    put(regs, start, kSecond, tm.tm_sec);
    put(regs, start, kUptime, static_cast<double>(std::chrono::duration_cast<ems::Millis>(now - boot_).count()));
    put(regs, start, kTimeZone, 0);
  } else if (unit == kStationUnit && start == kStationStatusBlock.start) {
    put(regs, start, kStationMaxCurrent, cfg_.station_max_a);
    put(regs, start, kTemperature, 31.5);
    put(regs, start, kOcppState, 1);
    put(regs, start, kSocketCount, cfg_.sockets);
  } else if (unit == kStationUnit && start == kScnBlock.start) {
    put_text(regs, start, kScnName, cfg_.scn_name);
    put(regs, start, kScnSockets, cfg_.scn_name.empty() ? 0 : cfg_.sockets);
    const RegisterDef cons[] = {kScnConsumptionL1, kScnConsumptionL2, kScnConsumptionL3};
    const RegisterDef act[] = {kScnActualMaxL1, kScnActualMaxL2, kScnActualMaxL3};
    const RegisterDef mx[] = {kScnMaxL1, kScnMaxL2, kScnMaxL3};
    const RegisterDef val[] = {kScnValidL1, kScnValidL2, kScnValidL3};
    std::array<double, 3> station_phase{};
    for (int i = 0; i < cfg_.sockets; ++i) {
      const auto& s = sockets_[static_cast<std::size_t>(i)];
      for (int p = 0; p < s.draw_phases; ++p) station_phase[static_cast<std::size_t>(p)] += s.draw_a;
    }
    for (std::size_t p = 0; p < 3; ++p) {
      const bool valid = scn_limit_a_[p] && now < scn_deadline_[p];
      put(regs, start, cons[p], station_phase[p]);
      put(regs, start, act[p], valid ? *scn_limit_a_[p] : cfg_.scn_safe_current_a);
      put(regs, start, mx[p], valid ? *scn_limit_a_[p] : cfg_.scn_safe_current_a);
      put(regs, start, val[p], valid ? remaining_s_locked(scn_deadline_[p], now) : 0);
    }
    put(regs, start, kScnSafeCurrent, cfg_.scn_safe_current_a);
    put(regs, start, kScnEnabled, cfg_.scn_mode ? 1 : 0);
  } else if (unit >= 1 && unit <= cfg_.sockets && start == kMeasurementBlock.start) {
    const auto idx = static_cast<std::size_t>(unit - 1);
    const auto& s = sockets_[idx];
    const int wired = cfg_.socket[idx].wiring.count;
    put(regs, start, kMeterState, 3);
    put(regs, start, kMeterAge, 0);
    put(regs, start, kMeterType, 0);
    const RegisterDef volts[] = {kVoltageL1, kVoltageL2, kVoltageL3};
    const RegisterDef amps[] = {kCurrentL1, kCurrentL2, kCurrentL3};
    const RegisterDef watts[] = {kPowerL1, kPowerL2, kPowerL3};
    double sum_a = 0;
    for (int p = 0; p < 3; ++p) {
      const auto pi = static_cast<std::size_t>(p);
      const double i_a = p < s.draw_phases ? s.draw_a : 0.0;
      sum_a += i_a;
      put(regs, start, volts[pi], p < wired ? cfg_.voltage_v : 0.0);
      put(regs, start, amps[pi], i_a);
      put(regs, start, watts[pi], i_a * cfg_.voltage_v);
    }
    put(regs, start, kCurrentN, s.draw_phases == 1 ? s.draw_a : 0.0);
    put(regs, start, kCurrentSum, sum_a);
    put(regs, start, kFrequency, 50.0);
    put(regs, start, kPowerSum, sum_a * cfg_.voltage_v);
    put(regs, start, kEnergyDelivered, s.energy_wh);
  } else if (unit >= 1 && unit <= cfg_.sockets && start == kSocketStatusBlock.start) {
    const auto idx = static_cast<std::size_t>(unit - 1);
    const auto& s = sockets_[idx];
    const bool valid = setpoint_valid_locked(s, now);
    put(regs, start, kAvailability, 1);
    put_text(regs, start, kMode3State, mode3_locked(unit - 1));
    put(regs, start, kAppliedMaxCurrent, s.applied_a);
    put(regs, start, kValidTime, valid ? remaining_s_locked(s.deadline, now) : 0);
    // §4.3 (observed): after expiry 1210 reads the safe current.
    put(regs, start, kSetpoint, valid ? *s.setpoint_a : cfg_.socket[idx].safe_current_a);
    put(regs, start, kSafeCurrent, cfg_.socket[idx].safe_current_a);
    put(regs, start, kAccountedFor, s.written && !cfg_.scn_mode ? 1 : 0);
    put(regs, start, kPhases, s.phases_setting);
  }
  for (int a = start; a < start + count; ++a) {
    const auto it = injected_.find({unit, a});
    if (it != injected_.end()) regs[static_cast<std::size_t>(a - start)] = it->second;
  }
  return regs;
}

ModbusReply AlfenStationSim::handle(const ModbusRequest& r) {
  const auto arrived = std::chrono::steady_clock::now();
  ems::Millis delay{0};
  bool pipelined = false;
  {
    std::lock_guard lock(mu_);
    delay = cfg_.modbus_response_delay;
    pipelined = cfg_.modbus_pipelined;
  }
  if (pipelined && delay.count() > 0) {
    auto reply = handle_now(r, arrived);
    reply.delay_ms = static_cast<int>(delay.count());
    return reply;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  return handle_now(r, arrived);
}

ModbusReply AlfenStationSim::handle_now(const ModbusRequest& r, std::chrono::steady_clock::time_point arrived) {
  std::lock_guard lock(mu_);
  update_locked();
  const bool station = r.unit == kStationUnit;
  if (!station && (r.unit < 1 || r.unit > cfg_.sockets)) return ModbusReply::exception(kGatewayTargetFailed);
  if (r.function == 3) {
    // Reads only inside one defined block (§4.8); anything else is an illegal address.
    for (const auto& b : blocks()) {
      if (b.station_unit != station) continue;
      if (r.address >= b.start && r.address + r.count <= b.start + b.count) {
        auto regs = block_locked(r.unit, b.start, b.count);
        return ModbusReply::registers_reply(
            Regs(regs.begin() + (r.address - b.start), regs.begin() + (r.address - b.start + r.count)));
      }
    }
    return ModbusReply::exception(kIllegalDataAddress);
  }
  if (r.function == 6 || r.function == 16) {
    auto reply = write_locked(r, arrived);
    update_locked();
    return reply;
  }
  return ModbusReply::exception(kIllegalFunction);  // §1.1: FC3, FC6, FC16 only
}

ModbusReply AlfenStationSim::write_locked(const ModbusRequest& r, std::chrono::steady_clock::time_point arrived) {
  if (!cfg_.ems_data_source) return ModbusReply::exception(kIllegalFunction);  // §4.1.8
  const auto now = now_locked();
  const bool station = r.unit == kStationUnit;
  const auto regs = station ? station_registers() : socket_registers();
  // Every register touched must belong to a writable value, and each value must be complete (§1).
  std::vector<RegisterDef> values;
  for (int a = r.address; a < r.address + r.count;) {
    const RegisterDef* def = nullptr;
    for (const auto& d : regs)
      if (a >= d.address && a < d.address + d.count) def = &d;
    if (def == nullptr || def->access != Access::ReadWrite) return ModbusReply::exception(kIllegalDataAddress);
    if (def->address != a || a + def->count > r.address + r.count)
      return ModbusReply::exception(kIllegalDataValue);  // partial multi-register write
    values.push_back(*def);
    a += def->count;
  }
  // Validate everything first, then apply.
  for (const auto& d : values) {
    const auto off = static_cast<std::size_t>(d.address - r.address);
    const double v = decode(std::span<const std::uint16_t>(r.values).subspan(off, static_cast<std::size_t>(d.count)),
                            d.type, WordOrder::HighFirst);
    if (d.address == kPhases.address) {
      if (!cfg_.phase_switching_allowed || (v != 1.0 && v != 3.0)) return ModbusReply::exception(kIllegalDataValue);
    } else if (std::isnan(v) || v < 0 || v > 1000) {
      return ModbusReply::exception(kIllegalDataValue);
    }
  }
  for (const auto& d : values) {
    const auto off = static_cast<std::size_t>(d.address - r.address);
    const double v = decode(std::span<const std::uint16_t>(r.values).subspan(off, static_cast<std::size_t>(d.count)),
                            d.type, WordOrder::HighFirst);
    const auto valid_for =
        std::chrono::duration_cast<ems::MonoTime::duration>(std::chrono::duration<double>(cfg_.validity_s));
    if (station) {
      const std::size_t p = d.address == kScnMaxL1.address ? 0 : d.address == kScnMaxL2.address ? 1 : 2;
      scn_limit_a_[p] = v;
      scn_deadline_[p] = now + valid_for;  // §4.3: each write restarts its remaining time
    } else {
      auto& s = sockets_[static_cast<std::size_t>(r.unit - 1)];
      if (d.address == kSetpoint.address) {
        s.setpoint_a = v;
        s.deadline = now + valid_for;
        s.written = true;
        ++s.writes;
        s.arrived = arrived;
      } else {
        s.phases_setting = static_cast<int>(v);
      }
    }
  }
  return ModbusReply::ok();
}

void AlfenStationSim::plug(int socket, SimEv ev) {
  std::lock_guard lock(mu_);
  update_locked();
  if (socket >= 1 && socket <= 2) sockets_[static_cast<std::size_t>(socket - 1)].ev = ev;
  update_locked();
}

void AlfenStationSim::plug_model(int socket, EvParams params) {
  std::lock_guard lock(mu_);
  update_locked();
  if (socket < 1 || socket > 2) return;
  auto& s = sockets_[static_cast<std::size_t>(socket - 1)];
  s.ev = SimEv{params.phases, params.max_current_a, params.start_current_a, std::nullopt, false};
  s.model = EvModel(params, now_locked());
  update_locked();
}

bool AlfenStationSim::with_ev_model(int socket, const std::function<void(EvModel&, ems::MonoTime)>& f) {
  std::lock_guard lock(mu_);
  update_locked();
  if (socket < 1 || socket > 2 || !sockets_[static_cast<std::size_t>(socket - 1)].model) return false;
  f(*sockets_[static_cast<std::size_t>(socket - 1)].model, now_locked());
  update_locked();
  return true;
}

std::optional<EvModel> AlfenStationSim::ev_model(int socket) {
  std::lock_guard lock(mu_);
  update_locked();
  if (socket < 1 || socket > 2) return std::nullopt;
  return sockets_[static_cast<std::size_t>(socket - 1)].model;
}

void AlfenStationSim::unplug(int socket) {
  std::lock_guard lock(mu_);
  update_locked();
  if (socket >= 1 && socket <= 2) sockets_[static_cast<std::size_t>(socket - 1)].ev.reset();
  update_locked();
}

void AlfenStationSim::advance(ems::Millis d) {
  std::lock_guard lock(mu_);
  // Step so that pending EV responses and expiries inside the interval happen in order.
  const ems::Millis step{100};
  for (ems::Millis done{0}; done < d;) {
    const auto inc = std::min(step, d - done);
    offset_ += inc;
    done += inc;
    update_locked();
  }
}

void AlfenStationSim::reboot() {
  std::lock_guard lock(mu_);
  update_locked();
  // §4.1: written maximum currents and their remaining time are not preserved across a reboot.
  for (auto& s : sockets_) {
    s.setpoint_a.reset();
    s.written = false;
    s.draw_a = 0;
    s.draw_phases = 0;
    s.target_a = 0;
    s.target_phases = 0;
  }
  scn_limit_a_ = {};
  boot_ = now_locked();
  update_locked();
}

SimSocketState AlfenStationSim::state_locked(int index) {
  const auto now = now_locked();
  const auto& s = sockets_[static_cast<std::size_t>(index)];
  SimSocketState st;
  st.ev_plugged = s.ev.has_value();
  st.mode3 = mode3_locked(index);
  st.setpoint_valid = setpoint_valid_locked(s, now);
  st.setpoint_a = st.setpoint_valid ? *s.setpoint_a : cfg_.socket[static_cast<std::size_t>(index)].safe_current_a;
  st.remaining_s = st.setpoint_valid ? remaining_s_locked(s.deadline, now) : 0;
  st.applied_a = s.applied_a;
  st.drawn_a = s.draw_a;
  st.drawn_phases = s.draw_phases;
  for (int p = 0; p < s.draw_phases; ++p) st.current_a[static_cast<std::size_t>(p)] = s.draw_a;
  st.energy_wh = s.energy_wh;
  st.phases_setting = s.phases_setting;
  st.setpoint_writes = s.writes;
  st.setpoint_arrived = s.arrived;
  return st;
}

SimSocketState AlfenStationSim::socket_state(int socket) {
  std::lock_guard lock(mu_);
  update_locked();
  if (socket < 1 || socket > cfg_.sockets) return {};
  return state_locked(socket - 1);
}

std::array<double, 3> AlfenStationSim::grid_currents_a() {
  std::lock_guard lock(mu_);
  update_locked();
  std::array<double, 3> grid{};
  for (int i = 0; i < cfg_.sockets; ++i) {
    const auto& s = sockets_[static_cast<std::size_t>(i)];
    const auto& w = cfg_.socket[static_cast<std::size_t>(i)].wiring;
    for (int p = 0; p < s.draw_phases && p < w.count; ++p)
      grid[ems::index(w.grid[static_cast<std::size_t>(p)])] += s.draw_a;
  }
  return grid;
}

double AlfenStationSim::sim_seconds() {
  std::lock_guard lock(mu_);
  return std::chrono::duration<double>(now_locked() - epoch_).count();
}

AlfenSimConfig AlfenStationSim::config() {
  std::lock_guard lock(mu_);
  return cfg_;
}

std::string AlfenStationSim::status() {
  std::lock_guard lock(mu_);
  update_locked();
  std::string out = "t=" + fmt(std::chrono::duration<double>(now_locked() - epoch_).count()) + "s";
  for (int i = 0; i < cfg_.sockets; ++i) {
    const auto st = state_locked(i);
    out += " | socket " + std::to_string(i + 1) + ": " + st.mode3 + " setpoint=" + fmt(st.setpoint_a) +
           (st.setpoint_valid ? "" : "(safe)") + " remaining=" + fmt(st.remaining_s) +
           "s applied=" + fmt(st.applied_a) + " drawn=" + fmt(st.drawn_a) + "x" + std::to_string(st.drawn_phases) +
           " energy=" + fmt(st.energy_wh) + "Wh phases=" + std::to_string(st.phases_setting);
  }
  return out;
}

std::string AlfenStationSim::command(const std::string& line) {
  std::lock_guard lock(mu_);
  update_locked();
  auto reply = command_locked(line);
  update_locked();
  return reply;
}

std::string AlfenStationSim::command_locked(const std::string& line) {
  const auto w = split_words(line);
  if (w.empty() || w[0][0] == '#') return "ok";
  const std::string& cmd = w[0];
  auto socket_arg = [&](std::size_t i) -> std::optional<int> {
    if (w.size() <= i) return std::nullopt;
    const auto n = to_number(w[i]);
    if (!n || (*n != 1.0 && *n != 2.0)) return std::nullopt;
    return static_cast<int>(*n);
  };
  auto number_arg = [&](std::size_t i) -> std::optional<double> {
    return w.size() > i ? to_number(w[i]) : std::nullopt;
  };
  const std::string bad = "error usage: ";
  if (cmd == "plug") {
    const auto s = socket_arg(1);
    if (!s)
      return bad +
             "plug SOCKET [phases=1|3] [max=A] [min=A] [delay=S] [tau=S] [offset=A] [battery=KWH] [soc=0..1] "
             "[giveup=N] [sleep=S]";
    SimEv ev;
    EvParams model;
    bool use_model = false;
    for (std::size_t i = 2; i < w.size(); ++i) {
      const auto eq = w[i].find('=');
      if (eq == std::string::npos) return "error expected key=value, got " + w[i];
      const auto key = w[i].substr(0, eq);
      const auto v = to_number(w[i].substr(eq + 1));
      if (!v) return "error bad number in " + w[i];
      if (key == "phases" && (*v == 1.0 || *v == 3.0)) {
        ev.phases = static_cast<int>(*v);
      } else if (key == "max" && *v > 0) {
        ev.max_current_a = *v;
      } else if (key == "min" && *v >= 0) {
        ev.min_current_a = *v;
      } else if (key == "delay" && *v >= 0) {
        ev.response_delay = ems::Millis(static_cast<long>(std::lround(*v * 1000)));
        model.dead_time_s = *v;
      } else if (key == "tau" && *v > 0) {
        model.tau_up_s = model.tau_down_s = *v;
        use_model = true;
      } else if (key == "offset" && *v >= 0) {
        model.draw_offset_a = *v;
        use_model = true;
      } else if (key == "battery" && *v >= 0) {
        model.battery_kwh = *v;
        use_model = true;
      } else if (key == "soc" && *v >= 0 && *v <= 1) {
        model.soc = *v;
        use_model = true;
      } else if (key == "giveup" && *v >= 0) {
        model.give_up_after = static_cast<int>(*v);
        use_model = true;
      } else if (key == "sleep" && *v >= 0) {
        model.sleep_after_s = *v;
        use_model = true;
      } else {
        return "error bad EV setting " + w[i];
      }
    }
    auto& sock = sockets_[static_cast<std::size_t>(*s - 1)];
    sock.ev = ev;
    sock.model.reset();
    if (use_model) {
      model.phases = ev.phases;
      model.max_current_a = ev.max_current_a;
      model.start_current_a = ev.min_current_a;
      sock.model = EvModel(model, now_locked());
    }
    return "ok plugged socket " + std::to_string(*s);
  }
  if (cmd == "unplug") {
    const auto s = socket_arg(1);
    if (!s) return bad + "unplug SOCKET";
    sockets_[static_cast<std::size_t>(*s - 1)].ev.reset();
    return "ok";
  }
  if (cmd == "full") {
    const auto s = socket_arg(1);
    const auto v = w.size() > 2 ? on_off(w[2]) : std::optional<bool>(true);
    auto& sock = sockets_[static_cast<std::size_t>(s.value_or(1) - 1)];
    if (!s || !v || !sock.ev) return bad + "full SOCKET [on|off] (with an EV plugged)";
    sock.ev->full = *v;
    if (sock.model) sock.model->wants_energy(now_locked(), !*v);
    return "ok";
  }
  if (cmd == "fault") {
    const auto s = socket_arg(1);
    if (!s || w.size() < 3 || (w[2] != "E" && w[2] != "F" && w[2] != "none")) return bad + "fault SOCKET E|F|none";
    auto& f = sockets_[static_cast<std::size_t>(*s - 1)].fault;
    if (w[2] == "none") {
      f.reset();
    } else {
      f = w[2][0];
    }
    return "ok";
  }
  if (cmd == "validity") {
    const auto v = number_arg(1);
    if (!v || *v <= 0) return bad + "validity SECONDS";
    cfg_.validity_s = *v;
    return "ok";
  }
  if (cmd == "safe") {
    const auto s = socket_arg(1);
    const auto v = number_arg(2);
    if (!s || !v || *v < 0) return bad + "safe SOCKET AMPS";
    cfg_.socket[static_cast<std::size_t>(*s - 1)].safe_current_a = *v;
    return "ok";
  }
  if (cmd == "write") {
    // Another Modbus master writes 1210 (§1: a station takes up to two masters).
    const auto s = socket_arg(1);
    const auto v = number_arg(2);
    if (!s || !v || *v < 0 || *v > 1000) return bad + "write SOCKET AMPS";
    auto& sock = sockets_[static_cast<std::size_t>(*s - 1)];
    sock.setpoint_a = *v;
    sock.deadline = now_locked() +
                    std::chrono::duration_cast<ems::MonoTime::duration>(std::chrono::duration<double>(cfg_.validity_s));
    sock.written = true;
    return "ok socket " + std::to_string(*s) + " set-point " + fmt(*v) + " A written by another master";
  }
  if (cmd == "override") {
    // A station override (app, back office): applied (1206) regardless of the EMS set-point.
    const auto s = socket_arg(1);
    if (!s || w.size() < 3) return bad + "override SOCKET AMPS|off";
    auto& o = sockets_[static_cast<std::size_t>(*s - 1)].override_a;
    if (w[2] == "off") {
      o.reset();
      return "ok";
    }
    const auto v = number_arg(2);
    if (!v || *v < 0) return bad + "override SOCKET AMPS|off";
    o = *v;
    return "ok";
  }
  if (cmd == "connector-max") {
    const auto s = socket_arg(1);
    const auto v = number_arg(2);
    if (!s || !v || *v < 0) return bad + "connector-max SOCKET AMPS";
    cfg_.socket[static_cast<std::size_t>(*s - 1)].max_current_a = *v;
    return "ok";
  }
  if (cmd == "wiring") {
    const auto s = socket_arg(1);
    const auto m = w.size() > 2 ? ems::parse_phase_mapping(w[2]) : std::nullopt;
    if (!s || !m) return bad + "wiring SOCKET " + std::string(ems::phase_mapping_names());
    cfg_.socket[static_cast<std::size_t>(*s - 1)].wiring = *m;
    return "ok";
  }
  if (cmd == "station-max") {
    const auto v = number_arg(1);
    if (!v || *v < 0) return bad + "station-max AMPS";
    cfg_.station_max_a = *v;
    return "ok";
  }
  if (cmd == "sockets") {
    const auto v = number_arg(1);
    if (!v || (*v != 1.0 && *v != 2.0)) return bad + "sockets 1|2";
    cfg_.sockets = static_cast<int>(*v);
    return "ok";
  }
  if (cmd == "ev-delay") {
    const auto v = number_arg(1);
    if (!v || *v < 0) return bad + "ev-delay SECONDS";
    cfg_.ev_response_delay = ems::Millis(static_cast<long>(std::lround(*v * 1000)));
    return "ok";
  }
  if (cmd == "ems" || cmd == "phase-switching") {
    const auto v = w.size() > 1 ? on_off(w[1]) : std::nullopt;
    if (!v) return bad + cmd + " on|off";
    (cmd == "ems" ? cfg_.ems_data_source : cfg_.phase_switching_allowed) = *v;
    return "ok";
  }
  if (cmd == "mode") {
    if (w.size() < 2 || (w[1] != "socket" && w[1] != "scn")) return bad + "mode socket|scn";
    cfg_.scn_mode = w[1] == "scn";
    return "ok";
  }
  if (cmd == "identity") {
    if (w.size() < 3) return bad + "identity name|firmware|platform|serial|scn-name VALUE";
    const auto& v = w[2];
    if (w[1] == "name") {
      cfg_.name = v;
    } else if (w[1] == "firmware") {
      cfg_.firmware = v;
    } else if (w[1] == "platform") {
      cfg_.platform = v;
    } else if (w[1] == "serial") {
      cfg_.serial = v;
    } else if (w[1] == "scn-name") {
      cfg_.scn_name = v;
    } else {
      return bad + "identity name|firmware|platform|serial|scn-name VALUE";
    }
    return "ok";
  }
  if (cmd == "inject") {
    // inject UNIT ADDRESS WORD… (hex): overrides registers as read, to model bad values.
    if (w.size() < 4) return bad + "inject UNIT ADDRESS HEXWORD...";
    const auto unit = to_number(w[1]);
    const auto addr = to_number(w[2]);
    if (!unit || !addr) return bad + "inject UNIT ADDRESS HEXWORD...";
    for (std::size_t i = 3; i < w.size(); ++i) {
      char* end = nullptr;
      const unsigned long v = std::strtoul(w[i].c_str(), &end, 16);
      if (*end != '\0' || v > 0xFFFF) return "error bad hex word " + w[i];
      injected_[{static_cast<int>(*unit), static_cast<int>(*addr) + static_cast<int>(i - 3)}] =
          static_cast<std::uint16_t>(v);
    }
    return "ok";
  }
  if (cmd == "uninject") {
    injected_.clear();
    return "ok";
  }
  if (cmd == "advance") {
    const auto v = number_arg(1);
    if (!v || *v < 0) return bad + "advance SECONDS";
    const auto total = ems::Millis(static_cast<long>(std::lround(*v * 1000)));
    for (ems::Millis done{0}; done < total;) {
      const auto inc = std::min(ems::Millis(100), total - done);
      offset_ += inc;
      done += inc;
      update_locked();
    }
    return "ok";
  }
  if (cmd == "time-scale") {
    const auto v = number_arg(1);
    if (!v || *v <= 0) return bad + "time-scale FACTOR";
    // Rebase so simulated time stays continuous.
    const auto now = now_locked();
    base_start_ = base_->mono_now();
    sim_start_ = now - offset_;
    cfg_.time_scale = *v;
    return "ok";
  }
  if (cmd == "status")
    return "ok " + [&] {
      std::string out;
      for (int i = 0; i < cfg_.sockets; ++i) {
        const auto st = state_locked(i);
        out += (i ? " | " : "") + std::string("socket ") + std::to_string(i + 1) + ": " + st.mode3 +
               " setpoint=" + fmt(st.setpoint_a) + (st.setpoint_valid ? "" : "(safe)") +
               " remaining=" + fmt(st.remaining_s) + "s applied=" + fmt(st.applied_a) + " drawn=" + fmt(st.drawn_a) +
               "x" + std::to_string(st.drawn_phases) + " energy=" + fmt(st.energy_wh) + "Wh";
      }
      return out;
    }();
  if (cmd == "help")
    return "ok commands: plug unplug full fault validity safe write override connector-max wiring station-max sockets "
           "ev-delay ems phase-switching mode identity inject uninject advance time-scale status offline online "
           "restart "
           "drop";
  return "error unknown command '" + cmd + "' (try help)";
}

}  // namespace emsgw::drivers::alfen
