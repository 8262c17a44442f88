// [tariff]: prices by local time (flat, time-of-use windows across midnight and by weekday), the
// cost of metered quarter hours, and the section's rules through the config loader.
#include "gateway/storage/tariff.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "gateway/config/config.hpp"
#include "gateway/storage/records.hpp"

namespace emsgw::gateway::storage {
namespace {

Tariff tou() {
  Tariff t;
  t.configured = true;
  t.import_price_per_kwh = 0.30;
  t.export_price_per_kwh = 0.07;
  t.windows.push_back({"off-peak", 23 * 60, 7 * 60, 0x1f, 0.20, std::nullopt});  // weekday nights
  t.windows.push_back({"weekend", 0, 0, 0x60, 0.18, 0.05});                      // empty: never applies
  return t;
}

TEST(Tariff, AWindowPastMidnightBelongsToTheDayItStarts) {
  const auto t = tou();
  EXPECT_DOUBLE_EQ(price_at(t, {22 * 60 + 59, 0}).import_per_kwh, 0.30);  // Monday 22:59
  EXPECT_DOUBLE_EQ(price_at(t, {23 * 60, 0}).import_per_kwh, 0.20);       // Monday 23:00
  EXPECT_EQ(price_at(t, {23 * 60, 0}).window, "off-peak");
  EXPECT_DOUBLE_EQ(price_at(t, {6 * 60 + 45, 1}).import_per_kwh, 0.20);  // Tuesday 06:45, from Monday night
  EXPECT_DOUBLE_EQ(price_at(t, {7 * 60, 1}).import_per_kwh, 0.30);
  EXPECT_DOUBLE_EQ(price_at(t, {23 * 60, 5}).import_per_kwh, 0.30);  // Saturday night: not a weekday
  EXPECT_DOUBLE_EQ(price_at(t, {1 * 60, 5}).import_per_kwh, 0.20);   // Saturday 01:00, from Friday night
  EXPECT_DOUBLE_EQ(price_at(t, {1 * 60, 6}).import_per_kwh, 0.30);   // Sunday 01:00
  EXPECT_DOUBLE_EQ(price_at(t, {23 * 60, 0}).export_per_kwh, 0.07);  // the flat export price
}

TEST(Tariff, SlicesArePricedAtTheirStartWithSolarAtTheExportPrice) {
  Tariff t = tou();
  // 2023-11-13 was a Monday: 22:45 and 23:00 UTC.
  const auto mon_2245 = from_unix_ms(1'699'915'500'000);
  const auto mon_2300 = mon_2245 + std::chrono::minutes(15);
  ASSERT_EQ(utc_minute(mon_2245).weekday, 0);
  ASSERT_EQ(utc_minute(mon_2245).minute, 22 * 60 + 45);
  std::vector<SessionSlice> slices{{mon_2245, 1000, 0.0}, {mon_2300, 2000, 500.0}};
  const auto cost = price_slices(t, slices, utc_minute);
  ASSERT_TRUE(cost);
  EXPECT_NEAR(*cost, 1.0 * 0.30 + 1.5 * 0.20 + 0.5 * 0.07, 1e-12);
  t.configured = false;
  EXPECT_FALSE(price_slices(t, slices, utc_minute));
}

TEST(Tariff, ClockTimesAreHoursAndMinutes) {
  EXPECT_EQ(parse_clock("00:00"), 0);
  EXPECT_EQ(parse_clock("23:45"), 23 * 60 + 45);
  EXPECT_FALSE(parse_clock("24:00"));
  EXPECT_FALSE(parse_clock("7:00"));
  EXPECT_FALSE(parse_clock("07:60"));
}

}  // namespace
}  // namespace emsgw::gateway::storage

