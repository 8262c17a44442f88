#include "drivers/dsmr/dsmr_parser.hpp"

#include <gtest/gtest.h>

#include <random>

#include "tests/dsmr/dsmr_telegrams.hpp"

namespace emsgw::drivers {
namespace {

using test::kTelegramFluvius;
using test::kTelegramUnpaddedCrc;
using test::kTelegramV42;
using test::kTelegramV5;

std::vector<Result<DsmrTelegram, DsmrFault>> feed_all(DsmrStreamParser& p, const std::string& bytes) {
  return p.feed(bytes);
}

MeterReading reading_of(const std::string& text) {
  auto t = parse_dsmr_frame(text);
  EXPECT_TRUE(t.has_value()) << (t ? "" : to_string(t.error()));
  return dsmr_reading(*t, ems::MonoTime{}, ems::WallTime{});
}

TEST(DsmrCrc, CheckValueOfCrc16Arc) {
  EXPECT_EQ(dsmr_crc16("123456789"), 0xBB3D);
}

TEST(DsmrCrc, ExampleTelegramsVerify) {
  for (const auto* t : {&kTelegramV5, &kTelegramFluvius, &kTelegramV42, &kTelegramUnpaddedCrc}) {
    auto r = parse_dsmr_frame(*t);
    ASSERT_TRUE(r.has_value()) << t->substr(0, 20) << ": " << to_string(r.error());
    EXPECT_TRUE(r->has_crc);
  }
  EXPECT_EQ(parse_dsmr_frame(kTelegramV5)->crc, 0x6EEE);
  EXPECT_EQ(parse_dsmr_frame(kTelegramFluvius)->crc, 0x3AD7);
  EXPECT_EQ(parse_dsmr_frame(kTelegramV42)->crc, 0x6796);
}

TEST(DsmrCrc, UnpaddedCrcComparedNumerically) {
  auto r = parse_dsmr_frame(kTelegramUnpaddedCrc);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->crc, 0x0A00);
  EXPECT_EQ(r->header, "NWA-WARMTELINK");
}

TEST(DsmrCrc, EveryFlippedByteIsRejected) {
  const auto bang = kTelegramV5.rfind('!');
  int rejected = 0;
  for (std::size_t i = 1; i < bang; i += 7) {
    std::string t = kTelegramV5;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    auto r = parse_dsmr_frame(t);
    if (!r.has_value()) ++rejected;
  }
  EXPECT_EQ(rejected, static_cast<int>((bang - 1 + 6) / 7));
}

TEST(DsmrCrc, WrongCrcDigitsAreCrcMismatch) {
  std::string t = kTelegramV42;
  t.replace(t.rfind('!') + 1, 4, "6797");
  auto r = parse_dsmr_frame(t);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), DsmrFault::CrcMismatch);
}

TEST(DsmrCrc, Dsmr5WithoutCrcIsRejectedButDsmr3Accepted) {
  std::string t = kTelegramV5;
  t.erase(t.rfind('!') + 1, 4);
  auto r = parse_dsmr_frame(t);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), DsmrFault::MissingCrc);
  const std::string v3 =
      "/ISk5\\2MT382-1000\r\n\r\n0-0:96.1.1(4B41)\r\n1-0:1.8.1(12345.678*kWh)\r\n1-0:1.7.0(0001.19*kW)\r\n"
      "0-1:24.3.0(090212160000)(00)(60)(1)(0-1:24.2.1)(m3)\r\n(00001.001)\r\n!\r\n";
  auto v = parse_dsmr_frame(v3);
  ASSERT_TRUE(v.has_value());
  EXPECT_FALSE(v->has_crc);
  // The two-line gas object keeps its value line (§1.2).
  EXPECT_EQ(*v->value("0-1:24.3.0"), "00001.001");
}

TEST(DsmrReading, Dsmr5PerPhaseValues) {
  const auto r = reading_of(kTelegramV5);
  EXPECT_DOUBLE_EQ(*r.power_w[0].value(), 70.0);
  EXPECT_DOUBLE_EQ(*r.power_w[1].value(), 32.0);
  EXPECT_DOUBLE_EQ(*r.power_w[2].value(), 142.0);
  EXPECT_DOUBLE_EQ(*r.power_total_w.value(), 244.0);
  EXPECT_DOUBLE_EQ(*r.current_a[0].value(), 0.48);
  EXPECT_DOUBLE_EQ(*r.current_a[2].value(), 0.86);
  EXPECT_DOUBLE_EQ(r.current_step_a, 0);
  EXPECT_DOUBLE_EQ(*r.voltage_v[2].value(), 229.0);
  EXPECT_DOUBLE_EQ(*r.energy_import_wh.value(), 6825.0);
  EXPECT_DOUBLE_EQ(*r.energy_export_wh.value(), 2444.0);
  ASSERT_TRUE(r.device_time.has_value());
  // 2017-01-02 19:20:02 CET = 18:20:02 UTC.
  EXPECT_EQ(r.device_time->time_since_epoch(), std::chrono::seconds{1483381202});
  EXPECT_EQ(r.rejected, 0);
}

