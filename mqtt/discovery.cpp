#include "mqtt/discovery.hpp"

#include <algorithm>
#include <array>

#include "ems/site_status.hpp"

namespace emsgw::mqtt {

namespace {
using nlohmann::json;

constexpr std::string_view kOrigin = "emsgw";

/// Collects the components (cmps) of one device. Keys become the component ids; unique ids are
/// "<device id>_<key>", entity ids "<platform>.<unique id>".
class Components {
 public:
  explicit Components(std::string device_id) : device_id_(std::move(device_id)) {}

  json& add(std::string_view key, std::string_view platform, std::string_view name) {
    const std::string uid = device_id_ + "_" + std::string(key);
    json c = {
        {"p", platform}, {"name", name}, {"unique_id", uid}, {"default_entity_id", std::string(platform) + "." + uid}};
    return cmps_[std::string(key)] = std::move(c);
  }
  /// A numeric sensor with the device class, unit and state class of protocols.md §6.3.
  json& sensor(std::string_view key, std::string_view name, std::string state_topic, std::string_view device_class,
               std::string_view unit, std::string_view state_class, int precision) {
    json& c = add(key, "sensor", name);
    c["state_topic"] = std::move(state_topic);
    c["device_class"] = device_class;
    c["unit_of_measurement"] = unit;
    c["state_class"] = state_class;
    c["suggested_display_precision"] = precision;
    return c;
  }
  json& current(std::string_view key, std::string_view name, std::string topic) {
    return sensor(key, name, std::move(topic), "current", "A", "measurement", 1);
  }
  json& power(std::string_view key, std::string_view name, std::string topic) {
    return sensor(key, name, std::move(topic), "power", "W", "measurement", 0);
  }
  json& energy(std::string_view key, std::string_view name, std::string topic) {
    return sensor(key, name, std::move(topic), "energy", "kWh", "total_increasing", 2);
  }
  json& text(std::string_view key, std::string_view name, std::string topic) {
    json& c = add(key, "sensor", name);
    c["state_topic"] = std::move(topic);
    return c;
  }
  json& enumeration(std::string_view key, std::string_view name, std::string topic, json options) {
    json& c = text(key, name, std::move(topic));
    c["device_class"] = "enum";
    c["options"] = std::move(options);
    return c;
  }
  json& binary(std::string_view key, std::string_view name, std::string topic, std::string_view device_class) {
    json& c = add(key, "binary_sensor", name);
    c["state_topic"] = std::move(topic);
    c["device_class"] = device_class;
    c["payload_on"] = "ON";
    c["payload_off"] = "OFF";
    return c;
  }
  /// A writable current limit: state on `topic`, commands on `topic`/set.
  json& number_a(std::string_view key, std::string_view name, const std::string& topic, double min, double max,
                 double step) {
    json& c = add(key, "number", name);
    c["state_topic"] = topic;
    c["command_topic"] = topic + "/set";
    c["device_class"] = "current";
    c["unit_of_measurement"] = "A";
    c["min"] = min;
    c["max"] = max;
    c["step"] = step;
    c["mode"] = "box";
    return c;
  }
  json take() { return std::move(cmps_); }

