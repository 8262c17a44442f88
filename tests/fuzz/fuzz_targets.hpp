#pragma once
// Fuzz entry points for the parsers that see outside bytes (style.md "Build and checks"): DSMR P1,
// TIC, Modbus meter replies and SunSpec models. Each runs under libFuzzer (tests/fuzz/*_fuzz.cpp,
// -DEMSGW_FUZZ=ON with clang) and under the bounded random-input test that runs with every test run.
// Contract checked: no crash, no sanitizer report, and no non-finite number handed on.

#include <cstddef>
#include <cstdint>

namespace emsgw::test {

void fuzz_dsmr(const std::uint8_t* data, std::size_t size);
void fuzz_tic(const std::uint8_t* data, std::size_t size);
void fuzz_modbus_meter_reply(const std::uint8_t* data, std::size_t size);
void fuzz_sunspec_model(const std::uint8_t* data, std::size_t size);

}  // namespace emsgw::test
