#include "gateway/devices/station_worker.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace emsgw::gateway {

namespace {
using ems::Millis;
using ems::MonoTime;

// Read-back tolerance: the station stores FLOAT32 amps; anything further off is another value.
constexpr double kSameAmpsA = 0.05;

Millis seconds(double s) {
  return Millis(static_cast<Millis::rep>(s * 1000.0));
}

struct PlannedWrite {
  int unit = 0;
  double amps = 0;
  int phases = 0;
  WriteKind kind = WriteKind::Change;
  int rank = 0;  ///< 0 decrease, 1 increase or first write, 2 refresh, 3 phase change
};
}  // namespace

StationWorker::StationWorker(std::size_t index, std::unique_ptr<StationDevice> device, const ems::Clock& clock,
                             Options options, SampleSink on_sample, WriteSink on_write)
    : index_(index),
      device_(std::move(device)),
      clock_(clock),
      options_(options),
      on_sample_(std::move(on_sample)),
      on_write_(std::move(on_write)) {}

StationWorker::~StationWorker() {
  stop();
}

void StationWorker::start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { loop(); });
}

void StationWorker::stop() {
  if (!running_.exchange(false)) return;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StationWorker::set_desired(int unit, double amps, int phases) {
  bool cut = false;
  {
    std::lock_guard lock(mutex_);
    auto& s = slots_[unit];
    const bool changed = !s.desired || *s.desired != amps || s.desired_phases != phases;
    s.desired = amps;
    s.desired_phases = phases;
    s.affirmed_at = clock_.mono_now();
    if (!changed) return;
    s.sequence = ++next_sequence_;
    cut = s.written && amps < *s.written;
  }
  // A poll in progress sends the cut without waiting for the reply it waits for.
  if (cut) device_->interrupt_poll();
  wake_.notify_all();
}

void StationWorker::set_desired_scn(const std::array<double, 3>& amps) {
  bool cut = false;
  {
    std::lock_guard lock(mutex_);
    if (!scn_slot_) scn_slot_.emplace();
    const bool changed = !scn_slot_->desired || scn_desired_ != amps;
    scn_desired_ = amps;
    scn_slot_->desired = *std::min_element(amps.begin(), amps.end());
    scn_slot_->affirmed_at = clock_.mono_now();
    if (!changed) return;
    scn_slot_->sequence = ++next_sequence_;
    if (scn_slot_->written)
      for (std::size_t p = 0; p < 3; ++p) cut = cut || amps[p] < scn_written_[p];
  }
  if (cut) device_->interrupt_poll();
  wake_.notify_all();
}

void StationWorker::affirm() {
  std::lock_guard lock(mutex_);
  const auto now = clock_.mono_now();
  for (auto& [unit, s] : slots_)
    if (s.desired) s.affirmed_at = now;
  if (scn_slot_ && scn_slot_->desired) scn_slot_->affirmed_at = now;
}

void StationWorker::release() {
  std::lock_guard lock(mutex_);
  for (auto& [unit, s] : slots_) s.desired.reset();
  if (scn_slot_) scn_slot_->desired.reset();
}

int StationWorker::write_final(const std::vector<std::pair<int, double>>& unit_amps, Millis timeout) {
  std::unique_lock lock(mutex_);
  final_writes_ = unit_amps;
  final_done_ = 0;
  final_pending_ = true;
  wake_.notify_all();
  if (!running_) {  // no thread: do it here
    lock.unlock();
    run_once(clock_.mono_now());
    lock.lock();
  } else {
    final_cv_.wait_for(lock, timeout, [this] { return !final_pending_; });
  }
  return final_done_;
}

StationWorkerStats StationWorker::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool StationWorker::lease_ok(const Slot& s, MonoTime now) const {
  return s.desired.has_value() && now - s.affirmed_at <= options_.lease;
}

double StationWorker::effective_margin(const Slot& s) const {
  // A station configured with a validity shorter than twice the margin (the guide allows 10 s)
  // is refreshed at half its validity instead of on every pass.
  return s.full_validity_s ? std::min(options_.refresh_margin_s, *s.full_validity_s / 2) : options_.refresh_margin_s;
}

bool StationWorker::refresh_due(const Slot& s, MonoTime now) const {
  if (!s.written) return false;
  if (s.validity_s)
    return *s.validity_s - std::chrono::duration<double>(now - s.validity_at).count() < effective_margin(s);
  return now - s.written_at >= seconds(options_.fallback_refresh_s);
}

void StationWorker::loop() {
  while (running_) {
    const auto next = run_once(clock_.mono_now());
    std::unique_lock lock(mutex_);
    if (!running_) break;
    // Wake at the next due time, on a new desired value, or at the latest every 200 ms so that a
    // manual or slow clock never parks the thread for long.
    const auto wait = std::clamp(std::chrono::duration_cast<Millis>(next - clock_.mono_now()), Millis(0), Millis(200));
    wake_.wait_for(lock, wait);
  }
}

MonoTime StationWorker::run_once(MonoTime now) {
  do_writes(now);
  if (now >= next_poll_ && do_poll(now)) do_writes(clock_.mono_now());  // foreign set-points: rewrite at once
  std::lock_guard lock(mutex_);
  return next_due(clock_.mono_now());
}

MonoTime StationWorker::next_due(MonoTime now) const {
  MonoTime next = next_poll_;
  for (const auto& [unit, s] : slots_) {
    if (!lease_ok(s, now)) continue;
    if (!s.written || *s.written != *s.desired || s.rewrite) next = std::min(next, std::max(now, s.retry_at));
    if (s.written && s.validity_s) {
      const auto due = s.validity_at + seconds(*s.validity_s - effective_margin(s));
      next = std::min(next, std::max(due, s.retry_at));
    }
  }
  return next;
}

void StationWorker::do_writes(MonoTime now) {
  std::vector<PlannedWrite> plan;
  std::vector<std::pair<int, double>> finals;
  bool scn_due = false;
  WriteKind scn_kind = WriteKind::Scn;
  {
    std::lock_guard lock(mutex_);
    if (final_pending_) finals = final_writes_;
    for (auto& [unit, s] : slots_) {
      if (!lease_ok(s, now) || now < s.retry_at) continue;
      if (!s.written || *s.written != *s.desired || s.rewrite)
        plan.push_back(
            {unit, *s.desired, 0, WriteKind::Change, (s.rewrite || (s.written && *s.desired < *s.written)) ? 0 : 1});
      else if (refresh_due(s, now))
        plan.push_back({unit, *s.desired, 0, WriteKind::Refresh, 2});
      // 1215 only while the socket is paused (the allocator pauses it first; alfen-modbus.md §4.6).
      if (s.desired_phases != 0 && s.desired_phases != s.phases_written && *s.desired == 0 && s.written &&
          *s.written == 0)
        plan.push_back({unit, 0, s.desired_phases, WriteKind::Phases, 3});
    }
    if (scn_slot_ && lease_ok(*scn_slot_, now) && now >= scn_slot_->retry_at) {
      if (!scn_slot_->written || scn_written_ != scn_desired_ || scn_slot_->rewrite) {
        scn_due = true;
      } else if (refresh_due(*scn_slot_, now)) {
        scn_due = true;
        scn_kind = WriteKind::ScnRefresh;
      }
    }
  }
  // Decreases first (design.md §2.3), then increases, then refreshes, then phase changes.
  std::stable_sort(plan.begin(), plan.end(),
                   [](const PlannedWrite& a, const PlannedWrite& b) { return a.rank < b.rank; });
  for (const auto& [unit, amps] : finals) {
    const auto out = device_->write_current(unit, amps);
    std::lock_guard lock(mutex_);
    ++stats_.writes;
    if (out.ok)
      ++final_done_;
    else
      ++stats_.write_failures;
  }
  if (!finals.empty()) {
    std::lock_guard lock(mutex_);
    final_pending_ = false;
    final_cv_.notify_all();
    return;  // shutting down: no further control writes
  }
  if (scn_due) write_scn(scn_kind, now);
  for (const auto& w : plan) {
    if (w.kind == WriteKind::Phases) {
      const auto out = device_->write_phases(w.unit, w.phases);
      {
        std::lock_guard lock(mutex_);
        auto& s = slots_[w.unit];
        ++stats_.writes;
        if (out.ok)
          s.phases_written = w.phases;
        else {
          ++stats_.write_failures;
          // A station that refuses phase switching will not change its mind: stop asking.
          if (out.permanent) s.phases_written = w.phases;
          s.retry_at = now + options_.retry_after;
        }
      }
      on_write_({index_, w.unit, WriteKind::Phases, static_cast<double>(w.phases), {}, out, now});
      continue;
    }
    write_slot(w.unit, w.kind, now);
  }
}

void StationWorker::write_slot(int unit, WriteKind kind, MonoTime now) {
  // The newest desired value at the moment the write goes on the wire (not when it was planned).
  double amps = 0;
  std::uint64_t sequence = 0;
  {
    std::lock_guard lock(mutex_);
    const auto it = slots_.find(unit);
    if (it == slots_.end() || !lease_ok(it->second, clock_.mono_now())) return;
    amps = *it->second.desired;
    sequence = it->second.sequence;
  }
  const auto out = device_->write_current(unit, amps);
  const auto done = clock_.mono_now();
  {
    std::lock_guard lock(mutex_);
    auto& s = slots_[unit];
    ++stats_.writes;
    if (kind == WriteKind::Refresh) ++stats_.refreshes;
    if (out.ok) {
      // A write of an older sequence never replaces the record of a newer one.
      if (sequence >= s.written_sequence) {
        s.written = amps;
        s.written_sequence = sequence;
        s.written_at = done;
        s.validity_s = out.validity_s;
        s.validity_at = done;
        if (out.accepted && out.validity_s && *out.validity_s > 0) s.full_validity_s = out.validity_s;
        s.lapsed_reported = false;
        s.rewrite = false;
      }
      if (!out.accepted) ++stats_.not_accepted;
      // A refused set-point is retried at the normal pace, not in a tight loop.
      s.retry_at = out.accepted ? done : done + options_.retry_after * 4;
    } else {
      ++stats_.write_failures;
      s.retry_at = done + options_.retry_after;
    }
  }
  on_write_({index_, unit, kind, amps, {}, out, now, sequence});
}

void StationWorker::write_cuts() {
  std::vector<int> units;
  bool scn = false;
  const auto now = clock_.mono_now();
  {
    std::lock_guard lock(mutex_);
    if (final_pending_) return;
    for (const auto& [unit, s] : slots_)
      if (lease_ok(s, now) && now >= s.retry_at && s.written && (*s.desired < *s.written || s.rewrite))
        units.push_back(unit);
    if (scn_slot_ && lease_ok(*scn_slot_, now) && now >= scn_slot_->retry_at && scn_slot_->written)
      for (std::size_t p = 0; p < 3; ++p) scn = scn || scn_desired_[p] < scn_written_[p] || scn_slot_->rewrite;
  }
  if (scn) write_scn(WriteKind::Scn, now);
  for (int unit : units) write_slot(unit, WriteKind::Change, now);
  if (scn || !units.empty()) {
    std::lock_guard lock(mutex_);
    stats_.cuts_during_poll += units.size() + (scn ? 1 : 0);
  }
}

void StationWorker::write_scn(WriteKind kind, MonoTime now) {
  std::array<double, 3> amps{};
  std::uint64_t sequence = 0;
  {
    std::lock_guard lock(mutex_);
    amps = scn_desired_;
    sequence = scn_slot_->sequence;
  }
  const auto out = device_->write_scn(amps);
  const auto done = clock_.mono_now();
  {
    std::lock_guard lock(mutex_);
    auto& s = *scn_slot_;
    ++stats_.writes;
    if (kind == WriteKind::ScnRefresh) ++stats_.refreshes;
    if (out.ok) {
      if (sequence >= s.written_sequence) {
        scn_written_ = amps;
        s.written = *std::min_element(amps.begin(), amps.end());
        s.written_sequence = sequence;
        s.written_at = done;
        s.validity_s = out.validity_s;
        s.validity_at = done;
        if (out.accepted && out.validity_s && *out.validity_s > 0) s.full_validity_s = out.validity_s;
        s.rewrite = false;
      }
      if (!out.accepted) ++stats_.not_accepted;
      s.retry_at = out.accepted ? done : done + options_.retry_after * 4;
    } else {
      ++stats_.write_failures;
      s.retry_at = done + options_.retry_after;
    }
  }
  on_write_({index_, 0, kind, 0, amps, out, now, sequence});
}

bool StationWorker::do_poll(MonoTime now) {
  const auto started = clock_.mono_now();
  auto sample = device_->poll_interleaved([this] { write_cuts(); });
  const auto done = clock_.mono_now();
  sample.at = done;
  sample.started = started;
  bool foreign = false;
  {
    std::lock_guard lock(mutex_);
    ++stats_.polls;
    if (!sample.ok) ++stats_.poll_failures;
    next_poll_ = now + options_.poll_interval;
    // The station's own countdown is the truth: adopt it, and notice lapses of set-points we still
    // control (a missed refresh, design.md §2.5).
    for (const auto& so : sample.sockets) {
      auto it = slots_.find(so.unit);
      if (it == slots_.end() || !so.valid || !so.validity_s) continue;
      auto& s = it->second;
      if (s.phases_written == 0 && so.phases != 0) s.phases_written = so.phases;
      if (!s.written) continue;
      s.validity_s = so.validity_s;
      s.validity_at = done;
      if (*so.validity_s <= 0 && lease_ok(s, done) && !s.lapsed_reported) {
        ++stats_.missed_refreshes;
        s.lapsed_reported = true;
        s.written.reset();  // the station is on its safe current now: write again at once
      }
    }
    if (sample.scn && scn_slot_ && scn_slot_->written) {
      std::optional<double> least;
      for (const auto& v : sample.scn->validity_s)
        if (v) least = least ? std::min(*least, *v) : *v;
      if (least) {
        scn_slot_->validity_s = least;
        scn_slot_->validity_at = done;
        if (*least <= 0 && lease_ok(*scn_slot_, done) && !scn_slot_->lapsed_reported) {
          ++stats_.missed_refreshes;
          scn_slot_->lapsed_reported = true;
          scn_slot_->written.reset();
        }
      }
    }
    if (sample.ok) check_foreign(sample, started);
    foreign = !sample.foreign.empty();
  }
  on_sample_(index_, std::move(sample));
  return foreign;
}

void StationWorker::check_foreign(StationSample& sample, MonoTime poll_started) {
  const auto done = sample.at;
  for (const auto& so : sample.sockets) {
    const auto it = slots_.find(so.unit);
    if (it == slots_.end() || !so.valid) continue;
    auto& s = it->second;
    // Only a value emsgw still controls, in force (a lapse is a missed refresh, not a foreign
    // write), and not written while this poll was under way (the read-back may predate the write).
    if (!s.written || !lease_ok(s, done) || s.written_at >= poll_started) continue;
    if (!so.validity_s || *so.validity_s <= 0) continue;
    const double ours = *s.written;
    const bool other_value = so.setpoint_a && std::fabs(*so.setpoint_a - ours) > kSameAmpsA;
    const bool override =
        so.applied_a && *so.applied_a > ours + kSameAmpsA && done - s.written_at >= options_.applied_settle;
    if (!other_value && !override) continue;
    if (!other_value) {
      // 1210 is emsgw's but 1206 is higher: an override in the station. A rewrite cannot undo it;
      // try again only after a while, and keep reporting it meanwhile.
      if (s.override_rewritten_at && done - *s.override_rewritten_at < options_.override_backoff) {
        sample.foreign.push_back({so.unit, ours, so.setpoint_a, so.applied_a, false});
        continue;
      }
      s.override_rewritten_at = done;
    }
    ++stats_.foreign_setpoints;
    s.rewrite = true;
    s.retry_at = std::min(s.retry_at, done);
    sample.foreign.push_back({so.unit, ours, so.setpoint_a, so.applied_a});
  }
  if (sample.scn && scn_slot_ && scn_slot_->written && lease_ok(*scn_slot_, done) &&
      scn_slot_->written_at < poll_started) {
    for (std::size_t p = 0; p < 3; ++p) {
      const auto& seen = sample.scn->max_current_a[p];
      const auto& left = sample.scn->validity_s[p];
      if (!seen || !left || *left <= 0 || std::fabs(*seen - scn_written_[p]) <= kSameAmpsA) continue;
      ++stats_.foreign_setpoints;
      scn_slot_->rewrite = true;
      scn_slot_->retry_at = std::min(scn_slot_->retry_at, done);
      sample.foreign.push_back({0, scn_written_[p], seen, std::nullopt});
      break;
    }
  }
}

}  // namespace emsgw::gateway
