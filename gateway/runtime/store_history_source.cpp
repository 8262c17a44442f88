#include "gateway/runtime/store_history_source.hpp"

#include <algorithm>

namespace emsgw::gateway {

namespace {

storage::HistoryTier tier_of(int resolution_s) {
  if (resolution_s >= 900) return storage::HistoryTier::FifteenMinutes;
  if (resolution_s >= 60) return storage::HistoryTier::OneMinute;
  return storage::HistoryTier::TenSeconds;
}

std::string_view explanation_of(storage::EventKind k) {
  switch (k) {
    case storage::EventKind::FaultRaised: return "emsgw detected a problem; charging may be limited until it clears.";
    case storage::EventKind::FaultCleared: return "the problem is gone; normal control resumed.";
    case storage::EventKind::ConfigChange: return "the settings in force changed (command or reloaded configuration).";
    case storage::EventKind::PlugIn: return "a charging session began; it is listed under Sessions.";
    case storage::EventKind::Unplug:
      return "the charging session ended; its energy and cost are listed under Sessions.";
    case storage::EventKind::EvFull:
      return "the station still offers current but the EV no longer asks for it; others may use it.";
    case storage::EventKind::Dimming:
      return "the grid operator limits the controllable consumers (§14a); the EVs share what is left.";
  }
  return "";
}

}  // namespace

std::vector<webui::HistorySample> StoreHistorySource::history(const webui::HistoryQuery& query) const {
  auto rows = recorder_.with_store(
      [&](storage::SqliteStore& s) { return s.history(tier_of(query.resolution_s), query.from, query.to); });
  std::vector<webui::HistorySample> out;
  if (!rows) return out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    webui::HistorySample h;
    h.time = r.time;
    h.grid_current_a = r.grid_current_a;
    h.grid_limit_a = r.grid_limit_a;
    h.pv_power_w = r.pv_w;
    h.heatpump_power_w = r.heatpump_w;
    for (const auto& so : r.sockets) {
      std::optional<double> highest;
      for (const auto& c : so.current_a)
        if (c) highest = std::max(highest.value_or(*c), *c);
      if (highest) h.socket_current_a[so.socket] = *highest;
    }
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<webui::Event> StoreHistorySource::events(const webui::EventQuery& query) const {
  // The store answers newest first from `since`; events after `to` are skipped here.
  constexpr std::size_t kScan = 10000;
  auto rows = recorder_.with_store([&](storage::SqliteStore& s) { return s.events(query.from, kScan); });
  std::vector<webui::Event> out;
  if (!rows) return out;
  for (const auto& e : *rows) {
    if (e.time >= query.to) continue;
    if (static_cast<int>(out.size()) >= query.limit) break;
    webui::Event w;
    w.time = e.time;
    w.level = e.kind == storage::EventKind::FaultRaised ? webui::EventLevel::Warning : webui::EventLevel::Info;
    w.code = e.subject;
    w.text = e.text;
    w.message = e.message;
    w.explanation = std::string(explanation_of(e.kind));
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace emsgw::gateway
