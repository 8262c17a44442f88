// The project's DSMR P1 corpus (tests/dsmr/corpus, written by make_corpus.py from the published
// layouts of DSMR 2.2, 3.0, 4.2, 5.0, Fluvius, Sagemcom T210-D-R, Iskra IE, E.ON Hungary, ESO and
// EasyMeter): every intact telegram reads its expected values, and every single-byte change of
// every telegram is refused or leaves every value unchanged (CRC-bearing formats); for formats
// without CRC nothing can vouch for a digit, so there a change may alter only the value it sits in
// and never shortens or merges the telegram.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "drivers/dsmr/dsmr_parser.hpp"
#include "drivers/dsmr/p1_meter.hpp"
#include "tests/support/mutation.hpp"

namespace emsgw::drivers {
namespace {

namespace fs = std::filesystem;

struct CorpusEntry {
  std::string name;
  std::string bytes;
  std::map<std::string, std::string> expect;
};

std::vector<CorpusEntry> load_corpus() {
  std::vector<CorpusEntry> out;
  const fs::path dir = fs::path(EMSGW_SOURCE_DIR) / "tests/dsmr/corpus";
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".txt") continue;
    CorpusEntry c;
    c.name = e.path().stem().string();
    std::ifstream f(e.path(), std::ios::binary);
    c.bytes.assign(std::istreambuf_iterator<char>(f), {});
    std::ifstream x(fs::path(e.path()).replace_extension(".expect"));
    for (std::string line; std::getline(x, line);)
      if (const auto eq = line.find('='); eq != std::string::npos) c.expect[line.substr(0, eq)] = line.substr(eq + 1);
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

// The site every corpus meter sits at: 3 × 25 A.
constexpr ConnectionBound kSite{25.0, 3};

// Readings of `bytes`, on a parser that has already seen `before` from the same meter.
std::vector<MeterReading> read_all(std::string_view bytes, std::string_view before = {}) {
  DsmrStreamParser p;
  (void)p.feed(before);
  std::vector<MeterReading> out;
  for (auto& r : p.feed(bytes))
    if (r) {
      auto m = dsmr_reading(*r, {}, {});
      bound_by_connection(m, kSite);
      out.push_back(std::move(m));
    }
  return out;
}

const Measurement* field(const MeterReading& r, const std::string& key) {
  static const std::map<std::string, Quantity> kKeys{{"power_l1_w", Quantity::PowerL1},
                                                     {"power_l2_w", Quantity::PowerL2},
                                                     {"power_l3_w", Quantity::PowerL3},
                                                     {"power_total_w", Quantity::PowerTotal},
                                                     {"current_l1_a", Quantity::CurrentL1},
                                                     {"current_l2_a", Quantity::CurrentL2},
                                                     {"current_l3_a", Quantity::CurrentL3},
                                                     {"voltage_l1_v", Quantity::VoltageL1},
                                                     {"voltage_l2_v", Quantity::VoltageL2},
                                                     {"voltage_l3_v", Quantity::VoltageL3},
                                                     {"energy_import_wh", Quantity::EnergyImport},
                                                     {"energy_export_wh", Quantity::EnergyExport}};
  if (key == "demand_quarter_hour_w") return &r.demand_quarter_hour_w;
  if (key == "demand_month_peak_w") return &r.demand_month_peak_w;
  const auto it = kKeys.find(key);
  return it == kKeys.end() ? nullptr : &get_quantity(r, it->second);
}

// Every value a reading carries, for comparison.
std::vector<const Measurement*> every_value(const MeterReading& r) {
  std::vector<const Measurement*> v;
  for (auto q : all_quantities()) v.push_back(&get_quantity(r, q));
  for (const auto& m : r.apparent_power_va) v.push_back(&m);
  v.push_back(&r.apparent_power_total_va);
  v.push_back(&r.demand_quarter_hour_w);
  v.push_back(&r.demand_month_peak_w);
  return v;
}

// Number of values that are valid in `got` but differ from (or are absent in) `intact`.
int changed_values(const MeterReading& intact, const MeterReading& got) {
  const auto a = every_value(intact);
  const auto b = every_value(got);
  int n = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto vb = b[i]->value();
    if (!vb) continue;
    const auto va = a[i]->value();
    if (!va || std::fabs(*va - *vb) > 1e-9) ++n;
  }
  return n;
}

// Is position `i` inside a value group "(…)" of a COSEM line?
bool inside_value(const std::string& t, std::size_t i) {
  const auto open = t.rfind('(', i);
  const auto close = t.rfind(')', i);
  const auto line = t.rfind('\n', i);
  return open != std::string::npos && (close == std::string::npos || close < open) &&
         (line == std::string::npos || line < open) && t[i] != '(' && t[i] != ')';
}

TEST(DsmrCorpus, HoldsEveryListedFormat) {
  const auto corpus = load_corpus();
  std::set<std::string> names;
  for (const auto& c : corpus) names.insert(c.name);
  for (const char* n : {"dsmr22_iskra", "dsmr30_export", "dsmr42_kaifa", "dsmr50_iskra_import", "dsmr50_lg_export",
                        "fluvius_1ph", "fluvius_3ph_export", "sagemcom_t210dr", "iskra_ie", "eon_hu", "eso_1ph",
                        "eso_3ph", "easymeter_q3d_b", "easymeter_q3d_a_phases"})
    EXPECT_TRUE(names.contains(n)) << n;
}

TEST(DsmrCorpus, EveryIntactTelegramReadsItsExpectedValues) {
  for (const auto& c : load_corpus()) {
    SCOPED_TRACE(c.name);
    const auto got = read_all(c.bytes);
    ASSERT_EQ(got.size(), 1U);
    const auto& r = got[0];
    EXPECT_EQ(r.rejected, 0);
    for (const auto& [key, text] : c.expect) {
      if (key == "version") {
        EXPECT_EQ(r.protocol_version, text);
        continue;
      }
      const auto* m = field(r, key);
      ASSERT_NE(m, nullptr) << key;
      ASSERT_TRUE(m->valid()) << key << " is " << to_string(m->why());
      EXPECT_NEAR(*m->value(), std::stod(text), 1e-6) << key;
    }
  }
}

TEST(DsmrCorpus, EverySingleByteChangeIsRefusedOrChangesNoValue) {
  std::uint64_t total = 0;
  std::uint64_t refused = 0;
  std::uint64_t unchanged = 0;
  std::uint64_t changed_crc_less = 0;
  for (const auto& c : load_corpus()) {
    SCOPED_TRACE(c.name);
    const auto intact = read_all(c.bytes);
    ASSERT_EQ(intact.size(), 1U);
    const bool has_crc = c.bytes[c.bytes.find('!') + 1] != '\r';
    std::uint64_t t_refused = 0, t_unchanged = 0, t_changed = 0;
    for (std::size_t i = 0; i < c.bytes.size(); ++i) {
      for (const int b : test::mutation_values()) {
        if (static_cast<char>(b) == c.bytes[i]) continue;
        std::string m = c.bytes;
        m[i] = static_cast<char>(b);
        // CRC-checked telegrams on a fresh parser (the harder case: it has not seen a CRC yet);
        // telegrams without CRC after the meter's previous, intact telegram.
        const auto got = has_crc ? read_all(m) : read_all(m, c.bytes);
        ++total;
        if (got.empty()) {
          ++t_refused;
          continue;
        }
        ASSERT_EQ(got.size(), 1U) << "byte " << i << " → " << b << " made two telegrams";
        const int n = changed_values(intact[0], got[0]);
        if (n == 0) {
          ++t_unchanged;
          continue;
        }
        ++t_changed;
        ASSERT_FALSE(has_crc) << "byte " << i << " ('" << c.bytes[i] << "') → " << b << " changed " << n
                              << " value(s) of a CRC-checked telegram";
        // Without CRC: only a byte inside a value may change that value; structure never.
        ASSERT_TRUE(inside_value(c.bytes, i)) << "byte " << i << " ('" << c.bytes[i] << "') → " << b << " changed " << n
                                              << " value(s) from outside any value";
      }
    }
    std::printf("%-24s %5zu bytes %s: %8llu refused, %6llu unchanged, %6llu changed\n", c.name.c_str(), c.bytes.size(),
                has_crc ? "CRC   " : "no CRC", static_cast<unsigned long long>(t_refused),
                static_cast<unsigned long long>(t_unchanged), static_cast<unsigned long long>(t_changed));
    refused += t_refused;
    unchanged += t_unchanged;
    changed_crc_less += t_changed;
  }
  std::printf("DSMR corpus mutations: %llu, refused %llu, unchanged %llu, changed (telegrams without CRC) %llu\n",
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(refused),
              static_cast<unsigned long long>(unchanged), static_cast<unsigned long long>(changed_crc_less));
#ifdef EMSGW_SANITIZED
  EXPECT_GT(total, 500000U);
#else
  EXPECT_GT(total, 1000000U);
#endif
}

TEST(DsmrCorpus, OnceAMeterSentCrcsATelegramWithoutOneIsRefused) {
  const auto corpus = load_corpus();
  const auto it = std::find_if(corpus.begin(), corpus.end(), [](const auto& c) { return c.name == "dsmr42_kaifa"; });
  ASSERT_NE(it, corpus.end());
  std::string no_crc = it->bytes;
  const auto bang = no_crc.rfind('!');
  no_crc.erase(bang + 1, 4);
  // Drop the version line too: nothing in the telegram itself says it needs a CRC any more.
  no_crc.erase(no_crc.find("1-3:0.2.8"), std::string("1-3:0.2.8(42)\r\n").size());
  {
    DsmrStreamParser fresh;
    auto out = fresh.feed(no_crc);
    ASSERT_EQ(out.size(), 1U);
    EXPECT_TRUE(out[0].has_value()) << "a meter that never sent a CRC may send none";
  }
  DsmrStreamParser p;
  auto out = p.feed(it->bytes + no_crc);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_TRUE(out[0].has_value());
  ASSERT_FALSE(out[1].has_value());
  EXPECT_EQ(out[1].error(), DsmrFault::MissingCrc);
}

TEST(DsmrCorpus, ABangInsideATelegramWithoutCrcDoesNotEndIt) {
  // The cases: a changed byte that becomes '!' must not end a shorter telegram.
  const auto corpus = load_corpus();
  for (const auto& c : corpus) {
    if (c.bytes[c.bytes.find('!') + 1] != '\r') continue;
    SCOPED_TRACE(c.name);
    int accepted_prefixes = 0;
    for (std::size_t i = 1; i + 3 < c.bytes.find('!'); ++i) {
      std::string m = c.bytes;
      m[i] = '!';
      for (const auto& r : read_all(m, c.bytes))
        if (changed_values(read_all(c.bytes)[0], r) > 0 && !inside_value(c.bytes, i)) ++accepted_prefixes;
    }
    EXPECT_EQ(accepted_prefixes, 0);
  }
}

TEST(DsmrCorpus, AnObisCodeChangedWithoutCrcIsRefusedUntilTheMeterRepeatsIt) {
  // An export of −1190 W read as 0 W: the export line's code changed, the import line alone was
  // taken as the net power.
  const auto corpus = load_corpus();
  const auto it = std::find_if(corpus.begin(), corpus.end(), [](const auto& c) { return c.name == "dsmr30_export"; });
  ASSERT_NE(it, corpus.end());
  std::string m = it->bytes;
  m[m.find("1-0:2.7.0") + 8] = '1';
  EXPECT_TRUE(read_all(m, it->bytes).empty());
  DsmrStreamParser p;
  auto out = p.feed(it->bytes + m + m);
  ASSERT_EQ(out.size(), 3U);
  EXPECT_TRUE(out[0].has_value());
  ASSERT_FALSE(out[1].has_value());
  EXPECT_EQ(out[1].error(), DsmrFault::LayoutChanged);
  EXPECT_TRUE(out[2].has_value()) << "a layout the meter repeats is its new layout";
}

TEST(DsmrCorpus, ADigitErrorBeyondTheConnectionIsRejected) {
  // DSMR 3 digit error: 1.01 kW read as 1101 kW passed the generic 1.5 MW limit.
  const auto corpus = load_corpus();
  const auto it = std::find_if(corpus.begin(), corpus.end(), [](const auto& c) { return c.name == "dsmr22_iskra"; });
  ASSERT_NE(it, corpus.end());
  std::string m = it->bytes;
  const auto at = m.find("1-0:1.7.0(0001.01");
  ASSERT_NE(at, std::string::npos);
  m[at + 14] = '1';  // "0001.01" → "0001101"
  const auto got = read_all(m);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].power_total_w.why(), Invalid::OutOfRange);
  // Without the site's bound the same value would pass.
  DsmrStreamParser p;
  auto t = p.feed(m);
  ASSERT_TRUE(t.at(0).has_value());
  EXPECT_TRUE(dsmr_reading(*t[0], {}, {}).power_total_w.valid());
}

