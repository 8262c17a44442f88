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
#include "tests/fuzz/net_fuzz_targets.hpp"
#include "tests/support/process.hpp"

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

TEST(FuzzRandom, MqttCommand) {
  for (const auto& [seed, n] : {std::pair{std::string("socket/0/max_current/set\n13.5"), 1},
                                {std::string("site/grid_max_current/set\n20"), 2},
                                {std::string("socket/1/mode/set\n pv "), 3},
                                {std::string("site/suspended/set\nOFF"), 4}})
    EXPECT_GT(run(fuzz_mqtt_command, seed, 1500, static_cast<std::uint32_t>(10 + n)), 0U);
}

TEST(FuzzRandom, HttpJsonBody) {
  const std::string seeds[] = {
      R"({"command":"set_socket_max_current","socket_id":0,"max_current_a":10})",
      R"({"command":"set_site_limit","grid_max_current_a":20})",
      R"({"site":{"grid_max_current_a":20,"safety_margin_a":1.5},"surplus":{"start_delay_s":90}})",
      R"({"stations":[{"name":"x","max_current_a":30,"sockets":[{"mode":"pv","max_current_a":12},{}]}]})",
      R"({"meter":{"grid":{"port":1502,"map":{"current_l1":{"register":6,"type":"float32"}}}},"mqtt":{"qos":1}})",
  };
  std::uint32_t n = 20;
  for (const auto& seed : seeds) EXPECT_GT(run(fuzz_http_json_body, seed, 600, n++), 0U);
}

TEST(FuzzRandom, TomlConfig) {
  const auto seed = read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml");
  EXPECT_GT(run(fuzz_toml_config, seed, 1500, 30), 0U);
}

}  // namespace
}  // namespace emsgw::test
