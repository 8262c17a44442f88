#include "drivers/meters/meter_reading.hpp"

#include <algorithm>
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
  mark_stale(copy.demand_quarter_hour_w);
  mark_stale(copy.demand_month_peak_w);
  return copy;
}

void sign_currents_from_power(MeterReading& r) {
  for (std::size_t i = 0; i < 3; ++i) {
    const auto i_a = r.current_a[i].value();
    const auto p_w = r.power_w[i].value();
    if (!i_a) continue;
    if (!p_w) {
      if (*i_a != 0.0) {
        r.current_signed = false;
        r.current_sign_known[i] = false;
      }
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

double stale_limit_for_interval_s(ems::Millis interval, double floor_s) {
  // Whole seconds, so that jitter in a measured interval (10.003 s) does not move the limit.
  const double every_s = std::max(1.0, std::round(std::chrono::duration<double>(interval).count()));
  return std::max(floor_s, std::ceil(2.5 * every_s));
}

void bound_by_connection(MeterReading& r, const ConnectionBound& c) {
  if (c.max_current_a <= 0.0) return;
  constexpr double kFactor = 3.0;  // far above any fuse's overload, far below a digit error
  constexpr double kVoltage = 300.0;
  const double amps = kFactor * c.max_current_a;
  const double phase_w = amps * kVoltage;
  const double total_w = phase_w * std::max(1, c.phases);
  auto bound = [&r](Measurement& m, double limit) {
    if (auto v = m.value(); v && std::fabs(*v) > limit) {
      m = Measurement::invalid(Invalid::OutOfRange);
      ++r.rejected;
    }
  };
  for (auto& m : r.current_a) bound(m, amps);
  bound(r.current_n_a, amps);
  for (auto& m : r.power_w) bound(m, phase_w);
  for (auto& m : r.apparent_power_va) bound(m, phase_w);
  bound(r.power_total_w, total_w);
  bound(r.apparent_power_total_va, total_w);
  bound(r.demand_quarter_hour_w, total_w);
  bound(r.demand_month_peak_w, total_w);
}

void EnergyNeverBack::apply(MeterReading& r) {
  auto check = [&r](Measurement& m, std::optional<double>& high) {
    const auto v = m.value();
    if (!v) return;
    if (high && *v < *high) {
      m = Measurement::invalid(Invalid::Implausible);
      ++r.rejected;
      return;
    }
    high = *v;
  };
  check(r.energy_import_wh, import_wh_);
  check(r.energy_export_wh, export_wh_);
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
  if (r.demand_quarter_hour_w.why() != Invalid::Missing)
    out += "demand 15 min " + fmt(r.demand_quarter_hour_w, "W", 0) + "\n";
  if (r.demand_month_peak_w.why() != Invalid::Missing)
    out += "month peak    " + fmt(r.demand_month_peak_w, "W", 0) + "\n";
  if (r.send_interval)
    out += "telegram every " + std::to_string(r.send_interval->count()) + " ms" +
           (r.protocol_version.empty() ? std::string() : " (P1 version " + r.protocol_version + ")") + "\n";
  if (!r.current_signed) {
    std::string phases;
    for (std::size_t i = 0; i < 3; ++i)
      if (!r.current_sign_known[i] && r.current_a[i].valid()) phases += " L" + std::to_string(i + 1);
    out +=
        "note: currents are magnitudes (direction unknown" + (phases.empty() ? std::string() : " on" + phases) + ")\n";
  }
  if (r.rejected > 0) out += "rejected values: " + std::to_string(r.rejected) + "\n";
  return out;
}

}  // namespace emsgw::drivers
