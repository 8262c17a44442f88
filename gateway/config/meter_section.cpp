// [meter.<role>]: grid (required), pv and heatpump meters, with presets or a custom register map.
#include "gateway/config/toml_reader.hpp"

namespace emsgw::gateway::config_detail {

namespace {

void parse_register(TableReader& r, drivers::RegisterSpec& spec) {
  r.read("register", spec.address, Need::Required);
  r.read("function", spec.function);
  r.choice("type", spec.type, drivers::parse_value_type, "u16, s16, u32, s32, u64, s64, float32, float64",
           Need::Required);
  r.choice("word_order", spec.order, drivers::parse_word_order, "high-first, low-first");
  r.read("scale", spec.scale);
}

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
  r.choice("kind", m.kind, drivers::parse_meter_kind, drivers::meter_kind_names(), Need::Required);
  using K = drivers::MeterKind;
  const bool tcp = m.kind == K::ModbusTcp || m.kind == K::DsmrTcp || m.kind == K::SunspecTcp;
  const bool serial = m.kind == K::ModbusRtu || m.kind == K::DsmrSerial || m.kind == K::TicSerial;
  const bool modbus = m.kind == K::ModbusTcp || m.kind == K::ModbusRtu;
  // Serial defaults per protocol (protocols.md §1.1, §2; guide §2: RTU 19200 8E1).
  if (m.kind == K::DsmrSerial) m.serial = {"", 115200, 'N', 8, 1};
  if (m.kind == K::TicSerial) m.serial = {"", 1200, 'E', 7, 1};
  if (m.kind == K::ModbusRtu) m.serial = {"", 19200, 'E', 8, 1};
  if (m.kind == K::DsmrTcp) m.port = 2000;
  if (tcp) {
    r.read("host", m.host, Need::Required);
    r.read("port", m.port);
  }
  if (serial) parse_serial(r, m.serial);
  if (modbus || m.kind == K::SunspecTcp) r.read("unit", m.unit);
  if (m.kind == K::ModbusTcp) {
    std::string framing = "tcp";
    r.read("framing", framing);
    if (framing == "rtu")
      m.rtu_over_tcp = true;
    else if (framing != "tcp")
      r.diag().error(r.line("framing"), r.full("framing"), TableReader::quote(framing),
                     "must be one of: tcp (Modbus TCP), rtu (RTU frames over TCP, for RS-485-to-Ethernet converters)");
  }
  if (modbus) {
    r.read("preset", m.preset, Need::Required);
    if (const auto* map = r.table("map", m.preset == "custom" ? Need::Required : Need::Optional)) {
      TableReader mr(*map, r.full("map"), r.diag());
      for (auto&& [k, v] : *map) {
        const auto q = drivers::parse_quantity(k.str());
        if (!q) continue;  // left unclaimed: reported as an unknown key with the quantity list below
        mr.claim(k.str());
        if (const auto* t = v.as_table()) {
          TableReader qr(*t, mr.full(k.str()), r.diag());
          parse_register(qr, m.custom[*q]);
        } else {
          r.diag().error(mr.line(k.str()), mr.full(k.str()), render(v), "must be a table { register = …, type = … }");
        }
      }
    }
  }
  if (m.kind == K::TicSerial) {
    r.read("tic_mode", m.tic_mode);
    // Linky standard mode sends at 9600 baud, historique at 1200 (protocols.md §2); an explicit
    // `baud` wins.
    if (m.tic_mode == "standard" && !r.has("baud")) m.serial.baud = 9600;
  }
  r.read("poll_interval_ms", m.poll_interval_ms);
  r.read("timeout_ms", m.timeout_ms);
  r.read("invert", m.invert);
  parse_sg_ready(r, m);
}
}  // namespace

void parse_meter_section(TableReader& root, Config& cfg) {
  const auto* meters = root.table("meter", Need::Required);
  if (!meters) return;
  TableReader r(*meters, "meter", root.diag());
  for (auto&& [k, v] : *meters) {
    const std::string role(k.str());
    if (role != "grid" && role != "pv" && role != "heatpump") continue;  // reported as unknown
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