 private:
  std::string device_id_;
  json cmps_ = json::object();
};

json origin(const SiteDescription& d) {
  json o = {{"name", kOrigin}};
  if (!d.sw_version.empty()) o["sw"] = d.sw_version;
  return o;
}

json device_root(const SiteDescription& d, const Topics& t, json dev, json cmps) {
  return {{"dev", std::move(dev)},
          {"o", origin(d)},
          {"availability_topic", t.status()},
          {"payload_available", "online"},
          {"payload_not_available", "offline"},
          {"qos", 1},
          {"cmps", std::move(cmps)}};
}

std::string phase_name(int p) {
  return "L" + std::to_string(p + 1);
}
std::string phase_key(int p) {
  return "l" + std::to_string(p + 1);
}

json socket_state_options() {
  json o = json::array();
  for (int i = 0; i <= static_cast<int>(ems::SocketState::Fault); ++i)
    o.push_back(std::string(ems::to_string(static_cast<ems::SocketState>(i))));
  return o;
}

DiscoveryMessage gateway_message(const SiteDescription& d, const Topics& t) {
  const auto& site = d.site;
  const std::string id = gateway_device_id(site);
  const int phases = std::clamp(site.grid_phases, 1, static_cast<int>(ems::kPhaseCount));
  Components c(id);

  c.enumeration("control", "Control mode", t.site("control"), json::array({"sockets", "scn"}));
  c.enumeration("state", "Control state", t.site("state"), json::array({"normal", "degraded", "suspended"}));
  c.binary("degraded", "Degraded", t.site("degraded"), "problem");
  c.text("degraded_reasons", "Degraded reasons", t.site("degraded_reasons"))["entity_category"] = "diagnostic";
  json& faults = c.text("faults", "Active faults", t.site("faults"));
  faults["state_class"] = "measurement";
  faults["entity_category"] = "diagnostic";
  json& suspend = c.add("suspended", "switch", "Charging suspended");
  suspend["state_topic"] = t.site("suspended");
  suspend["command_topic"] = t.site("suspended") + "/set";
  suspend["payload_on"] = "ON";
  suspend["payload_off"] = "OFF";
  // Range of site.grid_max_current_a in ems::validate (1..5000 A).
  c.number_a("grid_max_current", "Grid limit per phase", t.site("grid_max_current"), 1, 5000, 1);
  for (int p = 0; p < phases; ++p) {
    c.current(phase_key(p) + "_budget", "Budget " + phase_name(p), t.site(phase_key(p) + "_budget"));
    c.current(phase_key(p) + "_ev_allocated", "EV allocated " + phase_name(p), t.site(phase_key(p) + "_ev_allocated"));
  }

  c.power("grid_power", "Grid power", t.grid("power"));
  for (int p = 0; p < phases; ++p) {
    c.current("grid_" + phase_key(p) + "_current", "Grid current " + phase_name(p), t.grid_phase(p, "current"));
    c.power("grid_" + phase_key(p) + "_power", "Grid power " + phase_name(p), t.grid_phase(p, "power"));
    c.sensor("grid_" + phase_key(p) + "_voltage", "Grid voltage " + phase_name(p), t.grid_phase(p, "voltage"),
             "voltage", "V", "measurement", 1);
  }
  c.energy("grid_import_energy", "Grid import", t.grid("import_energy"));
  c.energy("grid_export_energy", "Grid export", t.grid("export_energy"));
  c.binary("grid_stale", "Grid meter stale", t.grid("stale"), "problem")["entity_category"] = "diagnostic";

  if (d.has_pv) {
    c.power("pv_power", "PV power", t.pv("power"));
    c.energy("pv_energy", "PV energy", t.pv("energy"));
    c.binary("pv_stale", "PV reading stale", t.pv("stale"), "problem")["entity_category"] = "diagnostic";
  }
  if (d.has_heatpump) {
    c.power("heatpump_power", "Heat pump power", t.heatpump("power"));
    c.enumeration("heatpump_sg_ready", "Heat pump SG-Ready state", t.heatpump("sg_ready"),
                  json::array({"1", "2", "3", "4"}));
    c.text("heatpump_reason", "Heat pump reason", t.heatpump("reason"));
  }

  if (d.has_peak) {
    c.sensor("peak_quarter_energy", "Quarter-hour energy", t.peak("quarter_energy"), "energy", "Wh", "total", 0);
    c.power("peak_projected_average", "Quarter-hour projected average", t.peak("projected_average"));
    c.power("peak_month_peak", "Month's quarter-hour peak", t.peak("month_peak"));
    c.power("peak_target", "Quarter-hour target", t.peak("target"));
    c.power("peak_allowed_import", "Quarter-hour import allowed", t.peak("allowed_import"));
  }
  c.enumeration("grid_operator_state", "Grid operator dimming", t.grid_operator("state"),
                json::array({"unlimited", "limited", "failsafe"}));
  c.power("grid_operator_limit", "Grid operator limit", t.grid_operator("limit"));
  c.text("grid_operator_source", "Grid operator limit source", t.grid_operator("source"))["entity_category"] =
      "diagnostic";
  for (const auto& ci : site.circuits) {
    const std::string k = "circuit_" + topic_segment(ci.name) + "_";
    const std::string n = "Circuit " + ci.name + " ";
    c.power(k + "load_power", n + "load", t.circuit(ci.name, "load_power"));
    for (int p = 0; p < phases; ++p)
      c.current(k + phase_key(p) + "_load", n + "load " + phase_name(p), t.circuit(ci.name, phase_key(p) + "_load"));
  }

  json dev = {{"ids", json::array({id})},
              {"name", "emsgw " + site.name},
              {"mf", "emsgw"},
              {"mdl", "Energy management gateway"}};
  if (!d.sw_version.empty()) dev["sw"] = d.sw_version;
  if (!d.configuration_url.empty()) dev["cu"] = d.configuration_url;
  return {"", device_root(d, t, std::move(dev), c.take())};
}

DiscoveryMessage station_message(const SiteDescription& d, const Topics& t, const ems::StationConfig& st) {
  const auto& site = d.site;
  const std::string id = station_device_id(site, st.name);
  Components c(id);
  c.binary("online", "Online", t.station(st.name, "online"), "connectivity")["entity_category"] = "diagnostic";
  c.text("fault", "Fault", t.station(st.name, "fault"))["entity_category"] = "diagnostic";

  for (const auto& so : st.sockets) {
    const std::string k = "socket" + std::to_string(so.id) + "_";
    const std::string n = "Socket " + std::to_string(so.id) + " ";
    c.enumeration(k + "state", n + "state", t.socket(so.id, "state"), socket_state_options());
    c.text(k + "state_text", n + "status", t.socket(so.id, "state_text"));
    c.text(k + "reason", n + "reason", t.socket(so.id, "reason_text"));
    c.text(k + "reason_code", n + "reason code", t.socket(so.id, "reason"))["entity_category"] = "diagnostic";
    c.binary(k + "ev_connected", n + "EV connected", t.socket(so.id, "ev_connected"), "plug");
    c.binary(k + "charging", n + "charging", t.socket(so.id, "charging"), "battery_charging");
    c.binary(k + "online", n + "online", t.socket(so.id, "online"), "connectivity")["entity_category"] = "diagnostic";
    c.current(k + "setpoint", n + "set-point", t.socket(so.id, "setpoint"));
    c.current(k + "applied", n + "applied limit", t.socket(so.id, "applied"));
    for (int p = 0; p < static_cast<int>(ems::kPhaseCount); ++p)
      c.current(k + phase_key(p) + "_current", n + "current " + phase_name(p), t.socket_phase(so.id, p, "current"));
    c.text(k + "phases", n + "phases in use", t.socket(so.id, "phases"))["entity_category"] = "diagnostic";
    c.energy(k + "session_energy", n + "session energy", t.socket(so.id, "session_energy"));
    c.energy(k + "total_energy", n + "total energy", t.socket(so.id, "total_energy"));
    // The session that ended last: a figure, not a counter (no state class: kept out of the
    // Energy dashboard's sums, which use the total_increasing sensors above).
    json& last = c.sensor(k + "last_session_energy", n + "last session energy", t.socket(so.id, "last_session_energy"),
                          "energy", "kWh", "", 2);
    last.erase("state_class");
    if (!d.currency.empty()) {
      json& cost = c.sensor(k + "last_session_cost", n + "last session cost", t.socket(so.id, "last_session_cost"),
                            "monetary", d.currency, "", 2);
      cost.erase("state_class");
    }
    json& mode = c.add(k + "mode", "select", n + "mode");
    mode["state_topic"] = t.socket(so.id, "mode");
    mode["command_topic"] = t.socket(so.id, "mode") + "/set";
    mode["options"] = json::array({"off", "now", "minpv", "pv"});
    // Range of a socket's max_current_a in ems::validate: site minimum .. its station's maximum.
    c.number_a(k + "max_current", n + "maximum current", t.socket(so.id, "max_current"), site.min_current_a,
               std::max(site.min_current_a, st.max_current_a), 1);
  }

  json dev = {{"ids", json::array({id})},
              {"name", st.name},
              {"mf", "Alfen"},
              {"mdl", "Charging station"},
              {"via_device", gateway_device_id(site)}};
  return {"", device_root(d, t, std::move(dev), c.take())};
}
}  // namespace

std::string gateway_device_id(const ems::SiteConfig& site) {
  return "emsgw_" + topic_segment(site.name);
}

std::string station_device_id(const ems::SiteConfig& site, std::string_view station_name) {
  return gateway_device_id(site) + "_" + topic_segment(station_name);
}

std::vector<DiscoveryMessage> discovery_messages(const SiteDescription& d, const Topics& t,
                                                 std::string_view discovery_prefix) {
  const auto topic = [&](const std::string& id) { return std::string(discovery_prefix) + "/device/" + id + "/config"; };
  std::vector<DiscoveryMessage> out;
  out.push_back(gateway_message(d, t));
  out.back().topic = topic(gateway_device_id(d.site));
  for (const auto& st : d.site.stations) {
    out.push_back(station_message(d, t, st));
    out.back().topic = topic(station_device_id(d.site, st.name));
  }
  return out;
}

}  // namespace emsgw::mqtt
