#include "gateway/influx/influx_exporter.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace emsgw::gateway::influx {

InfluxExporter::InfluxExporter(const InfluxSettings& settings, storage::Database& outbox_db,
                               std::unique_ptr<WriteTransport> transport)
    : settings_(settings),
      encoder_(settings.precision),
      outbox_(outbox_db, static_cast<std::size_t>(std::max(1, settings.outbox_max_points))),
      transport_(std::move(transport)) {}

Result<void, EncodeError> InfluxExporter::add(const Point& p, ems::MonoTime now) {
  auto line = encoder_.encode(p);
  if (!line) {
    ++stats_.points_refused;
    spdlog::warn("influx: point refused: {}", line.error().message);
    return Unexpected(line.error());
  }
  if (pending_.empty()) pending_since_ = now;
  pending_.push_back(std::move(line).value());
  return {};
}

InfluxExporter::Outcome InfluxExporter::send(const std::string& body, std::size_t lines, ems::MonoTime now) {
  const auto res = transport_->write(body);
  if (res.ok()) {
    stats_.points_sent += lines;
    if (!stats_.reachable) spdlog::info("influx: {} reachable again", settings_.url);
    stats_.reachable = true;
    backoff_ = std::chrono::seconds(0);
    return Outcome::Sent;
  }
  stats_.last_error = res.status == 0 ? res.message : "HTTP " + std::to_string(res.status) + ": " + res.message;
  if (res.retryable()) {
    ++stats_.failed_attempts;
    if (stats_.reachable) spdlog::warn("influx: cannot write ({}); keeping points in the outbox", stats_.last_error);
    stats_.reachable = false;
    const auto min = std::chrono::seconds(std::max(1, settings_.retry_min_s));
    const auto max = std::chrono::seconds(std::max(settings_.retry_min_s, settings_.retry_max_s));
    backoff_ = backoff_.count() == 0 ? min : std::min(backoff_ * 2, max);
    // Retry-After is the server's word: wait at least that long, even beyond retry_max_s.
    const auto wait = res.retry_after_s ? std::max(backoff_, std::chrono::seconds(*res.retry_after_s)) : backoff_;
    next_attempt_ = now + wait;
    return Outcome::Retry;
  }
  stats_.points_rejected += lines;
  spdlog::error("influx: {} points dropped, the server refused them: {}", lines, stats_.last_error);
  if (auto r = outbox_.add_counter(Outbox::kRejectedCounter, static_cast<std::int64_t>(lines)); !r)
    spdlog::warn("influx: cannot count rejected points: {}", r.error().message);
  return Outcome::Rejected;
}

void InfluxExporter::flush_pending(ems::MonoTime now) {
  if (pending_.empty()) return;
  const bool full = pending_.size() >= static_cast<std::size_t>(std::max(1, settings_.batch_lines));
  const bool old = now - pending_since_ >= std::chrono::seconds(settings_.flush_interval_s);
  if (!full && !old) return;
  if (!outbox_has_lines_ && now >= next_attempt_) {
    std::string body;
    for (const auto& l : pending_) {
      if (!body.empty()) body += '\n';
      body += l;
    }
    if (send(body, pending_.size(), now) != Outcome::Retry) {
      pending_.clear();
      return;
    }
  }
  if (auto r = outbox_.append(pending_); !r) {
    // Kept in memory for the next tick, within the outbox's bound (oldest dropped beyond it).
    stats_.last_error = "outbox: " + r.error().message;
    spdlog::warn("influx: cannot store {} points in the outbox: {}", pending_.size(), r.error().message);
    const auto bound = static_cast<std::size_t>(std::max(1, settings_.outbox_max_points));
    if (pending_.size() > bound) {
      const auto excess = pending_.size() - bound;
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(excess));
      stats_.memory_dropped += excess;
    }
    return;
  }
  outbox_has_lines_ = true;
  pending_.clear();
}

void InfluxExporter::replay(ems::MonoTime now) {
  const auto batch_lines = static_cast<std::size_t>(std::max(1, settings_.batch_lines));
  // A bounded number of batches per tick, so that a long backlog does not hold the thread.
  for (int i = 0; i < 20 && outbox_has_lines_ && now >= next_attempt_; ++i) {
    auto batch = outbox_.peek(batch_lines);
    if (!batch) {
      stats_.last_error = "outbox: " + batch.error().message;
      return;
    }
    if (batch->lines == 0) {
      outbox_has_lines_ = false;
      return;
    }
    if (send(batch->body, batch->lines, now) == Outcome::Retry) return;
    if (auto r = outbox_.remove_through(batch->last_id); !r) {
      // Sent but still stored: it would be sent twice. InfluxDB merges identical points
      // (same measurement, tags and time), so a duplicate write is harmless.
      stats_.last_error = "outbox: " + r.error().message;
      return;
    }
  }
}

void InfluxExporter::tick(ems::MonoTime now) {
  // The outbox goes first: what waits there is older than the pending batch.
  replay(now);
  flush_pending(now);
  replay(now);
}

storage::StorageStatus InfluxExporter::persist_pending() {
  if (pending_.empty()) return {};
  auto r = outbox_.append(pending_);
  if (r) {
    pending_.clear();
    outbox_has_lines_ = true;
  }
  return r;
}

ExportStats InfluxExporter::stats() {
  ExportStats s = stats_;
  if (auto n = outbox_.size()) s.outbox_lines = *n;
  if (auto d = outbox_.counter(Outbox::kDroppedCounter)) s.outbox_dropped = static_cast<std::uint64_t>(*d);
  s.pending_lines = pending_.size();
  return s;
}

}  // namespace emsgw::gateway::influx
