// The fuzz entry points under bounded random and mutated input, so every test run exercises them
// (the libFuzzer build explores further). Fails by crashing or by a sanitizer report.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "drivers/dsmr/dsmr_parser.hpp"
#include "drivers/tic/tic_parser.hpp"
#include "tests/dsmr/dsmr_telegrams.hpp"
#include "tests/fuzz/fuzz_targets.hpp"

namespace emsgw::test {
namespace {

using Target = void (*)(const std::uint8_t*, std::size_t);

// Random bytes, and mutations of a valid seed (flips, cuts, duplications).
std::size_t run(Target target, const std::string& seed, int rounds, std::uint32_t rng_seed) {
  std::mt19937 rng(rng_seed);
  std::size_t bytes = 0;
  for (int i = 0; i < rounds; ++i) {
    std::string s;
    if (i % 3 == 0) {
      s.resize(rng() % 600);
      for (auto& c : s) c = static_cast<char>(rng());
    } else {
      s = seed;
      const int edits = 1 + static_cast<int>(rng() % 8);
      for (int e = 0; e < edits && !s.empty(); ++e) {
        const auto at = rng() % s.size();
        switch (rng() % 4) {
          case 0: s[at] = static_cast<char>(rng()); break;
          case 1: s.erase(at, rng() % 64); break;
          case 2: s.insert(at, s.substr(at, rng() % 64)); break;
          default: s[at] = static_cast<char>(s[at] ^ (1 << (rng() % 8))); break;
        }
      }
    }
    target(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    bytes += s.size();
  }
  return bytes;
}

std::string tic_seed() {
  using drivers::TicMode;
  return "\x02" + drivers::tic_group(TicMode::Standard, "IRMS1", "012") +
         drivers::tic_group(TicMode::Standard, "DATE", "", "E200512135409") +
         drivers::tic_group(TicMode::Historique, "PAPP", "02400") + "\x03";
}

std::string words_seed(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i * 37));
  return s;
}

TEST(FuzzRandom, Dsmr) {
  EXPECT_GT(run(fuzz_dsmr, kTelegramV5 + kTelegramFluvius, 3000, 1), 0U);
}

TEST(FuzzRandom, Tic) {
  EXPECT_GT(run(fuzz_tic, tic_seed(), 3000, 2), 0U);
}

TEST(FuzzRandom, ModbusMeterReply) {
  EXPECT_GT(run(fuzz_modbus_meter_reply, words_seed(300), 3000, 3), 0U);
}

TEST(FuzzRandom, SunspecModel) {
  std::string seed = words_seed(260);
  seed[0] = 0;
  seed[1] = static_cast<char>(203);
  EXPECT_GT(run(fuzz_sunspec_model, seed, 3000, 4), 0U);
}

}  // namespace
}  // namespace emsgw::test
