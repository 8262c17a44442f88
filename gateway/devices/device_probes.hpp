#pragma once
// The "Test meter" and "Test station" buttons (the guide's Test Smart Meter, alfen-smart-charging.md
// §5): one read of the device as the configuration describes it now — including changes saved from
// the web that take effect at the next start, so an installer can check a new address before
// restarting. Modbus TCP devices are read over a connection of their own (meters and Alfen stations
// accept several masters); a serial port or a P1 dongle is held by the running meter worker, so for
// those the probe reports what that worker read last instead of opening the device a second time.

#include <functional>
#include <memory>

#include "ems/site_status.hpp"
#include "gateway/config/config.hpp"
#include "gateway/devices/device_factories.hpp"
#include "webui/probe_service.hpp"

namespace emsgw::gateway {

class DeviceProbes final : public webui::ProbeService {
 public:
  using ConfigSource = std::function<Config()>;
  using StatusSource = std::function<std::shared_ptr<const ems::SiteStatus>()>;

  DeviceProbes(ConfigSource config, StatusSource status, MeterFactory meters, StationFactory stations,
               const ems::Clock& clock);

  [[nodiscard]] webui::ProbeResult run(webui::ProbeKind kind, const std::string& target) override;

 private:
  webui::ProbeResult probe_meter(const Config& config, const std::string& role);
  webui::ProbeResult probe_station(const Config& config, const std::string& name);

  ConfigSource config_;
  StatusSource status_;
  MeterFactory meters_;
  StationFactory stations_;
  const ems::Clock& clock_;
};

}  // namespace emsgw::gateway
