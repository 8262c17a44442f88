// libFuzzer entry point (built with -DEMSGW_FUZZ=ON and clang): see fuzz_targets.hpp.
#include "tests/fuzz/fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  emsgw::test::fuzz_modbus_meter_reply(data, size);
  return 0;
}
