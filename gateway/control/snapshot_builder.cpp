#include "gateway/control/snapshot_builder.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace emsgw::gateway {

std::vector<SocketRef> SiteInputs::index_sockets(const ems::SiteConfig& site) {
  std::vector<SocketRef> out;
  for (std::size_t i = 0; i < site.stations.size(); ++i)
    for (std::size_t j = 0; j < site.stations[i].sockets.size(); ++j) {
      const auto& so = site.stations[i].sockets[j];
      out.push_back({i, j, so.unit, so.id});
    }
  return out;
}

const SocketSample* SiteInputs::sample(const SocketRef& ref) const {
  if (ref.station >= stations.size()) return nullptr;
  const auto& st = stations[ref.station];
  if (!st.last_ok) return nullptr;
  const auto it = std::find_if(st.last_ok->sockets.begin(), st.last_ok->sockets.end(),
                               [&](const SocketSample& x) { return x.unit == ref.unit; });
  return it != st.last_ok->sockets.end() && it->valid ? &*it : nullptr;
}

namespace {

/// Adds a socket's EV current from its newest good sample to `sum`, per grid phase.
void add_socket_ev(const ems::SiteConfig& site, const SiteInputs& in, const SocketRef& ref,
                   std::array<double, 3>& sum) {
  const auto* so = in.sample(ref);
  if (!so) return;
  const auto& mapping = site.stations[ref.station].sockets[ref.index].phase_mapping;
  for (std::size_t j = 0; j < mapping.count; ++j)
    sum[ems::index(mapping.grid[j])] += std::max(0.0, so->current_a[j].value_or(0));
}

std::array<double, 3> station_ev_per_phase(const ems::SiteConfig& site, const SiteInputs& in, std::size_t station) {
  std::array<double, 3> sum{};
  for (const auto& ref : in.sockets)
    if (ref.station == station) add_socket_ev(site, in, ref, sum);
  return sum;
}

}  // namespace

std::optional<double> drawn_at_most(const drivers::MeterReading& r, std::size_t p) {
  const auto v = r.current_a[p].value();
  if (!v || r.current_step_a <= 0 || std::signbit(*v)) return v;  // exporting: at least what it reports
  return *v + r.current_step_a;
}

std::array<double, 3> ev_per_phase(const ems::SiteConfig& site, const SiteInputs& in) {
  std::array<double, 3> sum{};
  for (const auto& ref : in.sockets) add_socket_ev(site, in, ref, sum);
  return sum;
}

void SiteInputs::record_ev(const ems::SiteConfig& site, std::size_t station) {
  if (station >= stations.size() || !stations[station].last_ok) return;
  auto& history = stations[station].ev_history;
  const auto at = stations[station].last_ok->at;
  history.emplace_back(at, station_ev_per_phase(site, *this, station));
  while (history.size() > 1 && at - history.front().first > std::chrono::seconds(10)) history.pop_front();
  while (history.size() > 1024) history.pop_front();
}

