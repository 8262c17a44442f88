#pragma once
// A station's own settings against the configuration file, as one list of findings: its maximum
// (1100), each socket's safe current (1212) and live phases (voltage on 306/308/310), an answer for
// every configured unit, and in SCN mode whether the SCN budget is enabled (1431). `emsgw
// check-site`, the dashboard's "Test station" and the control loop's faults all read this list, so
// they never disagree. Pure: a sample and the configuration in, findings out.

#include <optional>
#include <string>
#include <vector>

#include "drivers/charger/station_sample.hpp"
#include "ems/site_config.hpp"

namespace emsgw::gateway {

struct StationFinding {
  /// Stable name: "max_current", "<unit>:safe_current", "<unit>:phases", "<unit>:unit", "scn".
  std::string code;
  int unit = 0;                  ///< the socket's Modbus unit; 0 for the station as a whole
  std::optional<int> socket_id;  ///< the configured socket, when the finding is a socket's
  std::string what;              ///< "safe current"
  std::string source;            ///< where the station's value comes from: "1212"
  std::string station_value;     ///< "6 A"
  std::string key;               ///< the file's key: "safe_current_a"
  std::string path;              ///< the key with its place: "station[0].socket[0].safe_current_a"
  std::string file_value;        ///< "8 A"
  bool matches = true;
  std::string fix;        ///< how to put it right (empty when it matches)
  std::string meanwhile;  ///< what emsgw does until then ("emsgw counts the higher 10 A")
  std::string problem;    ///< the mismatch in words when it is not a comparison of two values
};

/// Every finding for station `index` of `site` from one good sample, in a fixed order: the
/// station's maximum, then per configured socket its unit, safe current and phases, then the SCN.
/// A value the station did not report gives no finding.
[[nodiscard]] std::vector<StationFinding> station_findings(const ems::SiteConfig& site, std::size_t index,
                                                           const drivers::StationSample& sample);

/// "socket id 0 (unit 1)", or "" for the station as a whole.
[[nodiscard]] std::string finding_subject(const StationFinding& f);
/// A mismatch in words: "the station's safe current (1212) is 6 A, the file says safe_current_a =
/// 8 A"; with `full_path` the key is named with its place in the file.
[[nodiscard]] std::string mismatch_words(const StationFinding& f, bool full_path = false);
/// A match in words: "safe current 6 A as in the file".
[[nodiscard]] std::string match_words(const StationFinding& f);
/// Amps as people read them: "6 A", "6.5 A".
[[nodiscard]] std::string finding_amps(double a);

}  // namespace emsgw::gateway
