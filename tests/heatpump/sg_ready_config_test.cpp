// [meter.heatpump.sg_ready] in the config file.
#include <gtest/gtest.h>

#include "gateway/config/config.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway {
namespace {

std::string example() {
  return test::read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml");
}

const std::string kHeatPump =
    "\n[meter.heatpump]\nkind = \"modbus-tcp\"\nhost = \"192.0.2.40\"\nunit = 2\npreset = \"eastron-sdm230\"\n";

TEST(SgReadyConfig, ParsedIntoTheHeatPumpMeter) {
  const auto cfg = load_config_text(example() + kHeatPump +
                                        "sg_ready = { host = \"192.0.2.41\", use_coils = false, output1 = 4001, "
                                        "output2 = 4002 }\n",
                                    "test.toml");
  const auto& hp = cfg.meters.at("heatpump");
  ASSERT_TRUE(hp.sg_ready.has_value());
  EXPECT_EQ(hp.sg_ready->host, "192.0.2.41");
  EXPECT_FALSE(hp.sg_ready->use_coils);
  EXPECT_EQ(hp.sg_ready->output1_address, 4001);
  EXPECT_EQ(hp.sg_ready->output2_address, 4002);
  EXPECT_FALSE(cfg.meters.at("grid").sg_ready.has_value());
}

TEST(SgReadyConfig, SameOutputTwiceIsRefusedWithTheKey) {
  try {
    (void)load_config_text(example() + kHeatPump + "sg_ready = { host = \"192.0.2.41\", output1 = 3, output2 = 3 }\n",
                           "test.toml");
    FAIL() << "accepted";
  } catch (const ConfigLoadError& e) {
    ASSERT_FALSE(e.errors().empty());
    EXPECT_EQ(e.errors()[0].key, "meter.heatpump.sg_ready.output2");
  }
}

}  // namespace
}  // namespace emsgw::gateway