ems::SiteSnapshot build_snapshot(const Config& config, const SiteInputs& in, const SessionTracker& sessions,
                                 ems::MonoTime now) {
  const auto& site = config.site;
  ems::SiteSnapshot s;
  s.now = now;
  s.suspended = in.suspended;
  s.pv_configured = config.meters.contains("pv");
  // The grid meter, and the meters of the circuits (current per grid phase, + = import).
  const auto currents = [&](const std::string& role, ems::GridReading& out) {
    const auto it = in.meters.find(role);
    if (it == in.meters.end()) return;
    const auto& r = it->second;
    out.measured_at = r.mono;
    out.valid = true;
    for (std::size_t p = 0; p < ems::kPhaseCount; ++p) {
      const auto v = drawn_at_most(r, p);
      if (p < static_cast<std::size_t>(site.grid_phases)) {
        if (!v) out.valid = false;
        out.current[p] = ems::Amps(v.value_or(0));
      }
    }
  };
  currents("grid", s.grid);
  if (s.grid.valid) s.grid.measured = s.grid.current;
  s.circuits.resize(site.circuits.size());
  for (std::size_t c = 0; c < site.circuits.size(); ++c)
    if (!site.circuits[c].meter.empty()) currents(site.circuits[c].meter, s.circuits[c]);
  auto power = [&](const std::string& role, ems::PowerReading& out, bool production) {
    const auto it = in.meters.find(role);
    if (it == in.meters.end()) return;
    const auto& r = it->second;
    if (const auto w = r.power_total_w.value()) {
      double v = *w;
      if (production && r.sign == drivers::PowerSign::ImportPositive) v = -v;
      out.power = ems::Watts(std::max(0.0, v));
      out.measured_at = r.mono;
      out.valid = true;
    }
  };
  power("pv", s.pv, true);
  power("heatpump", s.heatpump, false);
  for (const auto& ref : in.sockets) {
    ems::SocketSnapshot so;
    so.id = ref.id;
    const auto& st = in.stations[ref.station];
    so.reachable = st.online;
    if (const auto* sample = in.sample(ref)) {
      so.state = sample->state;
      so.measured_at = st.last_ok->at;
      const auto& mapping = site.stations[ref.station].sockets[ref.index].phase_mapping;
      so.measured_valid = sample->current_a[0].has_value();
      for (std::size_t p = 0; p < ems::kPhaseCount; ++p) {
        if (sample->current_a[p])
          so.current[p] = ems::Amps(*sample->current_a[p]);
        else if (p >= mapping.count)
          so.current[p] = ems::Amps(0);  // a single-phase socket has no L2/L3
        else
          so.measured_valid = false;
      }
      if (const auto e = sessions.energy_wh(ref.id, sample->energy_wh)) so.energy_wh = *e;
    }
    s.sockets.push_back(so);
  }
  align_grid_with_ev(site, in, s);
  return s;
}

