#include <algorithm>
#include <cmath>

#include "gateway/config/config.hpp"

namespace emsgw::gateway {

namespace {
using Issues = std::vector<ems::ConfigIssue>;

void range(Issues& out, const std::string& key, int v, int lo, int hi, std::string_view unit = "") {
  if (v >= lo && v <= hi) return;
  out.push_back({key, std::to_string(v),
                 "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                     (unit.empty() ? "" : " " + std::string(unit))});
}

void check_host(Issues& out, const std::string& key, const std::string& host) {
  if (host.empty()) out.push_back({key, "\"\"", "must name a host or an IP address"});
  if (host.find_first_of(" /\t") != std::string::npos)
    out.push_back({key, "\"" + host + "\"", "must be a bare host name or IP address (no spaces, no scheme or path)"});
}

void check_meter(Issues& out, const std::string& role, const drivers::MeterSettings& m) {
  using K = drivers::MeterKind;
  const std::string k = "meter." + role;
  const bool tcp = m.kind == K::ModbusTcp || m.kind == K::DsmrTcp || m.kind == K::SunspecTcp;
  if (tcp) {
    check_host(out, k + ".host", m.host);
    range(out, k + ".port", m.port, 1, 65535);
  }
  if (m.kind == K::ModbusTcp || m.kind == K::ModbusRtu || m.kind == K::SunspecTcp)
    range(out, k + ".unit", m.unit, m.kind == K::ModbusRtu ? 1 : 0, m.kind == K::ModbusRtu ? 247 : 255);
  if (m.kind == K::ModbusTcp || m.kind == K::ModbusRtu) {
    const auto& names = drivers::meter_preset_names();
    if (std::find(names.begin(), names.end(), m.preset) == names.end()) {
      std::string list;
      for (auto n : names) list += (list.empty() ? "" : ", ") + std::string(n);
      out.push_back({k + ".preset", "\"" + m.preset + "\"", "must be one of: " + list});
    }
    if (m.preset != "custom" && !m.custom.empty())
      out.push_back({k + ".map", "{…}", "is only used with preset = \"custom\""});
    for (const auto& [q, spec] : m.custom) {
      const std::string qk = k + ".map." + std::string(drivers::to_string(q));
      range(out, qk + ".register", spec.address, 0, 65535);
      if (spec.function != 3 && spec.function != 4)
        out.push_back({qk + ".function", std::to_string(spec.function), "must be 3 (holding) or 4 (input registers)"});
      if (!(spec.scale != 0 && std::isfinite(spec.scale)))
        out.push_back({qk + ".scale", std::to_string(spec.scale), "must be a finite number other than 0"});
    }
    if (m.preset == "custom") {
      const bool currents = m.custom.contains(drivers::Quantity::CurrentL1);
      if (!currents)
        out.push_back({k + ".map.current_l1", "(missing)",
                       "a custom map needs at least current_l1 (and l2, l3 on a 3-phase grid)"});
    }
  }
  if (m.kind == K::ModbusRtu || m.kind == K::DsmrSerial || m.kind == K::TicSerial) {
    if (m.serial.device.empty())
      out.push_back({k + ".device", "\"\"", "must name a serial device such as /dev/ttyUSB0"});
    static constexpr int kBauds[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};
    if (std::find(std::begin(kBauds), std::end(kBauds), m.serial.baud) == std::end(kBauds))
      out.push_back({k + ".baud", std::to_string(m.serial.baud),
                     "must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200"});
    range(out, k + ".data_bits", m.serial.data_bits, 7, 8);
    range(out, k + ".stop_bits", m.serial.stop_bits, 1, 2);
  }
  if (m.kind == K::TicSerial && m.tic_mode != "historique" && m.tic_mode != "standard")
    out.push_back({k + ".tic_mode", "\"" + m.tic_mode + "\"", "must be one of: historique, standard"});
  range(out, k + ".poll_interval_ms", m.poll_interval_ms, 100, 60000, "ms");
  range(out, k + ".timeout_ms", m.timeout_ms, 50, 30000, "ms");
}
}  // namespace

std::vector<ems::ConfigIssue> validate_config(const Config& c) {
  Issues out = ems::validate(c.site);
  if (!c.meters.contains("grid")) out.push_back({"meter.grid", "(missing)", "is required"});
  for (const auto& [role, m] : c.meters) check_meter(out, role, m);
  for (std::size_t i = 0; i < c.station_links.size(); ++i) {
    const auto& l = c.station_links[i];
    const auto k = ems::station_key(i);
    check_host(out, k + ".host", l.host);
    range(out, k + ".port", l.port, 1, 65535);
    range(out, k + ".connect_timeout_ms", l.connect_timeout_ms, 100, 60000, "ms");
    range(out, k + ".response_timeout_ms", l.response_timeout_ms, 50, 30000, "ms");
    range(out, k + ".poll_interval_ms", l.poll_interval_ms, 100, 30000, "ms");
    if (!(l.refresh_margin_s >= 2 && l.refresh_margin_s <= 3600))
      out.push_back({k + ".refresh_margin_s", std::to_string(l.refresh_margin_s), "must be between 2 and 3600 s"});
  }
  if (c.sg_ready) {
    check_host(out, "heatpump.sg_ready.host", c.sg_ready->host);
    range(out, "heatpump.sg_ready.port", c.sg_ready->port, 1, 65535);
    range(out, "heatpump.sg_ready.unit", c.sg_ready->unit, 0, 255);
    range(out, "heatpump.sg_ready.output1_address", c.sg_ready->output1_address, 0, 65535);
    range(out, "heatpump.sg_ready.output2_address", c.sg_ready->output2_address, 0, 65535);
  }
  if (c.site.heatpump.enabled && !c.sg_ready)
    out.push_back({"heatpump.sg_ready", "(missing)",
                   "is required when [heatpump] is enabled: emsgw needs its two SG-Ready outputs"});
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error"};
  if (std::find(std::begin(kLevels), std::end(kLevels), c.log.level) == std::end(kLevels))
    out.push_back({"log.level", "\"" + c.log.level + "\"", "must be one of: trace, debug, info, warn, error"});
  return out;
}

}  // namespace emsgw::gateway
