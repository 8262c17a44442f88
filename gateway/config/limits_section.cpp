// [[circuit]], [[schedule]], [peak] and [grid_operator]: the limits beyond the grid connection's
// fuse. The circuits and the schedules are arrays of tables read here; the keys of [peak] and [grid_operator] are rows
// of the configuration schema (config_schema.cpp).
#include "ems/circuits.hpp"
#include "gateway/config/toml_reader.hpp"

namespace emsgw::gateway::config_detail {

namespace {
void parse_circuit(TableReader& r, ems::CircuitConfig& c) {
  r.read("name", c.name, Need::Required);
  r.read("parent", c.parent);
  r.read("max_current_a", c.max_current_a);
  r.read("max_power_w", c.max_power_w);
  r.read("margin_a", c.margin_a);
  r.read("meter", c.meter);
}
void parse_schedule(TableReader& r, ScheduleWindow& w) {
  r.read("name", w.name, Need::Required);
  r.read("node", w.node);
  r.read("from", w.from, Need::Required);
  r.read("until", w.until, Need::Required);
  r.read("max_current_a", w.max_current_a);
  r.read("max_power_w", w.max_power_w);
  if (!r.has("days")) return;
  r.claim("days");
  const auto* node = r.node("days");
  const auto* arr = node ? node->as_array() : nullptr;
  if (!arr) {
    r.diag().error(r.line("days"), r.full("days"), node ? render(*node) : "",
                   "must be a list of day names, e.g. [\"mon\", \"tue\"]");
    return;
  }
  w.days.clear();
  for (const auto& d : *arr) {
    if (const auto v = d.value<std::string>())
      w.days.push_back(*v);
    else
      r.diag().error(r.line("days"), r.full("days"), render(d), "every entry must be a day name (mon … sun)");
  }
}
}  // namespace

void parse_limits_sections(TableReader& root, Config& cfg) {
  const auto circuits = root.tables("circuit");
  for (std::size_t i = 0; i < circuits.size(); ++i) {
    TableReader r(*circuits[i], ems::circuit_key(i), root.diag());
    parse_circuit(r, cfg.site.circuits.emplace_back());
  }
  const auto schedules = root.tables("schedule");
  for (std::size_t i = 0; i < schedules.size(); ++i) {
    TableReader r(*schedules[i], schedule_key(i), root.diag());
    parse_schedule(r, cfg.schedules.emplace_back());
  }
  if (const auto* t = root.table("peak")) {
    TableReader r(*t, "peak", root.diag());
    cfg.peak.enabled = true;  // the section is there: on unless it says enabled = false
    read_fields(r, "peak", cfg);
  }
  if (const auto* t = root.table("grid_operator")) {
    TableReader r(*t, "grid_operator", root.diag());
    read_fields(r, "grid_operator", cfg);
  }
}

}  // namespace emsgw::gateway::config_detail
