// libFuzzer entry point (built with -DEMSGW_FUZZ=ON and clang): see net_fuzz_targets.hpp.
#include "tests/fuzz/net_fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  emsgw::test::fuzz_mqtt_command(data, size);
  return 0;
}
