#pragma once
// Shared by the MQTT tests: a sample site and status, a mosquitto broker started on an ephemeral
// loopback port, an observing Paho client, and a command sink that runs ems::apply_command.

#include <mqtt/async_client.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ems/command.hpp"
#include "ems/site_status.hpp"
#include "ems/time.hpp"
#include "mqtt/discovery.hpp"

namespace emsgw::mqtt::test {

/// Site "Home Lab": grid 25 A, station "carport" (double, sockets 1 and 2), station "garage" (socket 3).
[[nodiscard]] SiteDescription sample_site();
/// A status of sample_site() with every value present; `step` varies the measurements.
[[nodiscard]] ems::SiteStatus sample_status(std::uint64_t step = 0);

/// Reads the steady and system clocks (tests only; production uses the gateway's clock).
class SteadyClock final : public ems::Clock {
 public:
  [[nodiscard]] ems::MonoTime mono_now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] ems::WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

/// mosquitto on 127.0.0.1:<port>, anonymous, no persistence. Stopped by the destructor.
class MosquittoBroker {
 public:
  /// `extra_config`: more mosquitto.conf lines (users, ACL, queue limits).
  explicit MosquittoBroker(const std::string& extra_config = "");
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;
  /// Starts the broker and waits until it accepts connections (throws after 5 s).
  void start();
  /// SIGTERM and wait.
  void stop();
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  std::string config_path_;
  pid_t pid_ = -1;
};

struct Received {
  std::string topic;
  std::string payload;
  bool retained = false;
};

/// A Paho client that records every message on its subscriptions.
class Observer {
 public:
  Observer(const std::string& url, std::vector<std::string> filters);
  ~Observer();
  /// Waits until a message on `topic` satisfies `pred` (or any message, without one); the match.
  std::optional<Received> wait_for(const std::string& topic, std::chrono::milliseconds timeout,
                                   const std::function<bool(const Received&)>& pred = {});
  /// Last payload seen on `topic`.
  [[nodiscard]] std::optional<Received> last(const std::string& topic) const;
  [[nodiscard]] std::vector<Received> all() const;
  void clear();
  void publish(const std::string& topic, const std::string& payload, bool retain = false);

 private:
  std::unique_ptr<::mqtt::async_client> client_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<Received> messages_;
};

/// The control loop's side of commands, as the runtime does it: apply_command on the running
/// SiteConfig; Suspend/Resume toggle a flag.
class ApplyingSink : public ems::CommandSink {
 public:
  explicit ApplyingSink(ems::SiteConfig site) : site_(std::move(site)) {}
  void submit(ems::Command command, std::function<void(ems::CommandReply)> reply) override;
  [[nodiscard]] ems::SiteConfig site() const;
  [[nodiscard]] bool suspended() const;

 private:
  mutable std::mutex m_;
  ems::SiteConfig site_;
  bool suspended_ = false;
};

}  // namespace emsgw::mqtt::test