TEST(DsmrReading, Dsmr42IntegerCurrentsNoVoltage) {
  const auto r = reading_of(kTelegramV42);
  EXPECT_DOUBLE_EQ(*r.current_a[1].value(), 6.0);
  EXPECT_DOUBLE_EQ(*r.power_w[1].value(), 1247.0);
  EXPECT_EQ(r.voltage_v[0].why(), Invalid::Missing);
  EXPECT_DOUBLE_EQ(*r.energy_import_wh.value(), 1581123.0 + 1435706.0);
  EXPECT_DOUBLE_EQ(r.current_step_a, 1) << "F3(0,0) A: whole amperes, counted one more as drawn";
}

TEST(DsmrReading, FluviusTelegram) {
  auto t = parse_dsmr_frame(kTelegramFluvius);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(*t->value("0-0:96.1.4"), "50217");
  const auto r = dsmr_reading(*t, {}, {});
  EXPECT_DOUBLE_EQ(*r.voltage_v[0].value(), 234.7);
  EXPECT_DOUBLE_EQ(*r.current_a[0].value(), 0.0);
  EXPECT_DOUBLE_EQ(r.current_step_a, 0) << "two decimals (000.00*A): as measured";
  EXPECT_DOUBLE_EQ(*r.energy_import_wh.value(), 15792.0);
  EXPECT_DOUBLE_EQ(*r.energy_export_wh.value(), 11.0);
  // S = summer time: 2020-05-12 13:54:09 CEST = 11:54:09 UTC.
  EXPECT_EQ(r.device_time->time_since_epoch(), std::chrono::seconds{1589284449});
}

TEST(DsmrReading, ExportingPhaseGetsNegativeCurrent) {
  // Unsigned whole amps (§1.9 item 1): the direction comes from x2.7.0.
  std::string body =
      "/KFM5KAIFA-METER\r\n\r\n1-3:0.2.8(42)\r\n0-0:1.0.0(161113205757W)\r\n"
      "1-0:31.7.0(010*A)\r\n1-0:21.7.0(00.000*kW)\r\n1-0:22.7.0(02.300*kW)\r\n"
      "1-0:51.7.0(004*A)\r\n1-0:41.7.0(00.920*kW)\r\n1-0:42.7.0(00.000*kW)\r\n!";
  char crc[8];
  std::snprintf(crc, sizeof crc, "%04X", dsmr_crc16(body));
  const auto r = reading_of(body + crc + "\r\n");
  EXPECT_DOUBLE_EQ(*r.current_a[0].value(), -10.0);
  EXPECT_DOUBLE_EQ(*r.power_w[0].value(), -2300.0);
  EXPECT_DOUBLE_EQ(*r.current_a[1].value(), 4.0);
  EXPECT_EQ(r.current_a[2].why(), Invalid::Missing);
}

TEST(DsmrReading, WattUnitsAndReorderedUnknownLines) {
  // Sagemcom (AT) prints W/Wh (§1.6); unknown lines and any order are fine (§1.2).
  std::string body =
      "/XYZ5 TEST\r\n\r\n9-9:99.99.9(whatever)\r\n1-0:1.8.0(000123456*Wh)\r\n1-0:21.7.0(000512*W)\r\n"
      "garbage line\r\n1-0:32.7.0(231.4*V)\r\n!";
  char crc[8];
  std::snprintf(crc, sizeof crc, "%04X", dsmr_crc16(body));
  const auto r = reading_of(body + crc + "\r\n");
  EXPECT_DOUBLE_EQ(*r.energy_import_wh.value(), 123456.0);
  EXPECT_DOUBLE_EQ(*r.power_w[0].value(), 512.0);
  EXPECT_DOUBLE_EQ(*r.voltage_v[0].value(), 231.4);
}

