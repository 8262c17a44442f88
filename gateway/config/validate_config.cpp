#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>

#include "ems/circuits.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/config_schema.hpp"
#include "gateway/devices/device_kinds.hpp"

namespace emsgw::gateway {

namespace {
using Issues = std::vector<ems::ConfigIssue>;

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

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

/// The addresses `host` stands for (names resolved: "localhost" is 127.0.0.1 and ::1; IPv4-mapped
/// IPv6 as IPv4), or the lower-case name itself when it does not resolve.
std::set<std::string> endpoint_addresses(const std::string& host) {
  std::set<std::string> out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) == 0) {
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
      char text[INET6_ADDRSTRLEN] = {};
      if (a->ai_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
        ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
      } else if (a->ai_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
          in_addr v4{};
          std::memcpy(&v4, &v6->sin6_addr.s6_addr[12], sizeof v4);
          ::inet_ntop(AF_INET, &v4, text, sizeof text);
        } else {
          ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
        }
      }
      if (text[0] != '\0') out.insert(text);
    }
    ::freeaddrinfo(found);
  }
  if (out.empty()) {
    std::string name = host;
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out.insert(name);
  }
  return out;
}

/// Two [[station]] entries on one endpoint would count one station's connectors twice. Names are
/// resolved only for stations that share a port with another.
void check_duplicate_stations(Issues& out, const Config& c) {
  std::vector<std::optional<std::set<std::string>>> resolved(c.station_links.size());
  const auto addresses_of = [&](std::size_t k) -> const std::set<std::string>& {
    if (!resolved[k]) resolved[k] = endpoint_addresses(c.station_links[k].host);
    return *resolved[k];
  };
  for (std::size_t j = 0; j < c.station_links.size(); ++j)
    for (std::size_t i = 0; i < j; ++i) {
      const auto& a = c.station_links[i];
      const auto& b = c.station_links[j];
      if (a.port != b.port) continue;
      const auto& aa = addresses_of(i);
      const auto& ba = addresses_of(j);
      const bool same = std::any_of(ba.begin(), ba.end(), [&](const std::string& x) { return aa.contains(x); });
      if (!same) continue;
      const auto name = [&](std::size_t k) {
        return k < c.site.stations.size() ? "\"" + c.site.stations[k].name + "\"" : std::string("(unnamed)");
      };
      out.push_back({ems::station_key(j) + ".host", "\"" + b.host + ":" + std::to_string(b.port) + "\"",
                     "station " + name(j) + " has the same endpoint as station " + name(i) + " (" + a.host + ":" +
                         std::to_string(a.port) +
                         "): one station would be counted twice; every [[station]] must be "
                         "a different station"});
    }
}

/// The rules every meter follows, by its kind's traits (link, unit range), then the kind's own.
void check_meter(Issues& out, const std::string& role, const drivers::MeterSettings& m) {
  const std::string k = "meter." + role;
  const auto* kind = find_meter_kind(m.kind);
  if (kind == nullptr) {
    out.push_back({k + ".kind", "\"" + m.kind + "\"", "must be one of: " + meter_kind_names()});
    return;
  }
  if (kind->link == MeterLink::Tcp) {
    check_host(out, k + ".host", m.host);
    range(out, k + ".port", m.port, 1, 65535);
  }
  if (kind->unit_range) range(out, k + ".unit", m.unit, kind->unit_range->first, kind->unit_range->second);
  if (kind->link == MeterLink::Serial) {
    if (m.serial.device.empty())
      out.push_back({k + ".device", "\"\"", "must name a serial device such as /dev/ttyUSB0"});
    static constexpr int kBauds[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};
    if (std::find(std::begin(kBauds), std::end(kBauds), m.serial.baud) == std::end(kBauds))
      out.push_back({k + ".baud", std::to_string(m.serial.baud),
                     "must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200"});
    range(out, k + ".data_bits", m.serial.data_bits, 7, 8);
    range(out, k + ".stop_bits", m.serial.stop_bits, 1, 2);
  }
  if (kind->validate) kind->validate(out, k, m);
  range(out, k + ".poll_interval_ms", m.poll_interval_ms, 100, 60000, "ms");
  range(out, k + ".timeout_ms", m.timeout_ms, 50, 30000, "ms");
}

/// The station's brand is known, and its own rules hold (Alfen: units 1 and 2, at most 2 sockets).
void check_station_kind(Issues& out, const Config& c, std::size_t i) {
  const auto& kind_name = c.station_links[i].kind;
  const auto* kind = find_charger_kind(kind_name);
  if (kind == nullptr) {
    out.push_back({ems::station_key(i) + ".kind", "\"" + kind_name + "\"", "must be one of: " + charger_kind_names()});
    return;
  }
  if (kind->validate && i < c.site.stations.size()) kind->validate(out, c.site.stations[i], i);
}

void check_storage(Issues& out, const Config& c) {
  const auto& s = c.storage;
  if (s.path.empty()) out.push_back({"storage.path", "\"\"", "must name the SQLite file (or \":memory:\")"});
  check_schema_ranges(c, "storage", out);
  if (s.history_1min_retention_d * 24 < s.history_10s_retention_h)
    out.push_back({"storage.history_1min_retention_d", std::to_string(s.history_1min_retention_d),
                   "must cover at least storage.history_10s_retention_h (coarser history is kept longer)"});
  if (s.history_15min_retention_d < s.history_1min_retention_d)
    out.push_back({"storage.history_15min_retention_d", std::to_string(s.history_15min_retention_d),
                   "must be at least storage.history_1min_retention_d (coarser history is kept longer)"});
}

