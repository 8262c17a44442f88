#include "gateway/runtime/runtime.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <iostream>
#include <mutex>

#include "drivers/modbus/libmodbus_transport.hpp"
#include "drivers/system_clock.hpp"
#include "emsgw/version.hpp"
#include "gateway/config/config_summary.hpp"
#include "gateway/devices/device_kinds.hpp"
#include "gateway/devices/device_probes.hpp"
#include "gateway/runtime/influx_worker.hpp"
#include "gateway/runtime/runtime_config_service.hpp"
#include "gateway/runtime/storage_recorder.hpp"
#include "gateway/runtime/store_history_source.hpp"
#include "gateway/runtime/store_session_source.hpp"
#include "gateway/runtime/systemd_notify.hpp"
#include "mqtt/mqtt_bridge.hpp"
#include "webui/status_source.hpp"
#include "webui/web_server.hpp"

namespace emsgw::gateway {

class Runtime::WorkerActuator final : public Actuator {
 public:
  explicit WorkerActuator(std::vector<std::unique_ptr<StationWorker>>& workers) : workers_(workers) {}
  void set_desired(std::size_t station, int unit, double amps, int phases) override {
    if (station < workers_.size()) workers_[station]->set_desired(unit, amps, phases);
  }
  void set_desired_scn(std::size_t station, const std::array<double, 3>& amps) override {
    if (station < workers_.size()) workers_[station]->set_desired_scn(amps);
  }
  void affirm() override {
    for (auto& w : workers_) w->affirm();
  }

 private:
  std::vector<std::unique_ptr<StationWorker>>& workers_;
};

namespace {
/// The local calendar month around `t`: [first day 00:00, first day of the next month 00:00).
std::pair<ems::WallTime, ems::WallTime> local_month_bounds(ems::WallTime t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm lt{};
  localtime_r(&tt, &lt);
  std::tm start{};
  start.tm_year = lt.tm_year;
  start.tm_mon = lt.tm_mon;
  start.tm_mday = 1;
  start.tm_isdst = -1;
  std::tm next = start;
  next.tm_mon += 1;  // mktime carries December into January
  return {std::chrono::system_clock::from_time_t(std::mktime(&start)),
          std::chrono::system_clock::from_time_t(std::mktime(&next))};
}
}  // namespace

/// The installer's limits (safety rule 8): the configuration file's site, replaced on SIGHUP.
/// Run-time commands are checked against it and queued under its lock, and a reload replaces it and
/// queues the new file under the same lock, so every command is judged by the file in force when it
/// enters the control loop's queue.
struct Runtime::InstallerCeiling {
  explicit InstallerCeiling(ems::SiteConfig f) : file(std::move(f)) {}
  std::mutex mutex;
  ems::SiteConfig file;
};

/// Commands from MQTT and HTTP: checked against the installer's limits, then queued to the control
/// thread, which validates, applies and replies. An accepted settings command is handed to the
/// recorder (if any) to be kept as an override; a refused one leaves nothing.
class Runtime::QueuedCommands final : public ems::CommandSink {
 public:
  QueuedCommands(ControlLoop& loop, InstallerCeiling& ceiling, StorageRecorder* recorder, const ems::Clock& clock,
                 std::string source)
      : loop_(loop), ceiling_(ceiling), recorder_(recorder), clock_(clock), source_(std::move(source)) {}
  void submit(ems::Command command, std::function<void(ems::CommandReply)> reply) override {
    if (recorder_) {
      reply = [this, command, inner = std::move(reply)](ems::CommandReply r) {
        if (r.accepted) recorder_->record_command(command, source_, clock_.wall_now());
        if (inner) inner(std::move(r));
      };
    }
    ems::CommandReply refused;
    {
      std::lock_guard lock(ceiling_.mutex);
      refused.issues = ems::check_installer_limits(ceiling_.file, command);
      if (refused.issues.empty()) {
        loop_.post(CommandEvent{std::move(command), std::move(reply)});
        return;
      }
    }
    const auto& i = refused.issues.front();
    refused.message = "refused: " + ems::describe(command) + ": " + i.key + " = " + i.value + ": " + i.rule;
    log_refusal(refused.message);
    if (reply) reply(std::move(refused));
  }