TEST(DsmrReading, ImplausibleValuesAreInvalidNotNumbers) {
  std::string body = "/XYZ5 TEST\r\n\r\n1-0:32.7.0(9999.9*V)\r\n1-0:31.7.0(abc*A)\r\n1-0:21.7.0(00.100*kA)\r\n!";
  char crc[8];
  std::snprintf(crc, sizeof crc, "%04X", dsmr_crc16(body));
  const auto r = reading_of(body + crc + "\r\n");
  EXPECT_EQ(r.voltage_v[0].why(), Invalid::OutOfRange);
  EXPECT_FALSE(r.voltage_v[0].value().has_value());
  EXPECT_EQ(r.current_a[0].why(), Invalid::NotANumber);
  EXPECT_EQ(r.power_w[0].why(), Invalid::Implausible);
  EXPECT_EQ(r.rejected, 3);
}

TEST(DsmrTimestamp, PlaceholdersAreRejected) {
  EXPECT_FALSE(parse_dsmr_timestamp("632525252525W").has_value());
  EXPECT_FALSE(parse_dsmr_timestamp("170230120000W").has_value());  // 30 February
  EXPECT_FALSE(parse_dsmr_timestamp("170102192002X").has_value());
  EXPECT_TRUE(parse_dsmr_timestamp("200229235959W").has_value());  // leap day
}

TEST(DsmrStream, FindsTelegramsInGarbageAndSplitFeeds) {
  const std::string stream = "\x01\xffnoise!!" + kTelegramV5 + "junk" + kTelegramFluvius + kTelegramV42;
  DsmrStreamParser p;
  std::vector<DsmrTelegram> got;
  // Feed in ragged pieces of 1..97 bytes.
  std::size_t pos = 0;
  std::size_t step = 1;
  while (pos < stream.size()) {
    const auto n = std::min(step, stream.size() - pos);
    for (auto& r : p.feed(std::string_view(stream).substr(pos, n))) {
      ASSERT_TRUE(r.has_value()) << to_string(r.error());
      got.push_back(std::move(*r));
    }
    pos += n;
    step = step % 97 + 13;
  }
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].crc, 0x6EEE);
  EXPECT_EQ(got[1].crc, 0x3AD7);
  EXPECT_EQ(got[2].crc, 0x6796);
  EXPECT_EQ(p.stats().telegrams, 3U);
  EXPECT_GT(p.stats().garbage_bytes, 8U);
}

TEST(DsmrStream, TruncatedTelegramIsReportedAndNextOneRecovers) {
  DsmrStreamParser p;
  const std::string cut = kTelegramV5.substr(0, kTelegramV5.size() / 2);
  auto out = feed_all(p, cut + kTelegramV42);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_FALSE(out[0].has_value());
  EXPECT_EQ(out[0].error(), DsmrFault::Truncated);
  ASSERT_TRUE(out[1].has_value());
  EXPECT_EQ(out[1]->crc, 0x6796);
  EXPECT_EQ(p.stats().truncated, 1U);
}

TEST(DsmrStream, CrcErrorCountedAndOversizeDropped) {
  const std::size_t limit = kTelegramV42.size() + 8;
  std::string longer = kTelegramV42;
  for (int i = 0; i < 20; ++i) longer.insert(longer.find("1-0:31.7.0"), "0-0:96.13.0()\r\n");
  DsmrStreamParser p(limit);
  std::string bad = kTelegramV42;
  bad[40] = 'X';
  auto out = feed_all(p, bad + longer);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].error(), DsmrFault::CrcMismatch);
  EXPECT_EQ(out[1].error(), DsmrFault::Oversize);
  EXPECT_EQ(p.stats().crc_errors, 1U);
  EXPECT_EQ(p.stats().oversize, 1U);
}

// Bounded random input (runs in every test run; the libFuzzer target explores further).
TEST(DsmrStream, RandomAndMutatedInputNeverCrashes) {
  std::mt19937 rng(20261123);
  DsmrStreamParser p(4096);
  std::size_t verified = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string s = round % 2 == 0 ? kTelegramV5 : kTelegramFluvius;
    const int edits = static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      const auto at = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[at] = static_cast<char>(rng()); break;
        case 1: s.erase(at, rng() % 40); break;
        default: s.insert(at, 1, "/!()*\r\n"[rng() % 7]); break;
      }
    }
    for (auto& r : p.feed(s))
      if (r) {
        ++verified;
        (void)dsmr_reading(*r, {}, {});
      }
  }
  EXPECT_GT(verified, 400U);  // unmodified rounds must still verify
  EXPECT_GT(p.stats().crc_errors + p.stats().truncated + p.stats().malformed, 1000U);
}

}  // namespace
}  // namespace emsgw::drivers
