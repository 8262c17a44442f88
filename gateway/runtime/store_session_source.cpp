#include "gateway/runtime/store_session_source.hpp"

namespace emsgw::gateway {

StoreSessionSource::StoreSessionSource(StorageRecorder& recorder, const ems::SiteConfig& site) : recorder_(recorder) {
  for (const auto& st : site.stations)
    for (const auto& so : st.sockets) {
      // A Double has a left (unit 1) and a right (unit 2) socket; a single station just one.
      std::string side;
      if (st.sockets.size() > 1) side = so.unit == 2 ? " right" : " left";
      names_[so.id] = {st.name, "socket " + std::to_string(so.id) + " · " + st.name + side};
    }
}

namespace {
void so_far(webui::ChargingSession& c, const std::vector<storage::SessionSlice>& slices, const storage::Tariff& tariff,
            const storage::LocalTimeFn& local) {
  double pv = 0;
  bool known = !slices.empty();
  for (const auto& s : slices) {
    if (s.pv_energy_wh)
      pv += *s.pv_energy_wh;
    else
      known = false;
  }
  if (known) c.pv_energy_wh = pv;
  if (tariff.configured) {
    c.cost = storage::price_slices(tariff, slices, local);
    c.currency = tariff.currency;
  }
}
}  // namespace

webui::ChargingSession StoreSessionSource::convert(const storage::Session& s) const {
  webui::ChargingSession c;
  c.id = s.id;
  c.socket = s.socket;
  if (const auto it = names_.find(s.socket); it != names_.end()) c.station = it->second.station;
  c.socket_name = socket_name(s.socket);
  c.start = s.start;
  c.end = s.end;
  c.start_energy_wh = s.start_energy_wh;
  c.end_energy_wh = s.end ? s.end_energy_wh : s.last_energy_wh;
  if (c.end_energy_wh && *c.end_energy_wh >= s.start_energy_wh) c.energy_wh = *c.end_energy_wh - s.start_energy_wh;
  c.pv_energy_wh = s.pv_energy_wh;
  c.max_current_a = s.max_current_a;
  c.avg_current_a = s.avg_current_a;
  c.cost = s.cost;
  c.currency = s.currency;
  c.end_reason = s.end_reason;
  return c;
}

std::string StoreSessionSource::socket_name(int socket) const {
  if (const auto it = names_.find(socket); it != names_.end()) return it->second.text;
  return "socket " + std::to_string(socket) + " (no longer configured)";
}

webui::SessionPage StoreSessionSource::sessions(const webui::SessionFilter& f) const {
  storage::SessionQuery q;
  q.socket = f.socket;
  q.from = f.from;
  q.to = f.to;
  q.limit = static_cast<std::size_t>(std::max(0, f.limit));
  q.offset = static_cast<std::size_t>(std::max(0, f.offset));
  webui::SessionPage page;
  recorder_.with_store([&](storage::SqliteStore& store) {
    auto rows = store.sessions(q);
    auto total = store.count_sessions(q);
    if (total) page.total = *total;
    if (!rows) return;
    const auto& tariff = store.tariff();
    for (const auto& r : *rows) {
      auto c = convert(r);
      if (!r.end) {
        // Running: solar part and cost so far, from the quarter hours written.
        if (auto slices = store.session_slices(r.id); slices) so_far(c, *slices, tariff, store.local_time());
      }
      page.items.push_back(std::move(c));
    }
  });
  return page;
}

std::optional<webui::ChargingSession> StoreSessionSource::session(std::int64_t id) const {
  return recorder_.with_store([&](storage::SqliteStore& store) -> std::optional<webui::ChargingSession> {
    auto row = store.session(id);
    if (!row || !*row) return std::nullopt;
    auto c = convert(**row);
    auto slices = store.session_slices(id);
    if (!slices) return c;
    const auto& tariff = store.tariff();
    for (const auto& s : *slices) {
      webui::SessionQuarter q;
      q.start = s.start;
      q.energy_wh = s.energy_wh;
      q.pv_energy_wh = s.pv_energy_wh;
      if (tariff.configured) {
        const auto p = storage::price_at(tariff, store.local_time()(s.start));
        q.import_price_per_kwh = p.import_per_kwh;
        q.tariff_window = p.window;
      }
      c.quarters.push_back(std::move(q));
    }
    if (!c.end) so_far(c, *slices, tariff, store.local_time());
    return c;
  });
}

}  // namespace emsgw::gateway
