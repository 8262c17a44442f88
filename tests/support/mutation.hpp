#pragma once
// Single-byte mutation sweeps for the parser corpora (dsmr_corpus_test, tic_corpus_test).
//
// The normal build replaces every byte with each of the other 255 values. Under the sanitizers
// (EMSGW_SANITIZED) the sweep keeps every byte position but only the replacement values that carry
// meaning in the line formats (delimiters, digits, hex letters, separators, control and high bytes):
// the sanitizer run looks for memory and undefined-behaviour faults, which these reach, at a seventh
// of the cost; the full value sweep runs in `make test`.

#include <string>
#include <vector>

namespace emsgw::test {

[[nodiscard]] inline std::vector<int> mutation_values() {
  std::vector<int> values;
#ifdef EMSGW_SANITIZED
  const std::string meaningful = "!()*:./-+;,= \t\r\n\x02\x03\x04\x7f\x80\xff";
  for (const char c : meaningful) values.push_back(static_cast<unsigned char>(c));
  values.push_back(0);
  for (char c = '0'; c <= '9'; ++c) values.push_back(static_cast<unsigned char>(c));
  for (char c = 'A'; c <= 'Z'; ++c) values.push_back(static_cast<unsigned char>(c));
  values.push_back('a');
  values.push_back('f');
#else
  for (int b = 0; b < 256; ++b) values.push_back(b);
#endif
  return values;
}

}  // namespace emsgw::test
