#include "gateway/config/schedules.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string_view>

#include "gateway/config/config_schema.hpp"
#include "gateway/storage/tariff.hpp"

namespace emsgw::gateway {

using nlohmann::json;

namespace {
constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
/// The range of a key of the window from the schema (one place for the form and the rule).
const FieldSpec& field(std::string_view key) {
  for (const auto& f : schedule_schema())
    if (f.key == key) return f;
  std::abort();  // the table names every key
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}
}  // namespace

std::string schedule_key(std::size_t i) {
  return "schedule[" + std::to_string(i) + "]";
}

std::optional<std::uint8_t> schedule_days(const std::vector<std::string>& days) {
  std::uint8_t mask = 0;
  for (const auto& d : days) {
    bool found = false;
    for (std::size_t i = 0; i < kDays.size(); ++i)
      if (d == kDays[i]) {
        mask = static_cast<std::uint8_t>(mask | (1U << i));
        found = true;
      }
    if (!found) return std::nullopt;
  }
  return mask;
}

std::vector<ems::ConfigIssue> validate_schedules(const std::vector<ScheduleWindow>& windows,
                                                 const ems::SiteConfig& site) {
  std::vector<ems::ConfigIssue> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    const auto& w = windows[i];
    const auto k = schedule_key(i);
    if (w.name.empty())
      out.push_back({k + ".name", "\"\"", "must not be empty: it names the limit in reasons and events"});
    else if (!names.insert(w.name).second)
      out.push_back({k + ".name", "\"" + w.name + "\"", "must be unique: another [[schedule]] has this name"});
    if (!w.node.empty()) {
      bool known = false;
      for (const auto& c : site.circuits) known = known || c.name == w.node;
      if (!known)
        out.push_back({k + ".node", "\"" + w.node + "\"", "names no [[circuit]] (empty: the grid connection)"});
    }
    if (w.days.empty()) out.push_back({k + ".days", "[]", "must name at least one day"});
    for (const auto& d : w.days)
      if (!schedule_days({d}))
        out.push_back({k + ".days", "\"" + d + "\"", "must be one of: mon, tue, wed, thu, fri, sat, sun"});
    for (const auto& [key, text] : {std::pair{"from", &w.from}, std::pair{"until", &w.until}})
      if (!storage::parse_clock(*text))
        out.push_back({k + "." + key, "\"" + *text + "\"", "must be a local time \"HH:MM\" between 00:00 and 23:59"});
    const auto range = [&](std::string_view key, double v, const char* what) {
      const auto& f = field(key);
      if (!std::isfinite(v) || v < f.min || v > f.max)
        out.push_back({k + "." + std::string(key), number_text(v),
                       "must be between " + number_text(f.min) + " and " + number_text(f.max) + " " +
                           std::string(f.unit) + what});
    };
    range("max_current_a", w.max_current_a, " per phase (0: no current limit)");
    range("max_power_w", w.max_power_w, " (0: no power limit)");
    if (w.max_current_a == 0 && w.max_power_w == 0)
      out.push_back({k + ".max_current_a", "0",
                     "a window needs max_current_a or max_power_w above 0 (a window without a limit does nothing)"});
  }
  return out;
}

json schedules_to_json(const std::vector<ScheduleWindow>& windows) {
  json out = json::array();
  for (const auto& w : windows)
    out.push_back({{"name", w.name},
                   {"node", w.node},
                   {"days", w.days},
                   {"from", w.from},
                   {"until", w.until},
                   {"max_current_a", w.max_current_a},
                   {"max_power_w", w.max_power_w}});
  return out;
}

Result<std::vector<ScheduleWindow>, std::vector<ems::ConfigIssue>> schedules_from_json(const json& list) {
  std::vector<ems::ConfigIssue> issues;
  std::vector<ScheduleWindow> out;
  if (!list.is_array())
    return Unexpected(
        std::vector<ems::ConfigIssue>{{"schedules", list.dump(), "must be a list of windows ([] removes them all)"}});
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& item = list[i];
    const auto k = schedule_key(i);
    auto& w = out.emplace_back();
    if (!item.is_object()) {
      issues.push_back(
          {k, item.dump(), "must be an object with name, node, days, from, until, max_current_a, max_power_w"});
      continue;
    }
    for (const auto& [key, value] : item.items()) {
      if (key == "name" || key == "node" || key == "from" || key == "until") {
        if (!value.is_string()) {
          issues.push_back({k + "." + key, value.dump(), "must be text"});
          continue;
        }
        auto& field = key == "name" ? w.name : key == "node" ? w.node : key == "from" ? w.from : w.until;
        field = value.get<std::string>();
      } else if (key == "days") {
        if (!value.is_array()) {
          issues.push_back({k + ".days", value.dump(), "must be a list of day names, e.g. [\"mon\", \"tue\"]"});
          continue;
        }
        w.days.clear();
        for (const auto& d : value) {
          if (d.is_string())
            w.days.push_back(d.get<std::string>());
          else
            issues.push_back({k + ".days", d.dump(), "every entry must be a day name (mon … sun)"});
        }
      } else if (key == "max_current_a" || key == "max_power_w") {
        if (!value.is_number()) {
          issues.push_back({k + "." + key, value.dump(), "must be a number"});
          continue;
        }
        (key == "max_current_a" ? w.max_current_a : w.max_power_w) = value.get<double>();
      } else {
        issues.push_back(
            {k + "." + key, value.dump(),
             "is not a setting of a schedule (name, node, days, from, until, max_current_a, max_power_w)"});
      }
    }
    for (const char* key : {"name", "from", "until"})
      if (!item.contains(key)) issues.push_back({k + "." + key, "(missing)", "is required"});
  }
  if (!issues.empty()) return Unexpected(std::move(issues));
  return out;
}

}  // namespace emsgw::gateway
