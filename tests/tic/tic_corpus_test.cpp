// The project's TIC corpus (tests/tic/corpus, written by make_corpus.py: historique Base/HC/EJP/
// Tempo on one and three phases, standard consumer and producer meters): every intact frame reads
// its expected values, and no single-byte change of any frame turns into a wrong value — a
// changed group is dropped, and a multi-index total is only given when every index arrived.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "drivers/tic/tic_parser.hpp"
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
  const fs::path dir = fs::path(EMSGW_SOURCE_DIR) / "tests/tic/corpus";
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".bin") continue;
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

std::vector<MeterReading> read_all(std::string_view bytes) {
  TicStreamParser p;
  std::vector<MeterReading> out;
  for (auto& r : p.feed(bytes))
    if (r) out.push_back(tic_reading(*r, {}, {}));
  return out;
}

const Measurement* field(const MeterReading& r, const std::string& key) {
  static const std::map<std::string, Quantity> kKeys{
      {"power_total_w", Quantity::PowerTotal},      {"current_l1_a", Quantity::CurrentL1},
      {"current_l2_a", Quantity::CurrentL2},        {"current_l3_a", Quantity::CurrentL3},
      {"voltage_l1_v", Quantity::VoltageL1},        {"voltage_l2_v", Quantity::VoltageL2},
      {"energy_import_wh", Quantity::EnergyImport}, {"energy_export_wh", Quantity::EnergyExport}};
  if (key == "apparent_power_total_va") return &r.apparent_power_total_va;
  const auto it = kKeys.find(key);
  return it == kKeys.end() ? nullptr : &get_quantity(r, it->second);
}

// Values valid in `got` that differ from `intact`. A reading that says its currents are magnitudes
// of unknown direction (current_sign_known false) is compared by magnitude: it claims no sign.
int changed_values(const MeterReading& intact, const MeterReading& got) {
  std::vector<std::pair<const Measurement*, const Measurement*>> pairs;
  std::array<Measurement, 3> magnitudes;
  for (std::size_t i = 0; i < 3; ++i)
    if (const auto v = intact.current_a[i].value(); v && !got.current_sign_known[i])
      magnitudes[i] = Measurement::of(std::fabs(*v));
  for (auto q : all_quantities()) {
    const Measurement* a = &get_quantity(intact, q);
    if (!got.current_sign_known[0] && q == Quantity::CurrentL1) a = &magnitudes[0];
    if (!got.current_sign_known[1] && q == Quantity::CurrentL2) a = &magnitudes[1];
    if (!got.current_sign_known[2] && q == Quantity::CurrentL3) a = &magnitudes[2];
    pairs.emplace_back(a, &get_quantity(got, q));
  }
  for (std::size_t i = 0; i < 3; ++i) pairs.emplace_back(&intact.apparent_power_va[i], &got.apparent_power_va[i]);
  pairs.emplace_back(&intact.apparent_power_total_va, &got.apparent_power_total_va);
  int n = 0;
  for (const auto& [a, b] : pairs) {
    const auto vb = b->value();
    if (!vb) continue;
    const auto va = a->value();
    if (!va || std::fabs(*va - *vb) > 1e-9) ++n;
  }
  return n;
}

TEST(TicCorpus, EveryIntactFrameReadsItsExpectedValues) {
  const auto corpus = load_corpus();
  ASSERT_EQ(corpus.size(), 9U);
  for (const auto& c : corpus) {
    SCOPED_TRACE(c.name);
    const auto got = read_all(c.bytes);
    ASSERT_EQ(got.size(), 1U);
    const auto& r = got[0];
    EXPECT_EQ(r.rejected, 0);
    for (const auto& [key, text] : c.expect) {
      if (key == "signed") {
        EXPECT_TRUE(r.current_signed);
        continue;
      }
      const auto* m = field(r, key);
      ASSERT_NE(m, nullptr) << key;
      ASSERT_TRUE(m->valid()) << key << " is " << to_string(m->why());
      EXPECT_NEAR(*m->value(), std::stod(text), 1e-6) << key;
    }
    if (!c.expect.contains("signed") && c.name.rfind("std_", 0) == 0) {
      EXPECT_FALSE(r.current_signed);
    }
  }
}