void check_influx(Issues& out, const Config& c) {
  const auto& s = c.influx;
  const auto& storage = c.storage;
  if (!s.enabled) return;
  if (storage.path.empty())
    out.push_back({"influx.enabled", "true",
                   "needs [storage] path: points wait in the SQLite outbox while InfluxDB is unreachable"});
  if (!(s.url.starts_with("http://") || s.url.starts_with("https://")) || s.url.find(' ') != std::string::npos)
    out.push_back({"influx.url", "\"" + s.url + "\"", "must be an http:// or https:// URL such as http://host:8086"});
  if (s.version != 1 && s.version != 2) {
    out.push_back({"influx.version", std::to_string(s.version), "must be 1 (/write) or 2 (/api/v2/write)"});
  } else if (s.version == 1) {
    if (s.database.empty()) out.push_back({"influx.database", "(missing)", "is required with version = 1"});
  } else {
    for (const auto& [key, value] :
         {std::pair{"influx.org", &s.org}, {"influx.bucket", &s.bucket}, {"influx.token", &s.token}})
      if (value->empty()) out.push_back({key, "(missing)", "is required with version = 2"});
  }
  check_schema_ranges(c, "influx", out);
  range(out, "influx.retry_max_s", s.retry_max_s, s.retry_min_s, 86400, "s");
}
/// The meters the circuits name exist and are meters of their own; a site without a grid meter has
/// no surplus and no import to measure.
void check_limits(Issues& out, const Config& c) {
  for (std::size_t i = 0; i < c.site.circuits.size(); ++i) {
    const auto& m = c.site.circuits[i].meter;
    if (m.empty()) continue;
    const auto key = ems::circuit_key(i) + ".meter";
    if (m == "grid" || m == "pv" || m == "heatpump")
      out.push_back({key, "\"" + m + "\"", "must name a [meter.<name>] of its own: grid, pv and heatpump are taken"});
    else if (!c.meters.contains(m))
      out.push_back({key, "\"" + m + "\"", "names no [meter." + m + "] section (empty: an unmetered circuit)"});
  }
  if (!c.site.grid_metered) {
    if (c.peak.enabled)
      out.push_back({"peak.enabled", "true",
                     "needs a grid meter: the quarter-hour peak is measured at the grid connection "
                     "([meter.grid] kind = \"none\")"});
    for (std::size_t i = 0; i < c.site.stations.size(); ++i)
      for (std::size_t j = 0; j < c.site.stations[i].sockets.size(); ++j) {
        const auto mode = c.site.stations[i].sockets[j].mode;
        if (mode == ems::ChargeMode::Pv || mode == ems::ChargeMode::MinPv)
          out.push_back({ems::socket_key(i, j) + ".mode", "\"" + std::string(ems::to_string(mode)) + "\"",
                         "needs a grid meter: the surplus is the export at the grid connection "
                         "([meter.grid] kind = \"none\")"});
      }
  }
  check_schema_ranges(c, "peak", out);
  if (c.peak.enabled && c.peak.target_kw > 0 && c.peak.margin_kw >= c.peak.target_kw)
    out.push_back({"peak.margin_kw", number_text(c.peak.margin_kw),
                   "must be below peak.target_kw (" + number_text(c.peak.target_kw) + " kW)"});
  check_schema_ranges(c, "grid_operator", out);
  const auto& g = c.grid_operator;
  if (g.input == "modbus-di") check_host(out, "grid_operator.host", g.host);
  if (g.input == "gpio")
    out.push_back({"grid_operator.input", "\"gpio\"",
                   "a GPIO line is not supported by this build: wire the contact to a Modbus I/O module's "
                   "discrete input (input = \"modbus-di\")"});
}
}  // namespace

std::vector<ems::ConfigIssue> validate_config(const Config& c) {
  Issues out = ems::validate(c.site);
  if (c.site.grid_metered && !c.meters.contains("grid")) out.push_back({"meter.grid", "(missing)", "is required"});
  check_limits(out, c);
  for (auto& issue : validate_schedules(c.schedules, c.site)) out.push_back(std::move(issue));
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
    check_station_kind(out, c, i);
  }
  check_duplicate_stations(out, c);
  if (c.sg_ready) {
    check_host(out, "heatpump.sg_ready.host", c.sg_ready->host);
    check_schema_ranges(c, "heatpump.sg_ready", out);
  }
  if (c.site.heatpump.enabled && !c.sg_ready)
    out.push_back({"heatpump.sg_ready", "(missing)",
                   "is required when [heatpump] is enabled: emsgw needs its two SG-Ready outputs"});
  check_schema_ranges(c, "control", out);
  check_schema_ranges(c, "log", out);
  check_storage(out, c);
  check_influx(out, c);
  for (auto& issue : mqtt::validate_settings(c.mqtt)) out.push_back(std::move(issue));
  for (auto& issue : webui::validate_settings(c.web)) out.push_back(std::move(issue));
  return out;
}

}  // namespace emsgw::gateway
