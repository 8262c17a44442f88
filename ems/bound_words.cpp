#include "ems/bound_words.hpp"

#include <cstdio>

namespace emsgw::ems {

namespace {

constexpr std::string_view kCircuit = "circuit ";
constexpr std::string_view kSchedule = "schedule ";
constexpr std::string_view kPeak = "quarter-hour peak ";
constexpr std::string_view kDimming = "grid operator dimming ";

/// v with `decimals` digits after the point (0: none), or %g-style without trailing zeros (-1).
std::string number(double v, int decimals) {
  char buf[48];
  if (decimals < 0)
    std::snprintf(buf, sizeof buf, "%g", v);
  else
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

/// "<name> <value><unit>" → name and value; nullopt without the unit or a name.
std::optional<std::pair<std::string, std::string>> name_value(std::string_view rest, std::string_view unit) {
  if (!rest.ends_with(unit)) return std::nullopt;
  rest.remove_suffix(unit.size());
  const auto space = rest.rfind(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 == rest.size()) return std::nullopt;
  return std::pair{std::string(rest.substr(0, space)), std::string(rest.substr(space + 1))};
}

}  // namespace

std::string kilowatts(double w) {
  return number(w / 1000, 1) + " kW";
}

std::string circuit_phase_words(const std::string& circuit, Phase p) {
  return std::string(kCircuit) + circuit + " " + std::string(to_string(p));
}
std::string circuit_power_words(const std::string& circuit, double max_power_w) {
  return std::string(kCircuit) + circuit + " " + number(max_power_w, 0) + " W";
}
std::string schedule_current_words(const std::string& window, double max_current_a) {
  return std::string(kSchedule) + window + " " + number(max_current_a, -1) + " A";
}
std::string schedule_power_words(const std::string& window, double max_power_w) {
  return std::string(kSchedule) + window + " " + kilowatts(max_power_w);
}
std::string quarter_peak_words(double target_w) {
  return std::string(kPeak) + kilowatts(target_w);
}
std::string dimming_words(double limit_w) {
  return std::string(kDimming) + kilowatts(limit_w);
}

std::optional<BoundWords> parse_bound_words(std::string_view words) {
  if (words.starts_with(kCircuit)) {
    const auto rest = words.substr(kCircuit.size());
    for (const auto p : {Phase::L1, Phase::L2, Phase::L3}) {
      const auto phase = to_string(p);
      if (rest.size() > phase.size() + 1 && rest.ends_with(phase) && rest[rest.size() - phase.size() - 1] == ' ')
        return BoundWords{BoundKind::CircuitPhase, std::string(rest.substr(0, rest.size() - phase.size() - 1)),
                          std::string(phase)};
    }
    if (auto nv = name_value(rest, " W")) return BoundWords{BoundKind::CircuitPower, nv->first, nv->second};
    return std::nullopt;
  }
  if (words.starts_with(kSchedule)) {
    const auto rest = words.substr(kSchedule.size());
    if (auto nv = name_value(rest, " kW")) return BoundWords{BoundKind::SchedulePower, nv->first, nv->second};
    if (auto nv = name_value(rest, " A")) return BoundWords{BoundKind::ScheduleCurrent, nv->first, nv->second};
    return std::nullopt;
  }
  for (const auto& [prefix, kind] :
       {std::pair{kPeak, BoundKind::QuarterPeak}, std::pair{kDimming, BoundKind::Dimming}}) {
    if (!words.starts_with(prefix)) continue;
    auto value = words.substr(prefix.size());
    if (!value.ends_with(" kW") || value.size() <= 3) return std::nullopt;
    value.remove_suffix(3);
    if (value.find(' ') != std::string_view::npos) return std::nullopt;
    return BoundWords{kind, {}, std::string(value)};
  }
  return std::nullopt;
}

}  // namespace emsgw::ems
