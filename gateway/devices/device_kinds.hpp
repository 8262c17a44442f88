#pragma once
// The one registry of device kinds: every meter kind ([meter.<role>] kind = …) and every charger
// kind ([[station]] kind = …) with its traits — its name, the keys it reads, its defaults, how it
// is paced, how its driver is built and probed. Config parsing (meter_section, station_section),
// validation (validate_config), the worker factories, `emsgw probe-meter`, the dashboard's probes
// and the configuration JSON all read it; none of them names a kind.
//
// A new meter kind is one folder (its driver) plus one line in builtin_meter_kinds()
// (meter_kinds.cpp), or a register_meter_kind() call made before the configuration is read.

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drivers/charger/station_device.hpp"
#include "drivers/meters/meter_reading.hpp"
#include "drivers/meters/meter_settings.hpp"
#include "ems/site_config.hpp"
#include "ems/time.hpp"

namespace emsgw::gateway {

struct Config;
namespace config_detail {
class TableReader;
}

using MeterResult = Result<drivers::MeterReading, drivers::MeterError>;
using ConfigIssues = std::vector<ems::ConfigIssue>;

/// A meter as `emsgw probe-meter` reads it: the driver, and what its kind has to say about one read.
struct MeterProbe {
  std::unique_ptr<drivers::EnergyMeter> meter;
  /// After the first poll: may read again and print what it measured (P1: the telegram interval).
  std::function<void(MeterResult& r, std::ostream& out)> settle;
  /// Hints about the reading, or about why there is none.
  std::function<std::vector<std::string>(const MeterResult& r)> hints;
  /// The hint when a reading carries no usable current or power.
  std::string not_sensible = "no current or power value is usable: check preset, unit id, function code and word order";
};

/// How a meter is reached: `host`/`port` over TCP, or a serial line (`device`, `baud`, …).
enum class MeterLink { Tcp, Serial };

struct MeterKindTraits {
  std::string_view name;  ///< the value of `kind`, e.g. "dsmr-serial"
  MeterLink link = MeterLink::Tcp;
  int default_port = 502;                       ///< MeterLink::Tcp
  drivers::SerialSettings default_serial = {};  ///< MeterLink::Serial (device left empty)
  /// The kind reads a Modbus unit id (`unit`), within this range.
  std::optional<std::pair<int, int>> unit_range;
  /// `preset` (and `map` for preset = "custom") select a Modbus register map.
  bool uses_preset = false;
  /// The meter sends readings on its own (telegrams): the worker waits for them instead of polling.
  bool paced_by_meter = false;
  /// A second connection would disturb it (a serial port has one owner; most P1 dongles serve one
  /// TCP client): the dashboard's probe reports the worker's latest reading instead.
  bool exclusive_link = false;
  /// How often the meter sends, for the configuration summary (empty: it is polled).
  std::string_view sends_every;

  /// The kind's own keys beyond the link, unit and preset ones (framing, tic_mode, …).
  std::function<void(config_detail::TableReader&, drivers::MeterSettings&)> parse_keys;
  /// The kind's own rules; `key` is "meter.<role>".
  std::function<void(ConfigIssues&, const std::string& key, const drivers::MeterSettings&)> validate;
  /// The production driver, owning its link.
  std::function<std::unique_ptr<drivers::EnergyMeter>(const drivers::MeterSettings&, const ems::Clock&)> make;
  /// The driver for one probe; `listen`: how long a meter that sends on its own is listened to.
  std::function<MeterProbe(const drivers::MeterSettings&, const ems::Clock&, ems::Millis listen)> probe;
};

/// Every meter kind, built-in ones first, in the order their names are listed.
[[nodiscard]] const std::vector<MeterKindTraits>& meter_kinds();
[[nodiscard]] const MeterKindTraits* find_meter_kind(std::string_view name);
/// "modbus-tcp, modbus-rtu, …", for messages.
[[nodiscard]] std::string meter_kind_names();
/// Adds a kind (a build or a test with its own driver); replaces one of the same name.
void register_meter_kind(MeterKindTraits kind);
/// Sets the kind's defaults (port, serial line) on `m`, as the configuration file applies them.
void apply_meter_kind_defaults(const MeterKindTraits& kind, drivers::MeterSettings& m);
/// Where the meter is, in words: "192.0.2.10:502 unit 1, preset eastron-sdm630".
[[nodiscard]] std::string meter_address(const drivers::MeterSettings& m);

/// The built-in meter kinds (meter_kinds.cpp).
[[nodiscard]] std::vector<MeterKindTraits> builtin_meter_kinds();

/// One commissioning read of a station (`emsgw probe-station`).
struct ChargerProbe {
  std::string host;
  int port = 502;
  int timeout_ms = 2000;
  double test_write_a = -1;  ///< < 0: no write test
  int test_phases = 0;       ///< 0: no phase test
};

struct ChargerKindTraits {
  std::string_view name;  ///< the value of [[station]] `kind`, e.g. "alfen"
  int default_port = 502;
  /// The brand's rules on one [[station]] (index `station`) and its sockets.
  std::function<void(ConfigIssues&, const ems::StationConfig&, std::size_t station)> validate;
  /// The device for [[station]] `station` of `config`.
  std::function<std::unique_ptr<drivers::StationDevice>(const Config&, std::size_t station, const ems::Clock&)> make;
  /// Reads the station once and explains on `out` what it reports; false when anything failed.
  std::function<bool(const ChargerProbe&, const ems::Clock&, std::ostream& out)> probe;
};

[[nodiscard]] const std::vector<ChargerKindTraits>& charger_kinds();
[[nodiscard]] const ChargerKindTraits* find_charger_kind(std::string_view name);
[[nodiscard]] std::string charger_kind_names();
void register_charger_kind(ChargerKindTraits kind);
/// The built-in charger kinds (charger_kinds.cpp).
[[nodiscard]] std::vector<ChargerKindTraits> builtin_charger_kinds();

}  // namespace emsgw::gateway
