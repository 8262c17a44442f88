#pragma once
// Small strong types for electrical quantities inside ems/ (style.md "Names and files"). A value is
// a double in its base unit: amperes per phase for Amps, watts for Watts. Mixing them needs an
// explicit conversion with a voltage and a phase count.

#include <cmath>
#include <compare>

namespace emsgw::ems {

template <class Tag>
class Quantity {
 public:
  constexpr Quantity() = default;
  constexpr explicit Quantity(double v) : v_(v) {}
  [[nodiscard]] constexpr double value() const { return v_; }

  constexpr Quantity& operator+=(Quantity o) {
    v_ += o.v_;
    return *this;
  }
  constexpr Quantity& operator-=(Quantity o) {
    v_ -= o.v_;
    return *this;
  }
  friend constexpr Quantity operator+(Quantity a, Quantity b) { return Quantity(a.v_ + b.v_); }
  friend constexpr Quantity operator-(Quantity a, Quantity b) { return Quantity(a.v_ - b.v_); }
  friend constexpr Quantity operator-(Quantity a) { return Quantity(-a.v_); }
  friend constexpr Quantity operator*(Quantity a, double k) { return Quantity(a.v_ * k); }
  friend constexpr Quantity operator*(double k, Quantity a) { return Quantity(a.v_ * k); }
  friend constexpr Quantity operator/(Quantity a, double k) { return Quantity(a.v_ / k); }
  friend constexpr auto operator<=>(Quantity, Quantity) = default;
  friend constexpr bool operator==(Quantity, Quantity) = default;

 private:
  double v_ = 0;
};

struct AmpsTag;
struct WattsTag;
/// Current per phase, in amperes. Signed where the contract says so (grid: + = import).
using Amps = Quantity<AmpsTag>;
/// Active power, in watts. Signed where the contract says so.
using Watts = Quantity<WattsTag>;

[[nodiscard]] constexpr Watts to_power(Amps per_phase, double voltage_v, int phases) {
  return Watts(per_phase.value() * voltage_v * phases);
}
[[nodiscard]] constexpr Amps to_current(Watts power, double voltage_v, int phases) {
  return Amps(power.value() / (voltage_v * phases));
}
[[nodiscard]] inline bool is_finite(Amps a) {
  return std::isfinite(a.value());
}
[[nodiscard]] inline bool is_finite(Watts w) {
  return std::isfinite(w.value());
}

}  // namespace emsgw::ems