 private:
  /// At most one line per second: a flood of refused commands must not flood the log.
  void log_refusal(const std::string& message) {
    const auto now = clock_.mono_now();
    std::lock_guard lock(log_mutex_);
    if (logged_once_ && now - last_log_ < std::chrono::seconds(1)) {
      ++unlogged_;
      return;
    }
    spdlog::warn("command from {} {}{}", source_, message,
                 unlogged_ ? " (and " + std::to_string(unlogged_) + " more refusals not logged)" : std::string());
    logged_once_ = true;
    last_log_ = now;
    unlogged_ = 0;
  }

  ControlLoop& loop_;
  InstallerCeiling& ceiling_;
  StorageRecorder* recorder_;
  const ems::Clock& clock_;
  std::string source_;  ///< who set the overrides these commands leave: "web", "mqtt", …
  std::mutex log_mutex_;
  bool logged_once_ = false;
  ems::MonoTime last_log_{};
  std::uint64_t unlogged_ = 0;
};

/// Hands every step's status to the dashboard and to MQTT; both only swap a pointer (never block).
class Runtime::Publisher final : public StatusObserver {
 public:
  Publisher(webui::StatusBoard* board, mqtt::MqttBridge* mqtt) : board_(board), mqtt_(mqtt) {}
  void on_status(const std::shared_ptr<const ems::SiteStatus>& status) override {
    if (board_) board_->publish(status);
    if (mqtt_) mqtt_->publish(status);
  }

