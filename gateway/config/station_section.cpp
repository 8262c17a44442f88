// [[station]] and [[station.socket]]: the charging stations, their sockets and how to reach them.
// `kind` names the station's brand in the device registry (gateway/devices/device_kinds.hpp);
// "alfen" when absent.
#include "gateway/config/toml_reader.hpp"
#include "gateway/devices/device_kinds.hpp"

namespace emsgw::gateway::config_detail {

namespace {
void parse_socket(TableReader& r, ems::SocketConfig& so) {
  r.read("id", so.id, Need::Required);
  r.read("unit", so.unit, Need::Required);
  r.read("max_current_a", so.max_current_a, Need::Required);
  r.read("safe_current_a", so.safe_current_a);
  r.choice("phase_mapping", so.phase_mapping, ems::parse_phase_mapping, ems::phase_mapping_names(), Need::Required);
  r.choice("mode", so.mode, ems::parse_charge_mode, "off, now, minpv, pv");
}

void parse_station(TableReader& r, std::size_t index, ems::StationConfig& st, StationLink& link) {
  r.read("name", st.name, Need::Required);
  const auto names = charger_kind_names();
  const auto known = [](const std::string& k) {
    return find_charger_kind(k) ? std::optional<std::string>(k) : std::nullopt;
  };
  r.choice("kind", link.kind, known, names);
  if (const auto* kind = find_charger_kind(link.kind)) link.port = kind->default_port;
  r.read("host", link.host, Need::Required);
  r.read("port", link.port);
  r.read("max_current_a", st.max_current_a, Need::Required);
  r.read("phase_switching", st.phase_switching);
  r.read("circuit", st.circuit);
  r.read("connect_timeout_ms", link.connect_timeout_ms);
  r.read("response_timeout_ms", link.response_timeout_ms);
  r.read("poll_interval_ms", link.poll_interval_ms);
  r.read("pipelined_cuts", link.pipelined_cuts);
  r.read("refresh_margin_s", link.refresh_margin_s);
  const auto sockets = r.tables("socket", Need::Required);
  for (std::size_t j = 0; j < sockets.size(); ++j) {
    TableReader sr(*sockets[j], ems::socket_key(index, j), r.diag());
    parse_socket(sr, st.sockets.emplace_back());
  }
}
}  // namespace

void parse_station_section(TableReader& root, Config& cfg) {
  const auto stations = root.tables("station", Need::Required);
  for (std::size_t i = 0; i < stations.size(); ++i) {
    TableReader r(*stations[i], ems::station_key(i), root.diag());
    parse_station(r, i, cfg.site.stations.emplace_back(), cfg.station_links.emplace_back());
  }
}

}  // namespace emsgw::gateway::config_detail
