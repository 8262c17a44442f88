#pragma once
// The heat pump's SG-Ready outputs, driven on a thread of their own (a relay module on Modbus TCP,
// protocols.md §5.1). The control loop decides the state (ems Allocation::heatpump); this worker
// hears it from each status, writes the two outputs (off before on), reads them back every few
// seconds and rewrites them when they differ (someone switched a relay by hand, the module
// restarted). What the status, the dashboard and Home Assistant show is the state read back, not
// the one asked for. A module that does not answer leaves the state unknown and is retried with
// backoff; nothing here ever blocks the control loop.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "drivers/heatpump/sg_ready.hpp"
#include "drivers/modbus/modbus_transport.hpp"
#include "gateway/runtime/control_loop.hpp"

namespace emsgw::gateway {

struct SgReadyWorkerStats {
  std::uint64_t writes = 0;       ///< state changes written
  std::uint64_t corrections = 0;  ///< outputs found differing from the wanted state and rewritten
  std::uint64_t failures = 0;     ///< writes or reads that failed
};

class SgReadyWorker final : public StatusObserver, public SgReadyOutputs {
 public:
  struct Options {
    ems::Millis read_back_every{5000};
    ems::Millis retry_min{1000};
    ems::Millis retry_max{30000};
  };
  SgReadyWorker(std::unique_ptr<drivers::ModbusTransport> bus, drivers::SgReadySettings settings,
                const ems::Clock& clock, Options options);
  ~SgReadyWorker() override;
  SgReadyWorker(const SgReadyWorker&) = delete;
  SgReadyWorker& operator=(const SgReadyWorker&) = delete;

  void start();
  void stop();

  /// StatusObserver: takes the state the control loop asks for (never blocks).
  void on_status(const std::shared_ptr<const ems::SiteStatus>& status) override;
  /// SgReadyOutputs: the state read back, and the last error.
  [[nodiscard]] SgReadyApplied applied() const override;
  [[nodiscard]] SgReadyWorkerStats stats() const;

  /// One pass at `now`: write when the wanted state differs from the one in force, read back when
  /// due. The thread calls it in a loop; tests call it directly. Returns when the next pass is due.
  ems::MonoTime run_once(ems::MonoTime now);

 private:
  void loop();

  std::unique_ptr<drivers::ModbusTransport> bus_;
  const ems::Clock& clock_;
  const Options options_;
  drivers::SgReadyController controller_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<drivers::SgReadyState> wanted_;
  std::optional<drivers::SgReadyState> in_force_;  ///< read back or written; nullopt: unknown
  std::string error_;
  SgReadyWorkerStats stats_;
  ems::MonoTime next_read_{};
  ems::MonoTime retry_at_{};
  ems::Millis backoff_{0};
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace emsgw::gateway
