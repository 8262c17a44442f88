#pragma once
// The worker factories: a meter driver for a [meter.<role>] section and a station device for a
// [[station]], each built by its kind's entry in the device registry (device_kinds.hpp). The
// runtime takes them as parameters so that tests can substitute fakes.

#include <functional>
#include <memory>

#include "drivers/charger/station_device.hpp"
#include "drivers/meters/meter_reading.hpp"
#include "drivers/meters/meter_settings.hpp"
#include "ems/time.hpp"

namespace emsgw::gateway {

struct Config;

/// Builds the meter driver for a [meter.<role>] section.
using MeterFactory =
    std::function<std::unique_ptr<drivers::EnergyMeter>(const drivers::MeterSettings&, const ems::Clock&)>;
/// Builds the device for a [[station]].
using StationFactory =
    std::function<std::unique_ptr<drivers::StationDevice>(const Config&, std::size_t station, const ems::Clock&)>;

/// The production meter factory: the driver of the section's kind, owning its link. A kind this
/// build does not know yields a meter whose every poll says so.
std::unique_ptr<drivers::EnergyMeter> make_meter(const drivers::MeterSettings& settings, const ems::Clock& clock);
/// The production station factory: the device of the [[station]]'s kind (default "alfen").
std::unique_ptr<drivers::StationDevice> make_station(const Config& config, std::size_t station,
                                                     const ems::Clock& clock);

}  // namespace emsgw::gateway
