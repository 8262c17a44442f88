#include "drivers/meters/meter_reading.hpp"

#include <cmath>
#include <cstdio>

namespace emsgw::drivers {

std::string_view to_string(Invalid r) {
  switch (r) {
    case Invalid::None: return "valid";
    case Invalid::Missing: return "missing";
    case Invalid::NotANumber: return "not a number";
    case Invalid::OutOfRange: return "out of range";
    case Invalid::Implausible: return "implausible";
    case Invalid::NotImplemented: return "not implemented";
    case Invalid::Stale: return "stale";
  }
  return "?";
}

PlausibleRange plausible_range(Quantity q) {
  switch (q) {
    case Quantity::CurrentL1:
    case Quantity::CurrentL2:
    case Quantity::CurrentL3:
    case Quantity::CurrentN: return {-2000.0, 2000.0};  // A: beyond any low-voltage connection emsgw serves
    case Quantity::PowerL1:
    case Quantity::PowerL2:
    case Quantity::PowerL3: return {-500e3, 500e3};  // W per phase
    case Quantity::PowerTotal: return {-1.5e6, 1.5e6};
    case Quantity::VoltageL1:
    case Quantity::VoltageL2:
    case Quantity::VoltageL3: return {0.0, 500.0};  // V phase-neutral; 0 = phase absent
    case Quantity::EnergyImport:
    case Quantity::EnergyExport: return {0.0, 1e13};  // Wh
  }
  return {0.0, 0.0};
}

Measurement checked(Quantity q, double value) {
  if (!std::isfinite(value)) return Measurement::invalid(Invalid::NotANumber);
  const auto r = plausible_range(q);
  if (value < r.min || value > r.max) return Measurement::invalid(Invalid::OutOfRange);
  // A float32 read with the wrong word order often lands on a denormal: no meter measures 1e-40 V.
  if (value != 0.0 && std::fabs(value) < 1e-20) return Measurement::invalid(Invalid::Implausible);
  return Measurement::of(value);
}

namespace {
Measurement* field(MeterReading& r, Quantity q) {
  switch (q) {
    case Quantity::CurrentL1: return &r.current_a[0];
    case Quantity::CurrentL2: return &r.current_a[1];
    case Quantity::CurrentL3: return &r.current_a[2];
    case Quantity::CurrentN: return &r.current_n_a;
    case Quantity::PowerL1: return &r.power_w[0];
    case Quantity::PowerL2: return &r.power_w[1];
    case Quantity::PowerL3: return &r.power_w[2];
    case Quantity::PowerTotal: return &r.power_total_w;
    case Quantity::VoltageL1: return &r.voltage_v[0];
    case Quantity::VoltageL2: return &r.voltage_v[1];
    case Quantity::VoltageL3: return &r.voltage_v[2];
    case Quantity::EnergyImport: return &r.energy_import_wh;
    case Quantity::EnergyExport: return &r.energy_export_wh;
  }
  return nullptr;
}

void mark_stale(Measurement& m) {
  if (m.valid()) m = Measurement::invalid(Invalid::Stale);
}
}  // namespace

void set_quantity(MeterReading& r, Quantity q, Measurement m) {
  if (!m.valid() && m.why() != Invalid::Missing) ++r.rejected;
  if (auto* f = field(r, q)) *f = m;
}

const Measurement& get_quantity(const MeterReading& r, Quantity q) {
  return *field(const_cast<MeterReading&>(r), q);  // NOLINT(cppcoreguidelines-pro-type-const-cast): read only
}

MeterReading MeterReading::aged(ems::MonoTime now, ems::Millis max_age) const {
  MeterReading copy = *this;
  if (!stale(now, max_age)) return copy;
  for (auto q : all_quantities()) mark_stale(*field(copy, q));
  for (auto& m : copy.apparent_power_va) mark_stale(m);
  mark_stale(copy.apparent_power_total_va);
  return copy;
}

void sign_currents_from_power(MeterReading& r) {
  for (std::size_t i = 0; i < 3; ++i) {
    const auto i_a = r.current_a[i].value();
    const auto p_w = r.power_w[i].value();
    if (!i_a) continue;
    if (!p_w) {
      if (*i_a != 0.0) r.current_signed = false;
      continue;
    }
    const double magnitude = std::fabs(*i_a);
    r.current_a[i] = Measurement::of(*p_w < 0.0 ? -magnitude : magnitude);
  }
}

void invert_direction(MeterReading& r) {
  auto flip = [](Measurement& m) {
    if (auto v = m.value()) m = Measurement::of(-*v);
  };
  for (auto& m : r.current_a) flip(m);
  for (auto& m : r.power_w) flip(m);
  flip(r.power_total_w);
  std::swap(r.energy_import_wh, r.energy_export_wh);
}

void check_monotonic_energy(MeterReading& r, const MeterReading& previous) {
  auto check = [&r](Measurement& now, const Measurement& before) {
    const auto n = now.value();
    const auto b = before.value();
    if (n && b && *n < *b) {
      now = Measurement::invalid(Invalid::Implausible);
      ++r.rejected;
    }
  };
  check(r.energy_import_wh, previous.energy_import_wh);
  check(r.energy_export_wh, previous.energy_export_wh);
}

namespace {
std::string fmt(const Measurement& m, const char* unit, int decimals) {
  char buf[64];
  if (auto v = m.value())
    std::snprintf(buf, sizeof buf, "%*.*f %s", 10, decimals, *v, unit);
  else
    std::snprintf(buf, sizeof buf, "%*s %s", 10, std::string(to_string(m.why())).c_str(), unit);
  return buf;
}
}  // namespace

std::string format_reading(const MeterReading& r) {
  std::string out;
  for (std::size_t i = 0; i < 3; ++i) {
    out += "L" + std::to_string(i + 1) + "  current " + fmt(r.current_a[i], "A", 2) + "  power " +
           fmt(r.power_w[i], "W", 0) + "  voltage " + fmt(r.voltage_v[i], "V", 1);
    if (r.apparent_power_va[i].why() != Invalid::Missing) out += "  apparent " + fmt(r.apparent_power_va[i], "VA", 0);
    out += "\n";
  }
  if (r.current_n_a.why() != Invalid::Missing) out += "N   current " + fmt(r.current_n_a, "A", 2) + "\n";
  out += "total power   " + fmt(r.power_total_w, "W", 0) + "\n";
  if (r.apparent_power_total_va.why() != Invalid::Missing)
    out += "total apparent" + fmt(r.apparent_power_total_va, "VA", 0) + "\n";
  auto kwh = [](const Measurement& m) { return m.value() ? Measurement::of(*m.value() / 1000.0) : m; };
  out += "energy import " + fmt(kwh(r.energy_import_wh), "kWh", 3) + "\n";
  out += "energy export " + fmt(kwh(r.energy_export_wh), "kWh", 3) + "\n";
  if (!r.current_signed) out += "note: currents are magnitudes (direction unknown)\n";
  if (r.rejected > 0) out += "rejected values: " + std::to_string(r.rejected) + "\n";
  return out;
}

}  // namespace emsgw::drivers