 private:
  webui::StatusBoard* board_;
  mqtt::MqttBridge* mqtt_;
};

Runtime::Runtime(Config config, const ems::Clock& clock, MeterFactory meters, StationFactory stations,
                 bool with_services)
    : file_config_(config),
      config_(std::move(config)),
      clock_(clock),
      ceiling_(std::make_unique<InstallerCeiling>(file_config_.site)) {
  if (with_services) open_storage();
  actuator_ = std::make_unique<WorkerActuator>(stations_);
  loop_ = std::make_unique<ControlLoop>(config_, clock_, *actuator_);
  // The outputs take the decisions from the step reports: the loop keeps no journal of them.
  loop_->set_decision_journal(false);
  if (start_suspended_) {
    spdlog::warn("charging stays suspended as it was when emsgw stopped (resume from the dashboard or MQTT)");
    loop_->handle(CommandEvent{ems::Suspend{}, nullptr});
  }
  if (recorder_) {
    // Sessions open when emsgw stopped go on with their stored start: the dashboard's and Home
    // Assistant's session energy continue instead of starting again at 0.
    const auto open = recorder_->with_store([](storage::SqliteStore& s) { return s.open_sessions(); });
    if (open)
      for (const auto& o : *open) loop_->resume_session(o.socket, o.start, o.start_energy_wh);
    loop_->add_observer(recorder_.get());
    // The month's quarter-hour peak survives a restart: the highest quarter kept this local month.
    if (config_.peak.enabled) {
      const auto [from, to] = local_month_bounds(clock_.wall_now());
      const auto peak = recorder_->with_store([&](storage::SqliteStore& s) { return s.peak_between(from, to); });
      if (!peak)
        spdlog::error("storage: cannot read the month's quarter-hour peak: {}", peak.error().message);
      else if (*peak > 0) {
        loop_->set_month_peak(*peak);
        spdlog::info("quarter-hour peak: this month's peak so far {:.0f} W (from storage)", *peak);
      }
    }
    history_ = std::make_unique<StoreHistorySource>(*recorder_);
    charging_sessions_ = std::make_unique<StoreSessionSource>(*recorder_, config_.site);
    energy_ = std::make_unique<StoreEnergySource>(*recorder_, *charging_sessions_);
  }
  loop_->step_interval = ems::Millis(config_.control.step_interval_ms);
  for (std::size_t i = 0; i < config_.site.stations.size(); ++i) {
    const auto& link = config_.station_links[i];
    StationWorker::Options o;
    o.poll_interval = ems::Millis(link.poll_interval_ms);
    o.refresh_margin_s = link.refresh_margin_s;
    o.lease = ems::Millis(config_.control.lease_ms);
    stations_.push_back(std::make_unique<StationWorker>(
        i, stations(config_, i, clock_), clock_, o,
        [this](std::size_t s, StationSample sample) {
          loop_->post(StationEvent{s, std::move(sample)});
        },
        [this](WriteReport r) { loop_->post(WriteEvent{std::move(r)}); }));
  }
  commands_ = std::make_unique<QueuedCommands>(*loop_, *ceiling_, recorder_.get(), clock_, "command");
  if (with_services) {
    board_ = std::make_unique<webui::StatusBoard>();
    web_commands_ = std::make_unique<QueuedCommands>(*loop_, *ceiling_, recorder_.get(), clock_, "web");
    config_service_ = std::make_unique<RuntimeConfigService>(file_config_, config_, *loop_, recorder_.get(), clock_);
    probes_ = std::make_unique<DeviceProbes>([this] { return config_service_->saved_config(); },
                                             [this] { return board_->latest(); }, meters, stations, clock_);
    webui::WebServices services{board_.get(),   web_commands_.get(), config_service_.get(),
                                history_.get(), probes_.get(),       &clock_};
    services.charging_sessions = charging_sessions_.get();
    services.energy = energy_.get();
    web_ = std::make_unique<webui::WebServer>(config_.web, services);
    if (config_.mqtt.enabled) {
      mqtt::SiteDescription d;
      d.site = config_.site;
      d.has_pv = config_.meters.contains("pv");
      d.has_heatpump = config_.meters.contains("heatpump") || config_.site.heatpump.enabled;
      d.has_peak = config_.peak.enabled && config_.site.grid_metered;
      d.sw_version = emsgw::kVersion;
      d.configuration_url = "http://" + config_.web.listen.host + ":" + std::to_string(config_.web.listen.port) + "/";
      mqtt_commands_ = std::make_unique<QueuedCommands>(*loop_, *ceiling_, recorder_.get(), clock_, "mqtt");
      if (config_.tariff.configured) d.currency = config_.tariff.currency;
      mqtt_ = std::make_unique<mqtt::MqttBridge>(config_.mqtt, d, *mqtt_commands_, clock_);
      // Home Assistant's "last session" sensors, from each session as it is stored with its cost.
      if (recorder_)
        recorder_->set_session_listener([bridge = mqtt_.get()](const storage::Session& s) {
          bridge->publish_session({s.socket, s.energy_wh, s.cost});
        });
    }
    publisher_ = std::make_unique<Publisher>(board_.get(), mqtt_.get());
    loop_->add_observer(publisher_.get());
  }
  // SG-Ready outputs: [heatpump.sg_ready] (or, as before, [meter.heatpump.sg_ready]).
  auto sg = config_.sg_ready;
  if (!sg)
    if (const auto it = config_.meters.find("heatpump"); it != config_.meters.end() && it->second.sg_ready)
      sg = it->second.sg_ready;
  if (sg && config_.site.heatpump.enabled) {
    drivers::TcpLink link{sg->host, sg->port, {}};
    sg_ready_ = std::make_unique<SgReadyWorker>(std::make_unique<drivers::LibmodbusTcpTransport>(link, &clock_), *sg,
                                                clock_, SgReadyWorker::Options{});
    loop_->set_sg_ready_outputs(sg_ready_.get());
    loop_->add_observer(sg_ready_.get());
  }
  // The grid operator's relay contact: [grid_operator] input = "modbus-di".
  if (const auto& g = config_.grid_operator; g.input == "modbus-di") {
    drivers::TcpLink link{g.host, g.port, {}};
    dimming_input_ = std::make_unique<DimmingInputWorker>(
        std::make_unique<drivers::LibmodbusTcpTransport>(link, &clock_),
        drivers::RelayContactSettings{g.unit, g.discrete_input, g.active_low}, ems::Millis(g.poll_ms),
        [this](std::optional<bool> dim, std::string error) {
          loop_->post(DimmingInputEvent{dim, std::move(error)});
        });
  }
  for (const auto& [role, settings] : config_.meters) {
    const auto* kind = find_meter_kind(settings.kind);
    const bool paced_by_meter = kind != nullptr && kind->paced_by_meter;
    meters_.push_back(std::make_unique<MeterWorker>(
        role, meters(settings, clock_), paced_by_meter ? ems::Millis(0) : ems::Millis(settings.poll_interval_ms),
        [this](const std::string& r, Result<drivers::MeterReading, drivers::MeterError> reading) {
          loop_->post(MeterEvent{r, std::move(reading)});
        }));
  }
}

Runtime::~Runtime() {
  stop();
}

void Runtime::open_storage() {
  if (config_.storage.path.empty()) {
    spdlog::info("storage off ([storage] path is empty): no history, sessions or overrides are kept");
    return;
  }
  auto store = storage::SqliteStore::open(config_.storage);
  if (!store) {
    spdlog::error("storage off: cannot open {}: {} (control runs on without history and overrides)",
                  config_.storage.path, store.error().message);
    return;
  }
  if (auto overrides = store->overrides(); !overrides) {
    spdlog::error("storage: cannot read the settings overrides: {} (the configuration file applies as is)",
                  overrides.error().message);
  } else if (!overrides->empty()) {
    const auto outcomes = apply_config_overrides(config_, *overrides);
    const auto applied = std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.applied; });
    for (const auto& o : outcomes)
      if (o.applied && o.item.key == "site.suspended") start_suspended_ = o.item.value == "true";
    spdlog::info("storage: {} of {} stored override(s) applied on top of the configuration file", applied,
                 outcomes.size());
  }
  spdlog::info("storage: {}", config_.storage.path);
  recorder_ = std::make_unique<StorageRecorder>(std::move(*store));
  recorder_->set_tariff(config_.tariff);
  recorder_->set_meter_includes_chargers(config_.site.meter_includes_chargers);
  if (config_.influx.enabled) influx_ = InfluxWorker::attach(config_.influx, config_.storage.path, *recorder_, clock_);
}

