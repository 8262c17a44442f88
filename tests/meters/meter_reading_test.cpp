#include "drivers/meters/meter_reading.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace emsgw::drivers {
namespace {

TEST(Measurement, InvalidValuesCarryNoNumber) {
  EXPECT_EQ(checked(Quantity::VoltageL1, std::nan("")).why(), Invalid::NotANumber);
  EXPECT_EQ(checked(Quantity::VoltageL1, INFINITY).why(), Invalid::NotANumber);
  EXPECT_EQ(checked(Quantity::VoltageL1, 600.0).why(), Invalid::OutOfRange);
  EXPECT_EQ(checked(Quantity::EnergyImport, -1.0).why(), Invalid::OutOfRange);
  EXPECT_FALSE(checked(Quantity::CurrentL1, 5000.0).value().has_value());
  EXPECT_DOUBLE_EQ(*checked(Quantity::CurrentL1, -16.0).value(), -16.0);
  EXPECT_EQ(Measurement{}.why(), Invalid::Missing);
}

TEST(MeterReading, RejectionsAreCounted) {
  MeterReading r;
  set_quantity(r, Quantity::VoltageL1, checked(Quantity::VoltageL1, 1e9));
  set_quantity(r, Quantity::VoltageL2, checked(Quantity::VoltageL2, 230.0));
  set_quantity(r, Quantity::VoltageL3, Measurement{});
  EXPECT_EQ(r.rejected, 1);
}

TEST(MeterReading, CurrentSignFollowsPower) {
  MeterReading r;
  r.current_a = {Measurement::of(5.0), Measurement::of(-5.0), Measurement::of(3.0)};
  r.power_w = {Measurement::of(-1100.0), Measurement::of(1100.0), Measurement{}};
  sign_currents_from_power(r);
  EXPECT_DOUBLE_EQ(*r.current_a[0].value(), -5.0);
  EXPECT_DOUBLE_EQ(*r.current_a[1].value(), 5.0);
  EXPECT_DOUBLE_EQ(*r.current_a[2].value(), 3.0);
  EXPECT_FALSE(r.current_signed);  // phase 3 has no power to take the direction from
}

TEST(MeterReading, FormatShowsReasonsInsteadOfNumbers) {
  MeterReading r;
  r.current_a[0] = Measurement::of(12.5);
  r.voltage_v[0] = Measurement::invalid(Invalid::OutOfRange);
  const auto text = format_reading(r);
  EXPECT_NE(text.find("12.50 A"), std::string::npos);
  EXPECT_NE(text.find("out of range"), std::string::npos);
}

}  // namespace
}  // namespace emsgw::drivers