void align_grid_with_ev(const ems::SiteConfig& site, const SiteInputs& in, ems::SiteSnapshot& s) {
  // Rule 1 of design.md §2 reads the non-EV load as grid current − EV currents. The two come from
  // different devices at different times, and a meter's values lag its reading (it integrates and
  // refreshes its registers on its own period), so the household must never be read as smaller
  // than it is, nor much larger (every ampere too many is withheld from the cars):
  // - each grid reading since the EV currents in use were read is set against the EV total in
  //   force when it was taken: a reading from before a car ramped down shows the car's old current
  //   and is read with it, not with the lower current of now; a reading between two samples that
  //   differ is read with the lower (the car may have been anywhere between them);
  // - a station sample older than the grid reading still shows an EV that may have dropped since
  //   (the meter no longer shows it, but it is still subtracted): the highest household of those
  //   readings is taken, and the older ones still hold the EV;
  // - an EV rise the stations report may not be in a grid reading yet (subtracted, but not
  //   measured): the EVs' rise since their lowest sample of the kMeterLag before the reading, or
  //   since a raise before it, that the grid has not risen by is added back; and a reading, which
  //   may show the site as it was up to kMeterLag earlier, is set against the least EV total of
  //   that time where a rise is measured from it.
  const auto& history = in.grid_history;
  if (!site.meter_includes_chargers || history.empty() || !s.grid.valid) return;
  constexpr auto kMeterLag = std::chrono::seconds(2);
  const auto phases = std::min(static_cast<std::size_t>(site.grid_phases), ems::kPhaseCount);
  std::optional<ems::MonoTime> ev_from;
  for (const auto& ref : in.sockets) {
    const auto* so = in.sample(ref);
    if (!so) continue;
    const auto& last = *in.stations[ref.station].last_ok;
    for (const auto& c : so->current_a)
      if (c && *c > 0 && (!ev_from || last.started < *ev_from)) ev_from = last.started;
  }
  // The newest grid reading at or before `t` (the oldest kept when none is).
  const auto at_or_before = [&](ems::MonoTime t) {
    std::size_t k = 0;
    for (std::size_t i = 0; i < history.size(); ++i)
      if (history[i].mono <= t) k = i;
    return k;
  };
  const std::size_t first = ev_from ? at_or_before(*ev_from) : history.size() - 1;
  const auto ev_now = ev_per_phase(site, in);
  // The least EV total on a phase that can have flowed from `from` to `to`: per station, the least
  // of its newest sample at or before `from`, its samples up to `to` and its first one after it (a
  // car ramping between two samples drew something between them; set against the higher, a reading
  // taken on the way down would hide household load); before a station's oldest kept sample, its
  // newest.
  const auto station_ev_over = [](const StationState& st, ems::MonoTime from, ems::MonoTime to, std::size_t p) {
    if (st.ev_history.empty()) return 0.0;
    double v = st.ev_history.back().second[p];
    for (const auto& [at, sum] : st.ev_history) {
      v = at <= from ? sum[p] : std::min(v, sum[p]);
      if (at > to) break;
    }
    return v;
  };
  const auto ev_over = [&](ems::MonoTime from, ems::MonoTime to, std::size_t p) {
    double total = 0;
    for (const auto& st : in.stations) total += station_ev_over(st, from, to, p);
    return total;
  };
  const auto ev_at = [&](ems::MonoTime t, std::size_t p) { return ev_over(t, t, p); };
  // An EV raised within the EV response time (+ kMeterLag) before a reading may be on its way up,
  // and the grid meter shows it before its station does: the grid's rise since the first of those
  // raises is the EVs', as far as the raises reach (the allocator already counts them for the
  // EVs); beyond that, or later, it is household. Never less than the stations report.
  constexpr double kTrustedA = 0.05;
  const auto window = std::chrono::duration_cast<ems::MonoTime::duration>(
      std::chrono::duration<double>(site.ev_response_time_s) + kMeterLag);
  // The EV total at every station sample time from a raise window before the first reading in use
  // on (oldest first): each station at its newest sample then (its oldest kept one before that),
  // for the lowest total of a span.
  const ems::MonoTime span_from = history[first].mono - window;
  std::vector<std::pair<ems::MonoTime, std::array<double, 3>>> timeline;
  for (const auto& st : in.stations)
    for (const auto& e : st.ev_history)
      if (e.first >= span_from) timeline.emplace_back(e.first, std::array<double, 3>{});
  std::sort(timeline.begin(), timeline.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  timeline.erase(
      std::unique(timeline.begin(), timeline.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
      timeline.end());
  for (const auto& st : in.stations) {
    std::size_t k = 0;
    for (auto& [at, sum] : timeline) {
      if (st.ev_history.empty()) break;
      while (k + 1 < st.ev_history.size() && st.ev_history[k + 1].first <= at) ++k;
      for (std::size_t p = 0; p < sum.size(); ++p) sum[p] += st.ev_history[k].second[p];
    }
  }
  struct Raises {
    std::optional<ems::MonoTime> first;  ///< The first raise within the window before a reading.
    double total = 0;                    ///< All of them (A on the phase).
  };
  const auto raises_before = [&](ems::MonoTime taken, std::size_t p) {
    Raises r;
    for (const auto& [at, rise] : in.raise_history) {
      if (at > taken || taken - at >= window || rise[p] <= 0) continue;
      if (!r.first) r.first = at;
      r.total += rise[p];
    }
    return r;
  };
  // Where a rise up to a reading taken at `taken` is measured from: the EV total at `from` and the
  // grid reading at or before it; but when the stations show the EVs fell after `from` (a car cut
  // and raised again while it still drew its old current, or within its dead time), from the
  // trough: a grid reading since the sample before the lowest EV total, set against the least EV
  // total of its time as every reading is (an upper bound of the household then; of several, the
  // lowest). Set against the level at `from`, the car's return to its new set-point would read as
  // household, and the car be cut again.
  struct Base {
    double ev = 0;
    double grid = 0;
    bool fell = false;
  };
  const auto base_of = [&](ems::MonoTime from, ems::MonoTime taken, std::size_t p) -> std::optional<Base> {
    const auto g_ref = drawn_at_most(history[at_or_before(from)], p);
    if (!g_ref) return std::nullopt;
    Base b{ev_at(from, p), *g_ref, false};
    std::optional<std::size_t> low;
    for (std::size_t i = 0; i < timeline.size(); ++i) {
      const auto& [at, sum] = timeline[i];
      if (at > from && at <= taken && sum[p] < (low ? timeline[*low].second[p] : b.ev - kTrustedA)) low = i;
    }
    if (!low) return b;
    const ems::MonoTime after = *low > 0 ? std::max(from, timeline[*low - 1].first) : from;
    std::optional<Base> trough;
    for (const auto& r : history) {
      const auto v = drawn_at_most(r, p);
      if (!v || r.mono <= after || r.mono > taken) continue;
      // The meter may show the site as it was up to kMeterLag before the reading.
      const Base t{ev_over(r.mono - kMeterLag, r.mono, p), *v, true};
      if (!trough || t.grid - t.ev < trough->grid - trough->ev) trough = t;
    }
    return trough ? *trough : b;
  };
  // At most the raises above the lower of the EV total then and what the stations report at the
  // reading: a car cut since (its station reports it going down) leaves no room for the rise to be
  // taken as the raised car's — a household step would be (the EV lab: 2.9 A read 1.7 A low).
  // Nor more than the part of the raises the stations have not shown yet: a raised car's rise its
  // station reports is in `ev` already, and counted again it took a household step for the car
  // (the EV lab: 5.1 A read 3.7 A). Per station, the rise since the first raise (a station whose
  // other car was cut shows less: more is left to the raise, never less).
  const auto shown_since = [&](ems::MonoTime from, ems::MonoTime taken, std::size_t p) {
    double shown = 0;
    for (const auto& st : in.stations)
      shown += std::max(0.0, station_ev_over(st, taken, taken, p) - station_ev_over(st, from, from, p));
    return shown;
  };
  const auto raised_ev = [&](const Raises& r, std::size_t p, double g, double ev, ems::MonoTime taken) -> double {
    if (!r.first) return ev;
    const auto b = base_of(*r.first, taken, p);
    if (!b) return ev;
    const double unshown = std::max(0.0, r.total - shown_since(*r.first, taken, p));
    return std::clamp(b->ev + (g - b->grid), ev, std::max(ev, std::min(std::min(b->ev, ev) + r.total, ev + unshown)));
  };
  for (std::size_t p = 0; p < phases; ++p) {
    std::optional<double> household;
    for (std::size_t k = first; k < history.size(); ++k) {
      const auto g = drawn_at_most(history[k], p);
      if (!g) continue;
      const ems::MonoTime taken = history[k].mono;
      const double ev = ev_at(taken, p);
      // The lowest EV total of the kMeterLag before this reading, and when it was seen.
      double lowest = ev;
      std::optional<ems::MonoTime> lowest_at;
      for (const auto& [at, sum] : timeline)
        if (at <= taken && taken - at <= kMeterLag && sum[p] < lowest) {
          lowest = sum[p];
          lowest_at = at;
        }
      // The grid's rise is taken from before the EVs could rise: the lowest sample, or a raise
      // before it (the grid may show a raised car before its station does).
      const auto raises = raises_before(taken, p);
      double unseen = 0;
      if (lowest_at) {
        const auto from = raises.first ? std::min(*raises.first, *lowest_at) : *lowest_at;
        const auto b = base_of(from, taken, p);
        const double grid_rose = b ? std::max(0.0, *g - b->grid) : 0.0;
        // The EVs' rise since `from` less the grid's: measured from the lowest sample alone, a rise
        // begun between a raise and the kMeterLag before the reading would be partly household
        // (a meter 1.5 s late: 6 A read 3.5 A).
        const double ev_base = !b ? lowest : b->fell ? b->ev : std::min(b->ev, lowest);
        unseen = std::max(0.0, ev - ev_base - grid_rose);
      }
      const double raised = raised_ev(raises, p, *g, ev, taken);
      // A rise taken on trust (the stations had not reported it when the reading was taken):
      // raises wait until no reading in use needs it.
      if (raised > ev + kTrustedA) s.ev_rise_unconfirmed_on[p] = true;
      const double h = *g - std::max(ev, raised) + unseen;
      if (!household || h > *household) household = h;
    }
    if (household) s.grid.current[p] = ems::Amps(*household + ev_now[p]);
  }
}

}  // namespace emsgw::gateway
