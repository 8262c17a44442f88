#include "gateway/devices/device_factories.hpp"

#include "gateway/config/config.hpp"
#include "gateway/devices/device_kinds.hpp"

namespace emsgw::gateway {

namespace {

/// A meter kind this build cannot read: every poll says so (the control loop raises a fault and,
/// for the grid meter, the fail-safe holds).
class UnsupportedMeter final : public drivers::EnergyMeter {
 public:
  explicit UnsupportedMeter(std::string what) : what_(std::move(what)) {}
  MeterResult poll() override {
    return Unexpected(drivers::MeterError{drivers::MeterError::Kind::Config, false, what_});
  }
  [[nodiscard]] std::string describe() const override { return what_; }

 private:
  std::string what_;
};

/// A station kind this build cannot drive: it never answers and refuses every write (the control
/// loop counts it at its safe current, as any silent station).
class UnsupportedStation final : public drivers::StationDevice {
 public:
  UnsupportedStation(std::string what, const ems::Clock& clock) : what_(std::move(what)), clock_(clock) {}
  drivers::StationSample poll() override {
    drivers::StationSample s;
    s.at = clock_.mono_now();
    s.started = s.at;
    s.wall = clock_.wall_now();
    s.error = what_;
    return s;
  }
  drivers::WriteOutcome write_current(int, double) override { return refused(); }
  drivers::WriteOutcome write_scn(const std::array<double, 3>&) override { return refused(); }
  drivers::WriteOutcome write_phases(int, int) override { return refused(); }
  [[nodiscard]] std::string describe() const override { return what_; }

 private:
  [[nodiscard]] drivers::WriteOutcome refused() const {
    drivers::WriteOutcome o;
    o.error = what_;
    o.permanent = true;
    return o;
  }
  std::string what_;
  const ems::Clock& clock_;
};

}  // namespace

std::unique_ptr<drivers::EnergyMeter> make_meter(const drivers::MeterSettings& s, const ems::Clock& clock) {
  if (const auto* kind = find_meter_kind(s.kind); kind != nullptr && kind->make) return kind->make(s, clock);
  return std::make_unique<UnsupportedMeter>("unknown meter kind \"" + s.kind + "\"");
}

std::unique_ptr<drivers::StationDevice> make_station(const Config& config, std::size_t station,
                                                     const ems::Clock& clock) {
  const auto& name = config.station_links[station].kind;
  if (const auto* kind = find_charger_kind(name); kind != nullptr && kind->make)
    return kind->make(config, station, clock);
  return std::make_unique<UnsupportedStation>("unknown station kind \"" + name + "\"", clock);
}

}  // namespace emsgw::gateway
