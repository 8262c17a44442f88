// `emsgw probe-meter`: read a meter once and print current, power and voltage per phase and the
// energy totals (the guide's "Test Smart Meter"), with hints when nothing sensible comes back.
//
//   emsgw probe-meter --config /etc/emsgw/emsgw.toml [--meter grid]
//   emsgw probe-meter --kind modbus-tcp --host 192.0.2.10 --unit 1 --preset eastron-sdm630
//   emsgw probe-meter --kind modbus-tcp --framing rtu --host 192.0.2.40 --unit 2 --preset eastron-sdm72d-m-v2
//   emsgw probe-meter --kind modbus-rtu --device /dev/ttyUSB0 --baud 9600 --parity N --preset eastron-sdm120ct
//   emsgw probe-meter --kind dsmr-serial --device /dev/ttyUSB0          (115200 8N1; --baud 9600 --parity E
//                                                                          --data-bits 7 for DSMR 2.2/3)
//   emsgw probe-meter --kind dsmr-tcp --host 192.0.2.20 --port 2000
//   emsgw probe-meter --kind tic-serial --device /dev/ttyUSB1 --tic-mode standard
//   emsgw probe-meter --kind sunspec-tcp --host 192.0.2.30 --unit 1
// Exit codes: 0 a reading with sensible values, 1 no reading or nothing sensible, 2 usage.

#include <cctype>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>

#include "drivers/meters/meter_presets.hpp"
#include "drivers/meters/meter_reading.hpp"
#include "gateway/commands/commands.hpp"
#include "gateway/config/config.hpp"
#include "gateway/devices/device_kinds.hpp"

