#include "gateway/runtime/influx_worker.hpp"

#include <spdlog/spdlog.h>

#include "gateway/control/messages.hpp"
#include "gateway/influx/site_points.hpp"
#include "gateway/runtime/storage_recorder.hpp"
#include "gateway/storage/migrations.hpp"

namespace emsgw::gateway {

storage::StorageResult<storage::Database> InfluxWorker::open_outbox(const std::string& path) {
  auto db = storage::Database::open(path);  // sets a busy timeout
  if (!db) return db;
  if (auto r = db->exec("PRAGMA journal_mode=WAL"); !r) return Unexpected(r.error());
  if (auto r = storage::migrate(*db); !r) return Unexpected(r.error());
  return db;
}

std::unique_ptr<InfluxWorker> InfluxWorker::attach(const influx::InfluxSettings& settings,
                                                   const std::string& storage_path, StorageRecorder& recorder,
                                                   const ems::Clock& clock) {
  auto db = open_outbox(storage_path);
  if (!db) {
    spdlog::error("influx export off: cannot open the outbox in {}: {}", storage_path, db.error().message);
    return nullptr;
  }
  auto worker =
      std::make_unique<InfluxWorker>(settings, std::move(db).value(), influx::make_http_write_transport(settings),
                                     clock, [&recorder](storage::Event e) { recorder.record_event(std::move(e)); });
  recorder.set_sink(worker.get());
  spdlog::info("influx: exporting to {}{} (outbox in {})", settings.url, influx::write_target(settings), storage_path);
  return worker;
}

InfluxWorker::InfluxWorker(const influx::InfluxSettings& settings, storage::Database outbox_db,
                           std::unique_ptr<influx::WriteTransport> transport, const ems::Clock& clock, EventSink events,
                           std::size_t queue_capacity)
    : settings_(settings),
      db_(std::move(outbox_db)),
      exporter_(settings_, db_, std::move(transport)),
      clock_(clock),
      events_(std::move(events)),
      capacity_(queue_capacity == 0 ? 1 : queue_capacity) {
  const auto s = exporter_.stats();
  reported_ = drops_of(s);  // drops of earlier runs were told then
  publish(s);
}

InfluxWorker::~InfluxWorker() {
  stop();
}

void InfluxWorker::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void InfluxWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // No HTTP here: what was not sent waits in the outbox for the next start.
  export_queued(clock_.mono_now());
  if (auto r = exporter_.persist_pending(); !r)
    spdlog::error("influx: {} points not sent are lost: cannot store them in the outbox: {}",
                  exporter_.stats().pending_lines, r.error().message);
  publish(exporter_.stats());
}

void InfluxWorker::push(Record r) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= capacity_) {
      queue_.pop_front();
      ++queue_dropped_;
    }
    queue_.push_back(std::move(r));
  }
}

void InfluxWorker::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, kTickPeriod, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    step();
    lock.lock();
  }
}

void InfluxWorker::step() {
  const auto now = clock_.mono_now();
  export_queued(now);
  exporter_.tick(now);
  const auto s = exporter_.stats();
  publish(s);
  report(s, now);
}

void InfluxWorker::export_queued(ems::MonoTime now) {
  std::deque<Record> records;
  {
    std::lock_guard lock(mutex_);
    records.swap(queue_);
  }
  // A point that cannot be encoded is refused and counted by the exporter.
  const auto add = [&](const influx::Point& p) { (void)exporter_.add(p, now); };
  for (const auto& r : records) {
    if (const auto* h = std::get_if<storage::HistorySample>(&r)) {
      for (const auto& p : influx::to_points(*h)) add(p);
    } else if (const auto* d = std::get_if<storage::Decision>(&r)) {
      add(influx::to_point(*d));
    } else if (const auto* e = std::get_if<storage::Event>(&r)) {
      add(influx::to_point(*e));
    } else if (auto p = influx::to_point(std::get<storage::Session>(r))) {
      add(*p);
    }
  }
}

void InfluxWorker::publish(const influx::ExportStats& s) {
  std::lock_guard lock(mutex_);
  stats_ = s;
}

influx::ExportStats InfluxWorker::stats() const {
  std::lock_guard lock(mutex_);
  auto s = stats_;
  s.queue_dropped = queue_dropped_;
  return s;
}

InfluxWorker::Drops InfluxWorker::drops_of(const influx::ExportStats& s) {
  return {s.outbox_dropped, s.points_rejected, s.memory_dropped, s.queue_dropped};
}

void InfluxWorker::report(const influx::ExportStats& s, ems::MonoTime now) {
  // The exporter logs its own transitions; here they become events for the dashboard.
  const auto waiting = s.outbox_lines + s.pending_lines;
  if (reachable_ && !s.reachable) {
    const auto n = std::to_string(waiting);
    record(storage::EventKind::FaultRaised,
           "InfluxDB at " + settings_.url + " unreachable (" + s.last_error + "); " + n +
               " points wait in the outbox and are sent when it answers again",
           msg::influx_unreachable(settings_.url, s.last_error, n));
  } else if (!reachable_ && s.reachable) {
    const auto n = std::to_string(waiting);
    record(storage::EventKind::FaultCleared,
           "InfluxDB at " + settings_.url + " reachable again; " + n + " points still waiting are being sent",
           msg::influx_reachable(settings_.url, n));
  }
  reachable_ = s.reachable;

  auto d = drops_of(s);
  {
    std::lock_guard lock(mutex_);
    d.queue = queue_dropped_;
  }
  if (d.total() <= reported_.total()) return;
  if (last_drop_report_ && now - *last_drop_report_ < kDropReportPeriod) return;
  // One event per kind of loss, each in its own words.
  const auto report_drop = [this](std::uint64_t now_n, std::uint64_t then_n, const std::string& what,
                                  ems::Message message) {
    if (now_n <= then_n) return;
    const auto text = "InfluxDB export dropped data: " + std::to_string(now_n - then_n) + " " + what;
    spdlog::warn("influx: {}", text);
    record(storage::EventKind::FaultRaised, text, std::move(message));
  };
  const auto n = [](std::uint64_t now_n, std::uint64_t then_n) { return std::to_string(now_n - then_n); };
  const auto max = std::to_string(settings_.outbox_max_points);
  report_drop(d.outbox, reported_.outbox, "oldest points (outbox full at influx.outbox_max_points = " + max + ")",
              msg::influx_dropped_outbox(n(d.outbox, reported_.outbox), max));
  report_drop(d.rejected, reported_.rejected, "points refused by InfluxDB (4xx)",
              msg::influx_dropped_rejected(n(d.rejected, reported_.rejected)));
  report_drop(d.memory, reported_.memory, "points (outbox not writable and no room in memory)",
              msg::influx_dropped_memory(n(d.memory, reported_.memory)));
  report_drop(d.queue, reported_.queue, "records (export queue full)",
              msg::influx_dropped_queue(n(d.queue, reported_.queue)));
  reported_ = d;
  last_drop_report_ = now;
}

void InfluxWorker::record(storage::EventKind kind, std::string text, ems::Message message) {
  if (events_) events_({0, clock_.wall_now(), kind, kSubject, std::move(text), std::move(message)});
}

}  // namespace emsgw::gateway
