#include "gateway/devices/device_probes.hpp"

#include <cstdio>

#include "drivers/meters/meter_reading.hpp"
#include "gateway/control/status_builder.hpp"
#include "gateway/devices/device_kinds.hpp"
#include "gateway/devices/meter_findings.hpp"
#include "gateway/devices/station_findings.hpp"

namespace emsgw::gateway {

using nlohmann::json;

namespace {

std::string amps(double a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f A", a);
  return buf;
}

json optional_json(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}

json measurement_json(const drivers::Measurement& m) {
  return optional_json(m.value());
}

/// The station's Mode 3 state in the dashboard's words (ems::describe).
std::string_view state_words(ems::ConnectorState s) {
  using C = ems::ConnectorState;
  using S = ems::SocketState;
  switch (s) {
    case C::Available: return ems::describe(S::Available);
    case C::Connected: return ems::describe(S::Connected);
    case C::Charging: return ems::describe(S::Charging);
    case C::Fault: return ems::describe(S::Fault);
    case C::Unknown: break;
  }
  return ems::describe(S::Unknown);
}

/// One line of the device test for people: ok or a problem, its words and, for a problem, the fix.
json finding_json(bool ok, const std::string& text, const std::string& fix = {}) {
  json f = {{"ok", ok}, {"text", text}};
  if (!fix.empty()) f["fix"] = fix;
  return f;
}

/// Meters that a second connection would disturb (a serial port has one owner, and most P1
/// dongles serve one TCP client): their kind says so.
bool held_by_worker(const std::string& kind) {
  const auto* k = find_meter_kind(kind);
  return k == nullptr || k->exclusive_link;
}

}  // namespace

DeviceProbes::DeviceProbes(ConfigSource config, StatusSource status, MeterFactory meters, StationFactory stations,
                           const ems::Clock& clock)
    : config_(std::move(config)),
      status_(std::move(status)),
      meters_(std::move(meters)),
      stations_(std::move(stations)),
      clock_(clock) {}

webui::ProbeResult DeviceProbes::run(webui::ProbeKind kind, const std::string& target) {
  const auto config = config_();
  return kind == webui::ProbeKind::Meter ? probe_meter(config, target) : probe_station(config, target);
}

webui::ProbeResult DeviceProbes::probe_meter(const Config& config, const std::string& role) {
  const auto it = config.meters.find(role);
  if (it == config.meters.end()) return {false, "no meter with role \"" + role + "\" is configured", json::object()};
  const auto& settings = it->second;
  const std::string where =
      settings.host.empty() ? settings.serial.device : settings.host + ":" + std::to_string(settings.port);
  json details = {{"role", role}, {"kind", settings.kind}, {"address", where}};

  if (held_by_worker(settings.kind)) {
    // The worker owns the device; report what it read last.
    const auto status = status_ ? status_() : nullptr;
    details["source"] = "latest reading of the running meter worker";
    if (!status) return {false, role + " meter: no reading yet (emsgw is starting)", details};
    if (role != "grid") {
      const auto& p = role == "pv" ? status->pv.power_w : status->heatpump.power_w;
      details["power_w"] = optional_json(p);
      if (!p) return {false, role + " meter (" + where + "): no valid reading", details};
      return {true, role + " meter (" + where + ") reads " + std::to_string(static_cast<int>(*p)) + " W", details};
    }
    const auto& g = status->grid;
    details["current_a"] = {optional_json(g.current_a[0]), optional_json(g.current_a[1]),
                            optional_json(g.current_a[2])};
    details["age_s"] = optional_json(g.age_s);
    json findings = json::array();
    if (g.stale || !g.current_a[0]) {
      findings.push_back(finding_json(false, "no recent reading", "check the cable and the serial settings"));
      details["findings"] = findings;
      return {false, "grid meter (" + where + "): no recent reading — check the cable and the serial settings",
              details};
    }
    std::string summary = "grid meter (" + where + ") reads";
    std::string per_phase = "current per phase:";
    int phases = 0;
    for (std::size_t p = 0; p < 3; ++p) {
      per_phase += " L" + std::to_string(p + 1) + " " + (g.current_a[p] ? finding_amps(*g.current_a[p]) : "-");
      if (!g.current_a[p]) continue;
      ++phases;
      summary += " L" + std::to_string(p + 1) + " " + amps(*g.current_a[p]);
    }
    findings.push_back(finding_json(true, per_phase + " (import +, export -)"));
    findings.push_back(
        finding_json(true, "current on " + std::to_string(phases) + (phases == 1 ? " phase" : " phases")));
    if (g.age_s) {
      char age[48];
      std::snprintf(age, sizeof age, "newest reading %.1f s old", *g.age_s);
      findings.push_back(finding_json(true, age));
    }
    details["findings"] = findings;
    return {true, summary, details};
  }

  auto meter = meters_(settings, clock_);
  if (!meter) return {false, role + " meter: this kind cannot be probed", details};
  details["device"] = meter->describe();
  auto r = meter->poll();
  if (!r)
    return {false,
            role + " meter (" + where + ") did not answer: " + r.error().message +
                " — check address, port, unit id and that nothing else blocks the connection",
            details};
  json current = json::array(), voltage = json::array(), power = json::array();
  std::string summary = role + " meter (" + where + ") answered:";
  bool any = false;
  for (std::size_t p = 0; p < 3; ++p) {
    current.push_back(measurement_json(r->current_a[p]));
    voltage.push_back(measurement_json(r->voltage_v[p]));
    power.push_back(measurement_json(r->power_w[p]));
    if (const auto a = r->current_a[p].value()) {
      summary += " L" + std::to_string(p + 1) + " " + amps(*a);
      any = true;
    }
  }
  details["current_a"] = current;
  details["voltage_v"] = voltage;
  details["power_w"] = power;
  details["power_total_w"] = measurement_json(r->power_total_w);
  details["energy_import_wh"] = measurement_json(r->energy_import_wh);
  details["energy_export_wh"] = measurement_json(r->energy_export_wh);
  details["rejected_values"] = r->rejected;
  json findings = json::array();
  findings.push_back(finding_json(true, "answers: " + meter->describe()));
  for (const auto& f : meter_findings(*r)) findings.push_back(finding_json(f.ok, f.text, f.fix));
  details["findings"] = findings;
  if (!any && r->power_total_w.valid()) {
    summary += " " + std::to_string(static_cast<int>(*r->power_total_w.value())) + " W";
    any = true;
  }
  if (!any)
    return {false,
            role + " meter (" + where +
                ") answered, but no current or power is usable: check the preset, unit id, function code and word "
                "order",
            details};
  return {true, summary, details};
}

webui::ProbeResult DeviceProbes::probe_station(const Config& config, const std::string& name) {
  std::size_t index = config.site.stations.size();
  for (std::size_t i = 0; i < config.site.stations.size(); ++i)
    if (config.site.stations[i].name == name) index = i;
  if (index == config.site.stations.size())
    return {false, "no station named \"" + name + "\" is configured", json::object()};
  const auto& link = config.station_links[index];
  const std::string where = link.host + ":" + std::to_string(link.port);
  json details = {{"station", name}, {"address", where}};
  auto device = stations_(config, index, clock_);
  const auto s = device->poll();
  json findings = json::array();
  if (!s.ok) {
    findings.push_back(finding_json(false, "no answer: " + s.error,
                                    "check the address and that the station's Modbus TCP slave is on (ACE Service "
                                    "Installer: Active Load Balancing, data source Energy Management System)"));
    details["findings"] = findings;
    return {false, "station " + name + " (" + where + ") did not answer: " + s.error, details};
  }
  findings.push_back(finding_json(
      true, "answers: " + s.platform + " firmware " + s.firmware + (s.serial.empty() ? "" : ", serial " + s.serial)));
  // The station's settings against the file: the same findings as check-site.
  bool settings_match = true;
  for (const auto& f : station_findings(config.site, index, s)) {
    const auto subject = finding_subject(f);
    const auto prefix = subject.empty() ? std::string() : subject + ": ";
    if (f.matches) {
      findings.push_back(finding_json(true, prefix + match_words(f)));
      continue;
    }
    settings_match = false;
    findings.push_back(finding_json(false, prefix + mismatch_words(f),
                                    f.fix + (f.meanwhile.empty() ? "" : " (" + f.meanwhile + " meanwhile)")));
  }
  details["platform"] = s.platform;
  details["firmware"] = s.firmware;
  details["serial"] = s.serial;
  details["station_max_current_a"] = optional_json(s.station_max_a);
  json sockets = json::array();
  std::string summary = "station " + name + " (" + where + ") answered: " + s.platform + " firmware " + s.firmware;
  for (const auto& so : s.sockets) {
    sockets.push_back(
        {{"unit", so.unit},
         {"read", so.valid},
         {"mode3", so.mode3},
         {"state", state_words(so.state)},
         {"current_a",
          {optional_json(so.current_a[0]), optional_json(so.current_a[1]), optional_json(so.current_a[2])}},
         {"applied_a", optional_json(so.applied_a)},
         {"setpoint_a", optional_json(so.setpoint_a)},
         {"validity_s", optional_json(so.validity_s)},
         {"safe_current_a", optional_json(so.safe_current_a)},
         {"phases", so.phases}});
    summary += "; socket " + std::to_string(so.unit) + ": " + std::string(state_words(so.state));
    if (so.applied_a) summary += ", limit " + amps(*so.applied_a);
    if (!so.valid) continue;
    std::string line = "socket unit " + std::to_string(so.unit) + ": " +
                       (so.mode3.empty() ? std::string() : "Mode 3 state " + so.mode3 + ", ") + mode3_words(so.mode3);
    if (so.applied_a) line += "; the station applies " + finding_amps(*so.applied_a);
    findings.push_back(finding_json(true, line));
    if (const auto words = station_state_words(so); !words.empty())
      findings.push_back(finding_json(false, "socket unit " + std::to_string(so.unit) + ": " + words,
                                      "see the station's display or log (ACE Service Installer)"));
  }
  details["sockets"] = sockets;
  details["findings"] = findings;
  for (const auto& so : s.sockets)
    if (!so.valid)
      return {false, summary + " — socket " + std::to_string(so.unit) + " could not be read (is it configured?)",
              details};
  if (!settings_match) return {false, summary + " — its settings differ from the file (see below)", details};
  return {true, summary, details};
}

}  // namespace emsgw::gateway