namespace emsgw::gateway {

namespace {

using drivers::MeterSettings;

class ProbeClock final : public ems::Clock {
 public:
  [[nodiscard]] ems::MonoTime mono_now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] ems::WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

struct ProbeArgs {
  std::string config;
  std::string meter = "grid";
  std::string kind;
  std::string host;
  int port = 0;
  int unit = -1;
  std::string preset;
  std::string device;
  int baud = 0;
  std::string parity;
  int data_bits = 0;
  int stop_bits = 0;
  std::string tic_mode;
  int timeout_ms = 0;
  bool invert = false;
  bool list_presets = false;
  std::string framing;
};

std::optional<MeterSettings> settings_from(const ProbeArgs& a) {
  MeterSettings m;
  if (!a.config.empty()) {
    try {
      const auto cfg = load_config_file(a.config);
      const auto it = cfg.meters.find(a.meter);
      if (it == cfg.meters.end()) {
        std::cerr << "emsgw probe-meter: " << a.config << " has no [meter." << a.meter << "]\n";
        return std::nullopt;
      }
      m = it->second;
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
      return std::nullopt;
    }
  } else {
    const auto* kind = find_meter_kind(a.kind);
    if (kind == nullptr) {
      std::cerr << "emsgw probe-meter: give --config FILE, or --kind (" << meter_kind_names() << ")\n";
      return std::nullopt;
    }
    m.kind = a.kind;
    m.role = a.meter;
    // The kind's defaults, as the config loader applies them.
    apply_meter_kind_defaults(*kind, m);
  }
  if (!a.host.empty()) m.host = a.host;
  if (a.port > 0) m.port = a.port;
  if (a.unit >= 0) m.unit = a.unit;
  if (!a.preset.empty()) m.preset = a.preset;
  if (!a.device.empty()) m.serial.device = a.device;
  if (a.baud > 0) m.serial.baud = a.baud;
  if (!a.parity.empty()) m.serial.parity = static_cast<char>(std::toupper(static_cast<unsigned char>(a.parity[0])));
  if (a.data_bits > 0) m.serial.data_bits = a.data_bits;
  if (a.stop_bits > 0) m.serial.stop_bits = a.stop_bits;
  if (!a.tic_mode.empty()) {
    m.tic_mode = a.tic_mode;
    if (a.baud == 0) m.serial.baud = a.tic_mode == "standard" ? 9600 : 1200;
  }
  if (a.timeout_ms > 0) m.timeout_ms = a.timeout_ms;
  if (a.invert) m.invert = true;
  if (!a.framing.empty()) {
    if (a.framing != "tcp" && a.framing != "rtu") {
      std::cerr << "emsgw probe-meter: --framing must be tcp or rtu\n";
      return std::nullopt;
    }
    m.rtu_over_tcp = a.framing == "rtu";
  }
  const auto* kind = find_meter_kind(m.kind);
  if (kind == nullptr || !kind->probe) {
    std::cerr << "emsgw probe-meter: a meter of kind " << m.kind << " cannot be probed\n";
    return std::nullopt;
  }
  if (kind->uses_preset && drivers::find_meter_preset(m.preset) == nullptr &&
      !(m.preset == "custom" && !m.custom.empty())) {
    std::cerr << "emsgw probe-meter: --preset must be one of:";
    for (auto n : drivers::meter_preset_names())
      if (n != "custom") std::cerr << " " << n;
    std::cerr << " (custom maps: use --config)\n";
    return std::nullopt;
  }
  if (kind->link == MeterLink::Tcp && m.host.empty()) {
    std::cerr << "emsgw probe-meter: --host is required for " << m.kind << "\n";
    return std::nullopt;
  }
  if (kind->link != MeterLink::Tcp && m.serial.device.empty()) {
    std::cerr << "emsgw probe-meter: --device is required for " << m.kind << "\n";
    return std::nullopt;
  }
  return m;
}

bool sensible(const drivers::MeterReading& r) {
  for (const auto& m : r.current_a)
    if (m.valid()) return true;
  return r.power_total_w.valid() || r.apparent_power_total_va.valid();
}

void print_reading(const drivers::MeterReading& r) {
  std::cout << drivers::format_reading(r);
  if (r.device_time) {
    const auto t = std::chrono::system_clock::to_time_t(*r.device_time);
    char buf[64];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    std::cout << "meter time    " << buf << "\n";
  }
}

void print_hints(const std::vector<std::string>& hints) {
  for (const auto& h : hints) std::cout << "hint: " << h << "\n";
}

int probe(const ProbeArgs& a) {
  if (a.list_presets) {
    for (const auto& p : drivers::meter_presets()) std::cout << p.name << "  " << p.model << "  (" << p.source << ")\n";
    return kExitOk;
  }
  const auto s = settings_from(a);
  if (!s) return kExitUsage;
  ProbeClock clock;
  // P1 meters send every 1 s (DSMR 5) or 10 s (DSMR 2.2–4): wait at least 12 s unless told otherwise.
  const ems::Millis listen{a.timeout_ms > 0 ? a.timeout_ms : 12000};
  auto probe = find_meter_kind(s->kind)->probe(*s, clock, listen);
  auto r = probe.meter->poll();
  std::cout << probe.meter->describe() << "\n";
  if (probe.settle) probe.settle(r, std::cout);
  std::vector<std::string> hints;
  if (r && r->send_interval && s->role == "grid" && !a.config.empty()) {
    const double need = drivers::stale_limit_for_interval_s(*r->send_interval, 0.0);
    try {
      const auto cfg = load_config_file(a.config);
      if (!s->stale_limit_from_interval && cfg.site.meter_stale_after_s < need)
        hints.push_back("site.meter_stale_after_s = " + std::to_string(static_cast<int>(cfg.site.meter_stale_after_s)) +
                        " s is shorter than this meter allows: set it to at least " +
                        std::to_string(static_cast<int>(need)) + ", or remove it to follow the meter");
    } catch (const std::exception&) {
    }
  }
  if (probe.hints)
    for (auto& h : probe.hints(r)) hints.push_back(std::move(h));
  if (!r) {
    std::cout << "no reading: " << r.error().message << "\n";
    print_hints(hints);
    return kExitFailure;
  }
  print_reading(*r);
  if (!sensible(*r)) {
    hints.push_back(probe.not_sensible);
    print_hints(hints);
    return kExitFailure;
  }
  print_hints(hints);
  return kExitOk;
}

}  // namespace

void add_probe_meter_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "probe-meter", "Read a meter once and print current, power and voltage per phase (the guide's Test Smart Meter)");
  auto args = std::make_shared<ProbeArgs>();
  cmd->add_option("--config", args->config, "config file: probe the meter it describes");
  cmd->add_option("--meter", args->meter, "which [meter.<role>] of the config: grid, pv, heatpump");
  cmd->add_option("--kind", args->kind, "without --config: " + meter_kind_names());
  cmd->add_option("--host", args->host, "host of a TCP meter");
  cmd->add_option("--port", args->port, "TCP port (modbus 502, P1 dongle 2000)");
  cmd->add_option("--unit", args->unit, "Modbus unit id");
  cmd->add_option("--preset", args->preset, "Modbus meter preset (see --list-presets)");
  cmd->add_option("--device", args->device, "serial device, e.g. /dev/ttyUSB0");
  cmd->add_option("--baud", args->baud, "serial baud rate");
  cmd->add_option("--parity", args->parity, "serial parity: N, E or O");
  cmd->add_option("--data-bits", args->data_bits, "serial data bits: 7 or 8");
  cmd->add_option("--stop-bits", args->stop_bits, "serial stop bits: 1 or 2");
  cmd->add_option("--tic-mode", args->tic_mode, "TIC mode: historique or standard");
  cmd->add_option("--timeout-ms", args->timeout_ms, "reply timeout (Modbus) or listening time (P1, TIC)");
  cmd->add_flag("--invert", args->invert, "the CT is fitted the other way round");
  cmd->add_option("--framing", args->framing, "modbus-tcp: tcp (Modbus TCP, default) or rtu (RTU over TCP)");
  cmd->add_flag("--list-presets", args->list_presets, "list the Modbus meter presets and exit");
  cmd->callback([args] {
    const int code = probe(*args);
    if (code != kExitOk) throw CommandExit{code};
  });
}

}  // namespace emsgw::gateway
