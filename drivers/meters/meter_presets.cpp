#include "drivers/meters/meter_presets.hpp"

#include "drivers/meters/meter_settings.hpp"

namespace emsgw::drivers {

namespace {
using Q = Quantity;
using VT = ValueType;
constexpr WordOrder kHi = WordOrder::HighFirst;
constexpr WordOrder kLo = WordOrder::LowFirst;

MapEntry in_f32(Q q, int addr, double scale = 1.0) {  // FC4 float32 high word first
  return {q, {addr, 4, VT::Float32, kHi, scale}};
}

// ---------------------------------------------------------------------------------------------
// Eastron SDM: FC 0x04, float32, high word first; 0-based addresses (manual number − 30001).
// Source: protocols.md §3.1–3.2 ([MBMD] meters/rs485/sdm.go, sdm72v2.go, sdm230.go, sdm120.go;
// Eastron SDM72D-M manual p.14: at most 30 parameters = 60 registers per request).
// Every register between 0x0000 and 0x004F answers, so reads may span gaps.
constexpr ReadLimits kEastronLimits{60, 40};

std::vector<MapEntry> eastron_three_phase(double ct_scale) {
  return {in_f32(Q::VoltageL1, 0x0000),
          in_f32(Q::VoltageL2, 0x0002),
          in_f32(Q::VoltageL3, 0x0004),
          in_f32(Q::CurrentL1, 0x0006, ct_scale),
          in_f32(Q::CurrentL2, 0x0008, ct_scale),
          in_f32(Q::CurrentL3, 0x000A, ct_scale),
          in_f32(Q::PowerL1, 0x000C, ct_scale),
          in_f32(Q::PowerL2, 0x000E, ct_scale),
          in_f32(Q::PowerL3, 0x0010, ct_scale),
          in_f32(Q::PowerTotal, 0x0034, ct_scale),
          in_f32(Q::EnergyImport, 0x0048, ct_scale),
          in_f32(Q::EnergyExport, 0x004A, ct_scale)};
}

// Single-phase SDM230 / SDM120(CT): no total-power register 0x0034; phase 1 power is the total
// (protocols.md §3.2 "Single-phase pitfall").
std::vector<MapEntry> eastron_single_phase(double ct_scale) {
  return {in_f32(Q::VoltageL1, 0x0000),
          in_f32(Q::CurrentL1, 0x0006, ct_scale),
          in_f32(Q::PowerL1, 0x000C, ct_scale),
          in_f32(Q::PowerTotal, 0x000C, ct_scale),
          in_f32(Q::EnergyImport, 0x0048, ct_scale),
          in_f32(Q::EnergyExport, 0x004A, ct_scale)};
}

// The Alfen guide's CT presets (SDM120CT, SDM72CT) carry a ×100 scaling on current and powers, and so
// on the energy totals the same CT ratio feeds
// (alfen-smart-charging.md §2).
constexpr double kCtScale = 100.0;

// ---------------------------------------------------------------------------------------------
// Socomec Countis E / Diris: FC 0x03, big-endian 32-bit integers; "unit / divisor" in the vendor table.
// Source: protocols.md §3.3 (Socomec "MODBUS TABLES V103.8" as re-published by OpenEMS,
// io.openems.edge.meter.socomec). Same 0xC558 block for Countis E24 and Diris A10/A14/B30.
std::vector<MapEntry> socomec() {
  return {{Q::VoltageL1, {0xC558, 3, VT::U32, kHi, 0.01}},   {Q::VoltageL2, {0xC55A, 3, VT::U32, kHi, 0.01}},
          {Q::VoltageL3, {0xC55C, 3, VT::U32, kHi, 0.01}},   {Q::CurrentL1, {0xC560, 3, VT::U32, kHi, 0.001}},
          {Q::CurrentL2, {0xC562, 3, VT::U32, kHi, 0.001}},  {Q::CurrentL3, {0xC564, 3, VT::U32, kHi, 0.001}},
          {Q::CurrentN, {0xC566, 3, VT::U32, kHi, 0.001}},   {Q::PowerTotal, {0xC568, 3, VT::S32, kHi, 10.0}},
          {Q::PowerL1, {0xC570, 3, VT::S32, kHi, 10.0}},     {Q::PowerL2, {0xC572, 3, VT::S32, kHi, 10.0}},
          {Q::PowerL3, {0xC574, 3, VT::S32, kHi, 10.0}},     {Q::EnergyImport, {0xC702, 3, VT::U32, kHi, 0.01}},
          {Q::EnergyExport, {0xC708, 3, VT::U32, kHi, 0.01}}};
}

// ---------------------------------------------------------------------------------------------
// Carlo Gavazzi: FC 0x04, INT32 low word first; V ÷ 10, A ÷ 1000, W ÷ 10, kWh ÷ 10.
// Source: protocols.md §3.4 ([MBMD] carlogavazzi-em24.go, carlogavazzi-ex3x0.go).
std::vector<MapEntry> carlo_gavazzi(int import_addr, int export_addr) {
  return {{Q::VoltageL1, {0x00, 4, VT::S32, kLo, 0.1}},
          {Q::VoltageL2, {0x02, 4, VT::S32, kLo, 0.1}},
          {Q::VoltageL3, {0x04, 4, VT::S32, kLo, 0.1}},
          {Q::CurrentL1, {0x0C, 4, VT::S32, kLo, 0.001}},
          {Q::CurrentL2, {0x0E, 4, VT::S32, kLo, 0.001}},
          {Q::CurrentL3, {0x10, 4, VT::S32, kLo, 0.001}},
          {Q::PowerL1, {0x12, 4, VT::S32, kLo, 0.1}},
          {Q::PowerL2, {0x14, 4, VT::S32, kLo, 0.1}},
          {Q::PowerL3, {0x16, 4, VT::S32, kLo, 0.1}},
          {Q::PowerTotal, {0x28, 4, VT::S32, kLo, 0.1}},
          {Q::EnergyImport, {import_addr, 4, VT::S32, kLo, 0.1}},
          {Q::EnergyExport, {export_addr, 4, VT::S32, kLo, 0.1}}};
}
constexpr ReadLimits kCarloGavazziLimits{125, 24};

std::vector<MeterPreset> build() {
  std::vector<MeterPreset> p;
  p.push_back({"eastron-sdm630", "Eastron SDM630", "protocols.md §3.2, [MBMD] meters/rs485/sdm.go", 3, kEastronLimits,
               eastron_three_phase(1.0), 9600});
  p.push_back({"eastron-sdm72d-m-v2", "Eastron SDM72D-M v2",
               "protocols.md §3.2, [MBMD] meters/rs485/sdm72v2.go (same map as SDM630)", 3, kEastronLimits,
               eastron_three_phase(1.0), 9600});
  p.push_back({"eastron-sdm230", "Eastron SDM230", "protocols.md §3.2, [MBMD] meters/rs485/sdm230.go", 1,
               kEastronLimits, eastron_single_phase(1.0), 9600});
  p.push_back({"eastron-sdm120ct", "Eastron SDM120CT",
               "protocols.md §3.2, [MBMD] meters/rs485/sdm120.go; ×100 on current and power per "
               "alfen-smart-charging.md §2",
               1, kEastronLimits, eastron_single_phase(kCtScale), 2400});
  // SDM72CT-M: phase/total power and energies from the B+G e-tech manual p.10 (protocols.md §3.2);
  // per-phase voltage and current at the SDM630 addresses are unconfirmed ([U]): probe before use.
  p.push_back({"eastron-sdm72ct", "Eastron SDM72CT-M",
               "protocols.md §3.2, B+G e-tech SDM72CT-M manual p.10; V/I registers [U]; ×100 on current and "
               "power per alfen-smart-charging.md §2",
               3, kEastronLimits, eastron_three_phase(kCtScale), 9600});
  p.push_back({"socomec-countis-e", "Socomec Countis E (E24 and family)",
               "protocols.md §3.3, Socomec MODBUS TABLES V103.8 via OpenEMS io.openems.edge.meter.socomec", 3,
               ReadLimits{125, 16}, socomec(), 9600});
  p.push_back({"socomec-diris", "Socomec Diris A10/A14/B30",
               "protocols.md §3.3, Socomec MODBUS TABLES V103.8 via OpenEMS io.openems.edge.meter.socomec", 3,
               ReadLimits{125, 16}, socomec(), 9600});
  // EM24 RS-485: export register 0x5C is unreliable per evcc (protocols.md §3.4, [U]).
  p.push_back({"carlo-gavazzi-em24", "Carlo Gavazzi EM24 (RS-485)",
               "protocols.md §3.4, [MBMD] carlogavazzi-em24.go; export 0x5C [U]", 3, kCarloGavazziLimits,
               carlo_gavazzi(0x42, 0x5C), 9600});
  p.push_back({"carlo-gavazzi-em340", "Carlo Gavazzi EM340 / EM330 / ET340 / EM24_E1",
               "protocols.md §3.4, [MBMD] carlogavazzi-ex3x0.go", 3, kCarloGavazziLimits, carlo_gavazzi(0x34, 0x4E),
               9600});
  return p;
}
}  // namespace

const std::vector<MeterPreset>& meter_presets() {
  static const std::vector<MeterPreset> presets = build();
  return presets;
}

const MeterPreset* find_meter_preset(std::string_view name) {
  for (const auto& p : meter_presets())
    if (p.name == name) return &p;
  return nullptr;
}

// Preset names accepted in [meter.<role>].preset: the tables above plus "custom".
const std::vector<std::string_view>& meter_preset_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> n;
    for (const auto& p : meter_presets()) n.push_back(p.name);
    n.push_back("custom");
    return n;
  }();
  return names;
}

ResolvedMap resolve_meter_map(const MeterSettings& s) {
  if (const auto* p = find_meter_preset(s.preset)) return {p->map, p->limits};
  return {custom_map(s.custom), ReadLimits{125, 0}};
}

}  // namespace emsgw::drivers
