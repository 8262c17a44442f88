#pragma once
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"
#include "tests/support/process.hpp"

namespace emsgw::test {

/// The configuration example of the product brief, verbatim.
inline std::string issue_example() {
  return read_file(std::string(EMSGW_SOURCE_DIR) + "/tests/config/data/issue-example.toml");
}

/// Replaces the first occurrence of `from` in `text`; fails the test if it is absent.
inline std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "test setup: '" << from << "' not found";
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

/// Loads `text` and returns the errors (empty when it loaded).
inline std::vector<gateway::ConfigError> errors_of(const std::string& text) {
  try {
    (void)gateway::load_config_text(text, "site.toml");
  } catch (const gateway::ConfigLoadError& e) {
    return e.errors();
  }
  return {};
}

/// The single error about `key`; fails unless exactly one error names it.
inline gateway::ConfigError error_for(const std::vector<gateway::ConfigError>& errors, const std::string& key) {
  std::vector<gateway::ConfigError> hits;
  for (const auto& e : errors)
    if (e.key == key) hits.push_back(e);
  std::string all;
  for (const auto& e : errors) all += "\n  " + e.format();
  EXPECT_EQ(hits.size(), 1u) << "errors about " << key << " in:" << all;
  return hits.empty() ? gateway::ConfigError{} : hits.front();
}

}  // namespace emsgw::test