namespace emsgw::gateway {
namespace {

const char* kSite = R"(
[site]
name = "home"
grid_max_current_a = 25
meter_includes_chargers = true
[meter.grid]
kind = "modbus-tcp"
host = "127.0.0.1"
port = 1502
preset = "eastron-sdm630"
[[station]]
name = "carport"
host = "127.0.0.1"
port = 1503
max_current_a = 32
[[station.socket]]
id = 1
unit = 1
max_current_a = 16
safe_current_a = 6
phase_mapping = "L1L2L3"
)";

std::vector<ConfigError> errors_of(const std::string& extra) {
  try {
    (void)load_config_text(std::string(kSite) + extra, "site.toml");
  } catch (const ConfigLoadError& e) {
    return e.errors();
  }
  return {};
}

TEST(TariffConfig, WithoutTheSectionSessionsCarryNoCost) {
  EXPECT_FALSE(load_config_text(kSite, "site.toml").tariff.configured);
}

TEST(TariffConfig, FlatPricesAndTimeOfUseWindowsAreRead) {
  const auto c = load_config_text(std::string(kSite) + R"(
[tariff]
currency = "EUR"
import_price_per_kwh = 0.31
export_price_per_kwh = 0.07
[[tariff.window]]
name = "off-peak"
start = "23:00"
end = "07:00"
days = "weekdays"
import_price_per_kwh = 0.22
[[tariff.window]]
name = "weekend"
start = "07:00"
end = "23:00"
days = "sat,sun"
import_price_per_kwh = 0.2
export_price_per_kwh = 0.05
)",
                                  "site.toml");
  const auto& t = c.tariff;
  ASSERT_TRUE(t.configured);
  EXPECT_EQ(t.currency, "EUR");
  EXPECT_DOUBLE_EQ(t.import_price_per_kwh, 0.31);
  EXPECT_DOUBLE_EQ(t.export_price_per_kwh, 0.07);
  ASSERT_EQ(t.windows.size(), 2u);
  EXPECT_EQ(t.windows[0].name, "off-peak");
  EXPECT_EQ(t.windows[0].start_min, 23 * 60);
  EXPECT_EQ(t.windows[0].end_min, 7 * 60);
  EXPECT_EQ(t.windows[0].days, 0x1f);
  EXPECT_FALSE(t.windows[0].export_price_per_kwh);
  EXPECT_EQ(t.windows[1].days, 0x60);
  EXPECT_DOUBLE_EQ(*t.windows[1].export_price_per_kwh, 0.05);
}

TEST(TariffConfig, BadValuesAreRefusedNamingKeyValueAndRule) {
  const auto e = errors_of(R"(
[tariff]
currency = "euro"
import_price_per_kwh = 30
[[tariff.window]]
start = "23:10"
end = "07:00"
days = "monday"
import_price_per_kwh = 0.2
)");
  auto has = [&](const std::string& key, const std::string& rule_part) {
    return std::any_of(e.begin(), e.end(), [&](const ConfigError& x) {
      return x.key == key && x.rule.find(rule_part) != std::string::npos && x.line > 0;
    });
  };
  EXPECT_TRUE(has("tariff.currency", "ISO 4217"));
  EXPECT_TRUE(has("tariff.import_price_per_kwh", "between -10 and 10"));
  EXPECT_TRUE(has("tariff.window[0].start", "quarter hour"));
  EXPECT_TRUE(has("tariff.window[0].days", "weekdays"));
  EXPECT_TRUE(std::none_of(e.begin(), e.end(), [](const ConfigError& x) { return x.key == "tariff.window[0].end"; }));
}

TEST(TariffConfig, OverlappingWindowsAndUnknownKeysAreRefused) {
  const auto e = errors_of(R"(
[tariff]
import_price_per_kwh = 0.3
[[tariff.window]]
name = "night"
start = "22:00"
end = "06:00"
import_price_per_kwh = 0.2
[[tariff.window]]
name = "early"
start = "05:00"
end = "08:00"
import_price_per_kwh = 0.25
peak = true
)");
  ASSERT_FALSE(e.empty());
  EXPECT_TRUE(std::any_of(e.begin(), e.end(), [](const ConfigError& x) {
    return x.key == "tariff.window[1]" && x.rule.find("overlaps tariff.window[0]") != std::string::npos;
  }));
  EXPECT_TRUE(std::any_of(e.begin(), e.end(), [](const ConfigError& x) { return x.key == "tariff.window[1].peak"; }));
}

}  // namespace
}  // namespace emsgw::gateway