void Runtime::start() {
  if (started_) return;
  started_ = true;
  if (recorder_) recorder_->start();
  if (influx_) influx_->start();
  for (auto& s : stations_) s->start();
  for (auto& m : meters_) m->start();
  if (sg_ready_) sg_ready_->start();
  if (dimming_input_) dimming_input_->start();
  control_thread_ = std::thread([this] { loop_->run(stop_, heartbeat_); });
  if (web_) {
    if (auto r = web_->start(); !r)
      spdlog::error("dashboard not started: {} (control runs on without it)", r.error());
    else
      spdlog::info("dashboard on http{}://{}:{}/", web_->tls() ? "s" : "", config_.web.listen.host, web_->port());
  }
  if (mqtt_) mqtt_->start();
  for (const auto& w : config_warnings(config_)) spdlog::warn("configuration: {}", w);
  spdlog::info("emsgw running: site {}, {} station(s), {} meter(s), control {}", config_.site.name, stations_.size(),
               meters_.size(), ems::to_string(config_.site.control));
}

void Runtime::stop() {
  if (!started_) return;
  started_ = false;
  if (web_) web_->stop();
  if (mqtt_) mqtt_->stop();
  stop_ = true;
  loop_->wake();
  if (control_thread_.joinable()) control_thread_.join();
  if (recorder_) recorder_->stop();  // writes what is queued and the open history bucket
  if (influx_) influx_->stop();      // after the recorder: its last records go out or wait in the outbox
  for (auto& m : meters_) m->stop();
  if (dimming_input_) dimming_input_->stop();
  if (sg_ready_) sg_ready_->stop();  // outputs back to normal: no boost without emsgw
  if (config_.control.on_exit == ControlSettings::OnExit::SafeCurrent) {
    const auto site = loop_->config().site;
    int confirmed = 0;
    int total = 0;
    for (std::size_t i = 0; i < stations_.size(); ++i) {
      std::vector<std::pair<int, double>> finals;
      for (const auto& so : site.stations[i].sockets) finals.emplace_back(so.unit, so.safe_current_a);
      total += static_cast<int>(finals.size());
      confirmed += stations_[i]->write_final(finals, ems::Millis(3000));
    }
    spdlog::info("stopping: {} of {} sockets set to their safe current", confirmed, total);
  } else {
    spdlog::info("stopping: set-points left as they are; stations fall back to their safe current when they expire");
  }
  for (auto& s : stations_) s->stop();
}

