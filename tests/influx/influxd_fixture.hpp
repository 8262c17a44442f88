#pragma once
// A real influxd (Debian's influxdb 1.x) for tests: its own temp directory, HTTP and RPC bound
// to ephemeral loopback ports, reporting and every other listener off. Stopped by the destructor.

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <string>

namespace emsgw::test {

class Influxd {
 public:
  Influxd();
  ~Influxd();
  Influxd(const Influxd&) = delete;
  Influxd& operator=(const Influxd&) = delete;

  /// Starts influxd and waits for /ping (false, with the log in log(), if it does not answer).
  bool start();
  /// SIGTERM, then waits for the exit (SIGKILL after 10 s). Data stays for the next start().
  void stop();
  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  /// GET /query?db=…&epoch=ms&q=…; null JSON on failure.
  [[nodiscard]] nlohmann::json query(const std::string& db, const std::string& q) const;
  /// POST /query?q=CREATE DATABASE …
  bool create_database(const std::string& db) const;
  [[nodiscard]] std::string log() const;

 private:
  std::string dir_;
  int http_port_ = 0;
  int rpc_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace emsgw::test
