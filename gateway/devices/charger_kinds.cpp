// The built-in charger kinds: one entry each, with the brand's rules and its device.
#include "drivers/alfen/alfen_probe.hpp"
#include "drivers/alfen/alfen_registers.hpp"
#include "drivers/alfen/alfen_station_device.hpp"
#include "drivers/alfen/alfen_station_rules.hpp"
#include "gateway/config/config.hpp"
#include "gateway/devices/device_kinds.hpp"

namespace emsgw::gateway {

namespace {

ChargerKindTraits alfen_kind() {
  ChargerKindTraits k;
  k.name = "alfen";
  k.default_port = drivers::alfen::kDefaultPort;
  k.validate = [](ConfigIssues& out, const ems::StationConfig& station, std::size_t index) {
    for (auto& issue : drivers::alfen::check_station(station, index)) out.push_back(std::move(issue));
  };
  k.make = [](const Config& config, std::size_t i, const ems::Clock& clock) -> std::unique_ptr<drivers::StationDevice> {
    const auto& station = config.site.stations[i];
    const auto& link = config.station_links[i];
    // The station named as the SCN's speaker also reads the SCN block (unit 200).
    const bool scn = config.site.control == ems::ControlMode::Scn && station.name == config.site.scn_station;
    drivers::TcpLink tcp;
    tcp.host = link.host;
    tcp.port = link.port;
    tcp.timing.connect_timeout_ms = link.connect_timeout_ms;
    tcp.timing.response_timeout_ms = link.response_timeout_ms;
    return std::make_unique<drivers::alfen::AlfenStationDevice>(tcp, drivers::alfen::socket_count(station), scn, clock,
                                                                link.pipelined_cuts);
  };
  k.probe = [](const ChargerProbe& p, const ems::Clock& clock, std::ostream& out) {
    drivers::alfen::ProbeRequest request;
    request.link.host = p.host;
    request.link.port = p.port;
    request.link.timing.connect_timeout_ms = p.timeout_ms;
    request.link.timing.response_timeout_ms = p.timeout_ms;
    request.test_write_a = p.test_write_a;
    request.test_phases = p.test_phases;
    return drivers::alfen::probe_station(request, clock, out);
  };
  return k;
}

}  // namespace

std::vector<ChargerKindTraits> builtin_charger_kinds() {
  return {alfen_kind()};
}

}  // namespace emsgw::gateway