std::vector<ConfigError> Runtime::reload(const std::string& path) {
  try {
    auto cfg = load_config_file(path);
    const Config file = cfg;
    if (recorder_) {
      // The file stays the base; the overrides set at runtime stay on top of it.
      recorder_->wait_idle();
      auto overrides = recorder_->with_store([](storage::SqliteStore& s) { return s.overrides(); });
      if (overrides)
        (void)apply_config_overrides(cfg, *overrides);
      else
        spdlog::error("reload: cannot read the settings overrides: {}", overrides.error().message);
    }
    if (config_service_) config_service_->file_reloaded(file, cfg);
    std::lock_guard lock(ceiling_->mutex);
    ceiling_->file = file.site;
    loop_->post(ReloadEvent{std::move(cfg), {}});
    return {};
  } catch (const ConfigLoadError& e) {
    std::vector<std::string> problems;
    for (const auto& err : e.errors()) {
      spdlog::error("reload refused: {}", err.format());
      problems.push_back(err.format());
    }
    spdlog::error("reload refused: the running configuration stays in force");
    loop_->post(ReloadRefusedEvent{path, std::move(problems)});
    return e.errors();
  }
}

std::optional<influx::ExportStats> Runtime::influx_stats() const {
  if (!influx_) return std::nullopt;
  return influx_->stats();
}

std::vector<StationWorkerStats> Runtime::station_stats() const {
  std::vector<StationWorkerStats> out;
  for (const auto& s : stations_) out.push_back(s->stats());
  return out;
}

ems::CommandSink& Runtime::commands() {
  return *commands_;
}

int Runtime::web_port() const {
  return web_ ? web_->port() : 0;
}

void Runtime::set_meter_paused(const std::string& role, bool paused) {
  for (auto& m : meters_)
    if (m->role() == role) m->set_paused(paused);
}

namespace {
std::atomic<int> g_signal{0};
extern "C" void on_signal(int sig) {
  g_signal = sig;
}  // handlers only set a flag (style.md, Mosquitto)
}  // namespace

int run_until_signalled(const std::string& config_path) {
  Config cfg;
  try {
    cfg = load_config_file(config_path);
  } catch (const ConfigLoadError& e) {
    for (const auto& err : e.errors()) std::cerr << err.format() << "\n";
    std::cerr << "emsgw: not started: fix the configuration above (emsgw check-config " << config_path << ").\n";
    return 1;
  }
  spdlog::set_level(spdlog::level::from_str(cfg.log.level));
  static drivers::SystemClock clock;
  Runtime rt(std::move(cfg), clock);
  SystemdNotifier notifier;
  rt.set_heartbeat([&notifier] { notifier.watchdog(); });
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGHUP, on_signal);
  rt.start();
  notifier.ready();
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const int sig = g_signal.exchange(0);
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", config_path);
      notifier.status("reloading configuration");
      (void)rt.reload(config_path);
      notifier.status("running");
    } else if (sig == SIGTERM || sig == SIGINT) {
      spdlog::info("{}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      notifier.stopping();
      break;
    }
  }
  rt.stop();
  return 0;
}

}  // namespace emsgw::gateway
