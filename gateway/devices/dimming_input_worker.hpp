#pragma once
// The grid operator's relay contact (§14a control box) on a thread of its own: it reads the
// contact from a Modbus I/O module at the poll period and posts each result to the control loop.
// A read that fails is tried once more at once; a second failure is posted as an error (the loop
// raises a fault and holds the EVs at the dimming limit). It never touches control state.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "drivers/io/relay_contact.hpp"
#include "drivers/modbus/modbus_transport.hpp"
#include "ems/time.hpp"

namespace emsgw::gateway {

class DimmingInputWorker {
 public:
  /// Each read: dim or not, or (nullopt) why the contact could not be read.
  using Sink = std::function<void(std::optional<bool> dim, std::string error)>;

  DimmingInputWorker(std::unique_ptr<drivers::ModbusTransport> bus, drivers::RelayContactSettings settings,
                     ems::Millis period, Sink sink);
  ~DimmingInputWorker();
  DimmingInputWorker(const DimmingInputWorker&) = delete;
  DimmingInputWorker& operator=(const DimmingInputWorker&) = delete;

  void start();
  void stop();
  /// One read, posted to the sink (the thread calls it at the period; tests call it directly).
  void poll_once();

 private:
  void loop();

  std::unique_ptr<drivers::ModbusTransport> bus_;
  drivers::RelayContact contact_;
  ems::Millis period_;
  Sink sink_;
  std::atomic<bool> running_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace emsgw::gateway