TEST(TicCorpus, NoSingleByteChangeMakesAWrongValue) {
  std::uint64_t total = 0;
  std::uint64_t no_frame = 0;
  std::uint64_t unchanged = 0;
  for (const auto& c : load_corpus()) {
    SCOPED_TRACE(c.name);
    const auto intact = read_all(c.bytes);
    ASSERT_EQ(intact.size(), 1U);
    std::uint64_t t_none = 0;
    std::uint64_t t_same = 0;
    for (std::size_t i = 0; i < c.bytes.size(); ++i) {
      for (const int b : test::mutation_values()) {
        if (static_cast<char>(b) == c.bytes[i]) continue;
        std::string m = c.bytes;
        m[i] = static_cast<char>(b);
        ++total;
        const auto got = read_all(m);
        if (got.empty()) {
          ++t_none;
          continue;
        }
        for (const auto& r : got) {
          ASSERT_EQ(changed_values(intact[0], r), 0)
              << "byte " << i << " (0x" << std::hex << static_cast<int>(static_cast<unsigned char>(c.bytes[i]))
              << ") → 0x" << b << std::dec << " changed a value";
        }
        ++t_same;
      }
    }
    std::printf("%-26s %5zu bytes: %6llu without frame, %7llu frames with no value changed\n", c.name.c_str(),
                c.bytes.size(), static_cast<unsigned long long>(t_none), static_cast<unsigned long long>(t_same));
    no_frame += t_none;
    unchanged += t_same;
  }
  std::printf("TIC corpus mutations: %llu, no frame %llu, frame with every value right or dropped %llu\n",
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(no_frame),
              static_cast<unsigned long long>(unchanged));
  EXPECT_EQ(no_frame + unchanged, total);
}

TEST(TicCorpus, AHistoriqueTotalNeedsEveryIndexOfTheTariff) {
  // 27,736 kWh read as 16,780 kWh when the HCHC group failed its checksum.
  const auto corpus = load_corpus();
  const auto it = std::find_if(corpus.begin(), corpus.end(), [](const auto& c) { return c.name == "hist_hc_1ph"; });
  ASSERT_NE(it, corpus.end());
  std::string m = it->bytes;
  m[m.find("HCHC 0109") + 7] = '2';  // checksum now wrong: the group is dropped
  const auto got = read_all(m);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_FALSE(got[0].energy_import_wh.valid());
  EXPECT_NE(got[0].energy_import_wh.why(), Invalid::Missing);
}

TEST(TicCorpus, AStrayStxInsideAFrameLosesOnlyItsGroup) {
  const auto corpus = load_corpus();
  const auto it =
      std::find_if(corpus.begin(), corpus.end(), [](const auto& c) { return c.name == "std_3ph_consumer"; });
  ASSERT_NE(it, corpus.end());
  std::string m = it->bytes;
  m[m.find("URMS2") + 2] = '\x02';  // noise inside URMS2
  const auto got = read_all(m);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_FALSE(got[0].voltage_v[1].valid());
  // Everything before the stray STX is still there.
  EXPECT_DOUBLE_EQ(*got[0].current_a[0].value(), 12.0);
  EXPECT_DOUBLE_EQ(*got[0].energy_import_wh.value(), 35991344.0);
}

TEST(TicCorpus, EnergyNeverGoesBack) {
  const auto corpus = load_corpus();
  const auto it = std::find_if(corpus.begin(), corpus.end(), [](const auto& c) { return c.name == "hist_base_1ph"; });
  ASSERT_NE(it, corpus.end());
  auto first = read_all(it->bytes).at(0);
  EnergyNeverBack guard;
  guard.apply(first);
  EXPECT_TRUE(first.energy_import_wh.valid());
  std::string lower = it->bytes;
  const auto at = lower.find("BASE 027736110");
  const std::string group = tic_group(TicMode::Historique, "BASE", "027736109");
  lower.replace(at - 1, group.size(), group);
  auto second = read_all(lower).at(0);
  ASSERT_TRUE(second.energy_import_wh.valid());
  guard.apply(second);
  EXPECT_EQ(second.energy_import_wh.why(), Invalid::Implausible);
}

}  // namespace
}  // namespace emsgw::drivers
