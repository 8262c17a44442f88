#pragma once
// The running product: one control thread, one worker thread per station and per meter, wired
// from a validated Config. `emsgw run` and `emsgw demo` use it; integration tests start it against
// the project's simulators on loopback.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/devices/device_factories.hpp"
#include "gateway/devices/dimming_input_worker.hpp"
#include "gateway/devices/meter_worker.hpp"
#include "gateway/devices/sg_ready_worker.hpp"
#include "gateway/devices/station_worker.hpp"
#include "gateway/influx/influx_exporter.hpp"
#include "gateway/runtime/control_loop.hpp"
#include "gateway/runtime/store_energy_source.hpp"
#include "gateway/runtime/store_session_source.hpp"

namespace emsgw::mqtt {
class MqttBridge;
}
namespace emsgw::webui {
class HistorySource;
class StatusBoard;
class WebServer;
}  // namespace emsgw::webui

namespace emsgw::gateway {

class DeviceProbes;
class RuntimeConfigService;
class StorageRecorder;
class InfluxWorker;

class Runtime {
 public:
  /// `with_services`: also run the web server ([web]), the MQTT bridge ([mqtt] enabled) and the
  /// SQLite storage ([storage] path): history, sessions, decisions, events, and the overrides set
  /// by commands, which are applied on top of the configuration file at start.
  Runtime(Config config, const ems::Clock& clock, MeterFactory meters = make_meter,
          StationFactory stations = make_station, bool with_services = true);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Starts the workers and the control thread.
  void start();
  /// Writes the configured final state (control.on_exit) and stops every thread.
  void stop();
  /// Parses and validates `path`, then hands it to the control loop; a bad file keeps the running
  /// configuration. Stored overrides are applied on top of the file again. Returns the errors
  /// (empty on success).
  std::vector<ConfigError> reload(const std::string& path);

  [[nodiscard]] ControlLoop& loop() { return *loop_; }
  [[nodiscard]] std::vector<StationWorkerStats> station_stats() const;
  /// Called by the control thread once per turn (the systemd watchdog).
  void set_heartbeat(std::function<void()> heartbeat) { heartbeat_ = std::move(heartbeat); }
  /// Pauses or resumes polling of a meter (the demo's "pull the meter cable").
  void set_meter_paused(const std::string& role, bool paused);
  /// The dashboard's bound port (0 when the web server is off or failed to start).
  [[nodiscard]] int web_port() const;
  /// Where MQTT and HTTP hand their commands in: queued to the control thread, answered from it.
  [[nodiscard]] ems::CommandSink& commands();
  /// The storage recorder (nullptr when storage is off or could not be opened).
  [[nodiscard]] StorageRecorder* recorder() { return recorder_.get(); }
  /// The dashboard's configuration pages and device tests (nullptr without services).
  [[nodiscard]] RuntimeConfigService* config_service() { return config_service_.get(); }
  [[nodiscard]] DeviceProbes* probes() { return probes_.get(); }
  /// The InfluxDB export's counters and state (nullopt when [influx] is off or storage is off).
  [[nodiscard]] std::optional<influx::ExportStats> influx_stats() const;
  /// The configuration the runtime started with (the file plus the stored overrides).
  [[nodiscard]] const Config& started_config() const { return config_; }

 private:
  class WorkerActuator;
  struct InstallerCeiling;
  class QueuedCommands;
  class Publisher;

  void open_storage();

  Config file_config_;  ///< as read from the file, before the stored overrides
  Config config_;
  const ems::Clock& clock_;
  std::unique_ptr<InstallerCeiling> ceiling_;  ///< the file's limits, for run-time commands (safety rule 8)
  std::unique_ptr<WorkerActuator> actuator_;
  std::unique_ptr<StorageRecorder> recorder_;
  std::unique_ptr<InfluxWorker> influx_;  ///< [influx] export, fed by recorder_
  std::unique_ptr<webui::HistorySource> history_;
  std::unique_ptr<StoreSessionSource> charging_sessions_;
  std::unique_ptr<StoreEnergySource> energy_;
  std::unique_ptr<ControlLoop> loop_;
  std::vector<std::unique_ptr<StationWorker>> stations_;
  std::vector<std::unique_ptr<MeterWorker>> meters_;
  std::unique_ptr<SgReadyWorker> sg_ready_;            ///< the heat pump's SG-Ready outputs, when wired
  std::unique_ptr<DimmingInputWorker> dimming_input_;  ///< [grid_operator] input = "modbus-di"
  std::unique_ptr<QueuedCommands> commands_;
  std::unique_ptr<QueuedCommands> web_commands_;
  std::unique_ptr<QueuedCommands> mqtt_commands_;
  std::unique_ptr<RuntimeConfigService> config_service_;
  std::unique_ptr<DeviceProbes> probes_;
  std::unique_ptr<webui::StatusBoard> board_;
  std::unique_ptr<webui::WebServer> web_;
  std::unique_ptr<mqtt::MqttBridge> mqtt_;
  std::unique_ptr<Publisher> publisher_;
  std::function<void()> heartbeat_;
  std::atomic<bool> stop_{false};
  std::thread control_thread_;
  bool started_ = false;
  bool start_suspended_ = false;  ///< a stored suspend ("site.suspended") outlives a restart
};

/// `emsgw run`: runs until SIGTERM/SIGINT; SIGHUP reloads. Returns the process exit code.
int run_until_signalled(const std::string& config_path);

}  // namespace emsgw::gateway
