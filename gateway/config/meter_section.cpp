// [meter.<role>]: grid (required), pv and heatpump meters. The keys a kind reads (link, unit, preset,
// its own) come from its entry in the device registry (gateway/devices/device_kinds.hpp).
#include "gateway/config/toml_reader.hpp"
#include "gateway/devices/device_kinds.hpp"

namespace emsgw::gateway::config_detail {

namespace {

void parse_serial(TableReader& r, drivers::SerialSettings& s) {
  r.read("device", s.device, Need::Required);
  r.read("baud", s.baud);
  std::string parity(1, s.parity);
  r.read("parity", parity);
  if (parity == "N" || parity == "E" || parity == "O" || parity == "none" || parity == "even" || parity == "odd")
    s.parity = static_cast<char>(std::toupper(static_cast<unsigned char>(parity[0])));
  else
    r.diag().error(r.line("parity"), r.full("parity"), TableReader::quote(parity),
                   "must be one of: N, E, O (none, even, odd)");
  r.read("data_bits", s.data_bits);
  r.read("stop_bits", s.stop_bits);
}

// [meter.heatpump.sg_ready]: two outputs (coils or holding registers) on a Modbus TCP device
// (protocols.md §5.1). Checked here because the keys exist only in this table.
void parse_sg_ready(TableReader& r, drivers::MeterSettings& m) {
  const auto* t = r.table("sg_ready");
  if (t == nullptr) return;
  TableReader sr(*t, r.full("sg_ready"), r.diag());
  drivers::SgReadySettings s;
  sr.read("host", s.host, Need::Required);
  sr.read("port", s.port);
  sr.read("unit", s.unit);
  sr.read("use_coils", s.use_coils);
  sr.read("output1", s.output1_address, Need::Required);
  sr.read("output2", s.output2_address, Need::Required);
  auto check = [&sr](std::string_view key, int v, int lo, int hi) {
    if (v < lo || v > hi)
      sr.diag().error(sr.line(key), sr.full(key), std::to_string(v),
                      "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  };
  check("port", s.port, 1, 65535);
  check("unit", s.unit, 0, 255);
  check("output1", s.output1_address, 0, 65535);
  check("output2", s.output2_address, 0, 65535);
  if (s.output1_address == s.output2_address)
    sr.diag().error(sr.line("output2"), sr.full("output2"), std::to_string(s.output2_address),
                    "must differ from output1: SG-Ready needs two outputs");
  if (m.role != "heatpump")
    r.diag().error(r.line("sg_ready"), r.full("sg_ready"), "{…}", "is only used in [meter.heatpump]");
  m.sg_ready = s;
}

void parse_meter(TableReader& r, drivers::MeterSettings& m) {
  const auto names = meter_kind_names();
  const auto known = [](const std::string& k) {
    return find_meter_kind(k) ? std::optional<std::string>(k) : std::nullopt;
  };
  r.choice("kind", m.kind, known, names, Need::Required);
  const auto* kind = find_meter_kind(m.kind);
  if (kind == nullptr) return;
  // The kind's defaults (protocols.md §1.1, §2; guide §2: RTU 19200 8E1), then its keys.
  apply_meter_kind_defaults(*kind, m);
  if (kind->link == MeterLink::Tcp) {
    r.read("host", m.host, Need::Required);
    r.read("port", m.port);
  }
  if (kind->link == MeterLink::Serial) parse_serial(r, m.serial);
  if (kind->unit_range) r.read("unit", m.unit);
  if (kind->parse_keys) kind->parse_keys(r, m);
  r.read("poll_interval_ms", m.poll_interval_ms);
  r.read("timeout_ms", m.timeout_ms);
  r.read("invert", m.invert);
  parse_sg_ready(r, m);
}
}  // namespace

/// [meter.grid] kind = "none": no grid meter, a static budget (the grid limit bounds the chargers
/// alone). The table holds nothing else.
bool grid_meter_is_none(TableReader& r, Config& cfg) {
  const auto* t = r.table("grid");
  if (t == nullptr) return false;
  const auto* kind = t->get("kind");
  if (kind == nullptr || kind->value<std::string>() != std::string("none")) return false;
  TableReader mr(*t, "meter.grid", r.diag());
  std::string text;
  mr.read("kind", text);
  cfg.site.grid_metered = false;
  return true;
}

void parse_meter_section(TableReader& root, Config& cfg) {
  const auto* meters = root.table("meter", Need::Required);
  if (!meters) return;
  TableReader r(*meters, "meter", root.diag());
  const auto is_circuit_meter = [&](const std::string& role) {
    for (const auto& c : cfg.site.circuits)
      if (c.meter == role) return true;
    return false;
  };
  const bool no_grid_meter = grid_meter_is_none(r, cfg);
  for (auto&& [k, v] : *meters) {
    const std::string role(k.str());
    if (role == "grid" && no_grid_meter) continue;
    if (role != "grid" && role != "pv" && role != "heatpump" && !is_circuit_meter(role))
      continue;  // reported as unknown
    if (const auto* t = r.table(role)) {
      TableReader mr(*t, "meter." + role, root.diag());
      auto& m = cfg.meters[role];
      m.role = role;
      parse_meter(mr, m);
      m.connection_max_current_a = cfg.site.grid_max_current_a;
      m.connection_phases = cfg.site.grid_phases;
      if (role == "grid") {
        const auto* site = root.table("site");
        m.stale_limit_from_interval = site == nullptr || !site->contains("meter_stale_after_s");
      }
    }
  }
  if (!meters->contains("grid"))
    root.diag().error(root.line("meter"), "meter.grid", "(missing)",
                      "is required: emsgw needs the grid meter at the point of interconnection");
}

}  // namespace emsgw::gateway::config_detail