TEST(DsmrCorpus, ATelegramJustBeforeTheAdapterClosesIsKept) {
  // A P1 adapter that sends one telegram and closes: the reading is kept, not lost with the link.
  class OneShot final : public ByteStream {
   public:
    explicit OneShot(std::string bytes) : bytes_(std::move(bytes)) {}
    Result<std::size_t, MeterError> read_some(std::span<char> buf, ems::Millis) override {
      if (sent_) return Unexpected(MeterError{MeterError::Kind::Io, true, "read: connection reset"});
      sent_ = true;
      const auto n = std::min(buf.size(), bytes_.size());
      std::copy_n(bytes_.begin(), n, buf.begin());
      return n;
    }
    [[nodiscard]] std::string endpoint() const override { return "one-shot"; }

   private:
    std::string bytes_;
    bool sent_ = false;
  };
  class Clock final : public ems::Clock {
   public:
    [[nodiscard]] ems::MonoTime mono_now() const override { return {}; }
    [[nodiscard]] ems::WallTime wall_now() const override { return {}; }
  };
  const auto corpus = load_corpus();
  int kept = 0;
  for (const auto& c : corpus) {
    OneShot s(c.bytes);
    Clock clock;
    DsmrP1Meter meter(s, clock, ems::Millis{100});
    if (auto r = meter.poll(); r) ++kept;
    EXPECT_EQ(meter.link_closed(), 1U);
  }
  EXPECT_EQ(kept, static_cast<int>(corpus.size()));
}

}  // namespace
}  // namespace emsgw::drivers
