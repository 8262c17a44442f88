#pragma once
// One thread per meter: it asks the meter for readings (Modbus, SunSpec: at the poll interval) or
// waits for the next one it sends (DSMR, TIC), and posts each result, timestamped by the driver,
// to the control loop. It never touches control state.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "drivers/meters/meter_reading.hpp"
#include "ems/time.hpp"

namespace emsgw::gateway {

class MeterWorker {
 public:
  using Sink = std::function<void(const std::string& role, Result<drivers::MeterReading, drivers::MeterError>)>;

  /// `interval` 0: the meter paces itself (poll() blocks until the next telegram, with a timeout).
  MeterWorker(std::string role, std::unique_ptr<drivers::EnergyMeter> meter, ems::Millis interval, Sink sink);
  ~MeterWorker();
  MeterWorker(const MeterWorker&) = delete;
  MeterWorker& operator=(const MeterWorker&) = delete;

  void start();
  void stop();
  /// Pause polling (tests and the demo use it to simulate a dead meter link).
  void set_paused(bool paused) { paused_ = paused; }
  /// Back-off after a failed poll of a self-paced meter (interval 0): doubling from kFirstBackoff up to kMaxBackoff,
  /// reset by a success.
  static constexpr ems::Millis kFirstBackoff{500};
  static constexpr ems::Millis kMaxBackoff{10000};
  [[nodiscard]] const std::string& role() const { return role_; }

 private:
  void loop();

  std::string role_;
  std::unique_ptr<drivers::EnergyMeter> meter_;
  ems::Millis interval_;
  Sink sink_;
  std::atomic<bool> running_{false};
  std::atomic<bool> paused_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace emsgw::gateway
