#pragma once
// Home Assistant MQTT device discovery (protocols.md §6): one retained config message per device
// on <discovery prefix>/device/<device id>/config — a gateway device (grid, PV, heat pump, site
// control) and one device per charging station (its sockets). Pure: config in, messages out.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "ems/site_config.hpp"
#include "mqtt/topics.hpp"

namespace emsgw::mqtt {

/// What discovery needs to know about the site beyond its SiteConfig.
struct SiteDescription {
  ems::SiteConfig site;
  bool has_pv = false;            ///< a PV meter is configured
  bool has_heatpump = false;      ///< a heat-pump meter or SG-Ready output is configured
  bool has_peak = false;          ///< the quarter-hour peak is controlled ([peak] on a metered site)
  std::string sw_version;         ///< emsgw's version, shown on the device page
  std::string configuration_url;  ///< the web UI, if known (device "cu")
  std::string currency;           ///< the [tariff]'s currency ("" without a tariff: no cost sensor)
};

struct DiscoveryMessage {
  std::string topic;
  nlohmann::json payload;
};

/// Home Assistant device id of the gateway: "emsgw_<site>".
[[nodiscard]] std::string gateway_device_id(const ems::SiteConfig& site);
/// Device id of a station: "emsgw_<site>_<station>".
[[nodiscard]] std::string station_device_id(const ems::SiteConfig& site, std::string_view station_name);

/// The discovery messages of the whole site: the gateway first, then each station. Every entity has
/// a unique_id and a default_entity_id (never the deprecated object_id), the availability topic of
/// `topics`, and for sensors the device_class / state_class / unit of protocols.md §6.3.
[[nodiscard]] std::vector<DiscoveryMessage> discovery_messages(const SiteDescription& description, const Topics& topics,
                                                               std::string_view discovery_prefix = "homeassistant");

}  // namespace emsgw::mqtt
