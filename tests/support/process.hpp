#pragma once
// Test helpers: run a command and capture its output; temporary files; free loopback ports.

#include <string>

namespace emsgw::test {

struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

/// Runs `command` through /bin/sh, capturing stdout and stderr.
CommandResult run_command(const std::string& command);

/// Writes `text` to a fresh file under the test's temporary directory and returns its path.
std::string write_temp_file(const std::string& name, const std::string& text);

/// Reads a whole file; empty string if it cannot be read.
std::string read_file(const std::string& path);

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
int free_loopback_port();

/// Path of a built executable (relative to the build tree), e.g. "gateway/emsgw".
std::string built(const std::string& relative);

}  // namespace emsgw::test
