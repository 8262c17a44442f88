#include "ems/allocator/water_filling.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace emsgw::ems::allocator {

void join(std::vector<Item>& items, std::vector<Group>& groups, std::size_t i, std::size_t g, double weight) {
  auto& it = items[i];
  it.groups[it.group_count] = g;
  it.weights[it.group_count] = weight;
  ++it.group_count;
  groups[g].members.emplace_back(i, weight);
}

double solve_level(const Group& g, const std::vector<Item>& items, std::vector<std::pair<double, double>>& events) {
  double base = 0;
  double at_min = 0;
  double at_max = 0;
  events.clear();
  for (const auto& [k, w] : g.members) {
    const auto& it = items[k];
    if (it.frozen) {
      base += w * it.c;
      continue;
    }
    at_min += w * it.min;
    at_max += w * it.max;
    events.emplace_back(it.min, w);
    events.emplace_back(it.max, -w);
  }
  if (events.empty()) return kInf;
  if (base + at_max <= g.capacity + kEps) return kInf;
  if (base + at_min > g.capacity + kEps) return -kInf;
  std::sort(events.begin(), events.end());
  double level = events.front().first;
  double load = base + at_min;
  double slope = 0;
  for (const auto& [x, dw] : events) {
    const double next = load + slope * (x - level);
    if (next >= g.capacity && slope > 0) return level + (g.capacity - load) / slope;
    load = next;
    level = x;
    slope += dw;
  }
  return level;
}

namespace {

/// Levels closer than this are the same level.
constexpr double kLevelGap = 1e-6;

/// The member of g held at its minimum above this level (the highest; lowest id among equals), or
/// kNoItem.
std::size_t minimum_above(const Group& g, const std::vector<Item>& items, double level) {
  std::size_t best = kNoItem;
  for (const auto& [k, w] : g.members) {
    const auto& y = items[k];
    if (y.c <= level + kLevelGap || y.c > y.min + kEps) continue;
    if (best == kNoItem || y.c > items[best].c + kEps ||
        (std::fabs(y.c - items[best].c) <= kEps && y.id < items[best].id))
      best = k;
  }
  return best;
}

}  // namespace

void water_fill(std::vector<Item>& items, std::vector<Group>& groups) {
  std::vector<std::pair<double, double>> events;
  events.reserve(2 * items.size());
  // A group's level depends on its members alone: only the groups of items frozen since the last
  // round need solving again (a deep tree has many groups, few of which change per round).
  std::vector<char> dirty(groups.size(), 1);
  const auto freeze = [&](Item& it, Reason why, const std::string* detail) {
    it.frozen = true;
    it.reason = why;
    it.detail = detail;
    for (std::size_t g = 0; g < it.group_count; ++g) dirty[it.groups[g]] = 1;
  };
  for (auto& it : items) {
    it.c = it.min;
    it.frozen = it.max <= it.min + kEps;
    if (it.frozen) it.c = it.max;
  }
  for (;;) {
    bool any = false;
    for (const auto& it : items) any = any || !it.frozen;
    if (!any) return;
    double level = kInf;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      if (dirty[g]) {
        groups[g].level = solve_level(groups[g], items, events);
        dirty[g] = 0;
      }
      level = std::min(level, groups[g].level);
    }
    if (level == kInf) {
      for (auto& it : items)
        if (!it.frozen) {
          it.c = it.max;
          freeze(it, it.own, nullptr);
        }
      return;
    }
    for (auto& it : items)
      if (!it.frozen) it.c = std::clamp(level, it.min, it.max);
    // An item at its own maximum is bound by it, even where a group fills at the same level.
    for (auto& it : items)
      if (!it.frozen && it.max <= level + kEps) freeze(it, it.own, nullptr);
    for (const auto& g : groups) {
      if (g.level > level + 1e-7) continue;
      const std::size_t taker = g.reason == Reason::PvSurplus ? kNoItem : minimum_above(g, items, level);
      for (const auto& [k, w] : g.members) {
        auto& it = items[k];
        if (it.frozen) continue;
        freeze(it, g.reason, g.detail);
        if (taker != k && it.c <= level + kLevelGap) it.taken_by = taker;
      }
    }
  }
}

namespace {

/// What the items' whole amperes load every group with.
std::vector<double> group_loads(const std::vector<Item>& items, std::size_t group_count,
                                const std::vector<int>& whole) {
  std::vector<double> load(group_count, 0.0);
  for (std::size_t i = 0; i < items.size(); ++i)
    for (std::size_t g = 0; g < items[i].group_count; ++g) load[items[i].groups[g]] += items[i].weights[g] * whole[i];
  return load;
}

/// One more ampere for `it` where every group it is in has room for it (with `slack[g]`, if given).
bool add_ampere(const Item& it, const std::vector<Group>& groups, const std::vector<double>* slack,
                std::vector<double>& load) {
  for (std::size_t g = 0; g < it.group_count; ++g) {
    const auto gi = it.groups[g];
    if (load[gi] + it.weights[g] > groups[gi].capacity + (slack ? (*slack)[gi] : 0.0) + kEps) return false;
  }
  for (std::size_t g = 0; g < it.group_count; ++g) load[it.groups[g]] += it.weights[g];
  return true;
}

}  // namespace

std::vector<int> whole_amperes(const std::vector<Item>& items, const std::vector<Group>& groups) {
  std::vector<int> whole(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) whole[i] = floor_a(items[i].c);
  auto group_load = group_loads(items, groups.size(), whole);
  std::vector<std::size_t> spare_order(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) spare_order[i] = i;
  std::sort(spare_order.begin(), spare_order.end(), [&](auto a, auto b) {
    const double fa = items[a].c - whole[a], fb = items[b].c - whole[b];
    if (std::fabs(fa - fb) > 1e-6) return fa > fb;
    return items[a].id < items[b].id;
  });
  // Round-robin passes (largest fraction first) until no socket can take one more ampere, so no
  // whole ampere of headroom is left that some socket could use.
  for (bool gave = true; gave;) {
    gave = false;
    for (auto i : spare_order) {
      if (whole[i] + 1 > items[i].max + kEps || !add_ampere(items[i], groups, nullptr, group_load)) continue;
      ++whole[i];
      gave = true;
    }
  }
  return whole;
}

void keep_previous(const std::vector<Item>& items, const std::vector<Group>& groups, const std::vector<double>& slack,
                   const std::vector<int>& previous, std::vector<int>& whole) {
  auto group_load = group_loads(items, groups.size(), whole);
  std::vector<std::size_t> order(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return items[a].id < items[b].id; });
  for (auto i : order)
    if (previous[i] == whole[i] + 1 && whole[i] + 1 <= items[i].max + kEps &&
        add_ampere(items[i], groups, &slack, group_load))
      ++whole[i];
}

void share(const StepInputs& in, const Capacity& cap, const std::array<PhaseBudget, kPhaseCount>& phases,
           const Surplus& surplus, const std::vector<Session>& sessions, std::vector<SocketWork>& work) {
  const auto& site = in.site;
  std::vector<Item> items;
  std::vector<Group> groups(kPhaseCount + site.stations.size() + 1);
  for (std::size_t p = 0; p < kPhaseCount; ++p) {
    groups[p].capacity = cap.phase[p];
    groups[p].reason = phases[p].bound_by;
    groups[p].detail = cap.phase_words[p];
  }
  for (std::size_t st = 0; st < site.stations.size(); ++st) {
    groups[kPhaseCount + st].capacity = site.stations[st].max_current_a - cap.station_reserved[st];
    groups[kPhaseCount + st].reason = Reason::StationMax;
  }
  const std::size_t surplus_group = groups.size() - 1;
  groups[surplus_group].capacity = std::max(0.0, surplus.ev_w);
  groups[surplus_group].reason = Reason::PvSurplus;
  groups.reserve(groups.size() + 1 + cap.circuits.size() * (kPhaseCount + 1));
  const bool flexible = cap.flex_w < kInf;
  const std::size_t flex_group = groups.size();
  if (flexible) {
    groups.push_back(Group{cap.flex_w, cap.flex_reason, cap.flex_words, {}, kInf});
  }
  // Per circuit: a group per grid phase it limits and one for its power, where finite.
  constexpr std::size_t kNoGroup = static_cast<std::size_t>(-1);
  std::vector<std::array<std::size_t, kPhaseCount + 1>> circuit_group(cap.circuits.size());
  for (std::size_t c = 0; c < cap.circuits.size(); ++c) {
    const auto& ref = in.index.circuits[c];
    const auto add = [&](double capacity, Reason why, const std::string* words) {
      if (!(capacity < kInf)) return kNoGroup;
      groups.push_back(Group{capacity, why, words, {}, kInf});
      groups.back().members.reserve(ref.sockets.size());
      return groups.size() - 1;
    };
    const auto& cc = cap.circuits[c];
    for (std::size_t p = 0; p < kPhaseCount; ++p)
      circuit_group[c][p] = cc.phase_words[p] != nullptr ? add(cc.phase[p], Reason::Schedule, cc.phase_words[p])
                                                         : add(cc.phase[p], circuit_reason(p), &ref.phase_words[p]);
    circuit_group[c][kPhaseCount] = cc.power_words != nullptr ? add(cc.power_w, Reason::Schedule, cc.power_words)
                                                              : add(cc.power_w, Reason::CircuitPower, &ref.power_words);
  }
  items.reserve(work.size());
  for (std::size_t k = 0; k < work.size(); ++k) {
    const auto& w = work[k];
    if (!w.admitted) continue;
    Item it;
    it.socket = k;
    it.id = in.index.sockets[k].id;
    it.min = w.min;
    it.max = w.max;
    it.own = w.probing ? Reason::Probing : w.own;
    it.reason = it.own;
    items.push_back(it);
    const std::size_t i = items.size() - 1;
    for (int j = 0; j < w.load_count; ++j) join(items, groups, i, w.loads[static_cast<std::size_t>(j)], 1.0);
    join(items, groups, i, kPhaseCount + in.index.sockets[k].station, 1.0);
    if (w.surplus_member) join(items, groups, i, surplus_group, w.load_count * in.volts);
    if (flexible) join(items, groups, i, flex_group, w.load_count * in.volts);
    const auto& ref = in.index.sockets[k];
    for (std::size_t d = 0; d < ref.circuit_count && !cap.circuits.empty(); ++d) {
      const auto& cg = circuit_group[ref.circuits[d]];
      for (int j = 0; j < w.load_count; ++j)
        if (const auto g = cg[w.loads[static_cast<std::size_t>(j)]]; g != kNoGroup) join(items, groups, i, g, 1.0);
      if (cg[kPhaseCount] != kNoGroup) join(items, groups, i, cg[kPhaseCount], w.load_count * in.volts);
    }
  }
  water_fill(items, groups);
  auto whole = whole_amperes(items, groups);
  // A socket keeps the ampere in force that the conservative non-EV estimate lacks by at most
  // kEdgeToleranceA (and half the safety margin) on a grid phase, while the grid meter's own newest
  // reading shows that phase within its limit (the margin included): a car's ramp tail read as
  // household for a moment, or a tenth of meter noise, does not cut it by one ampere to raise it
  // again later. Never beyond a station, circuit, surplus or power limit (no slack there); a lack
  // the grid shows, or a larger one, cuts at once (design.md §2.1, §2.3; as at_the_edge in admit).
  const double edge = std::min(kEdgeToleranceA, site.safety_margin_a / 2);
  if (edge > 0 && in.snap.grid.valid && in.snap.grid.measured) {
    std::vector<double> slack(groups.size(), 0.0);
    for (std::size_t p = 0; p < kPhaseCount; ++p)
      if ((*in.snap.grid.measured)[p].value() <= phases[p].limit.value() + kEps) slack[p] = edge;
    std::vector<int> previous(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) previous[i] = sessions[items[i].socket].setpoint_a;
    keep_previous(items, groups, slack, previous, whole);
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& w = work[items[i].socket];
    w.value = whole[i];
    w.reason = items[i].reason;
    w.detail = items[i].detail;
    if (const auto t = items[i].taken_by; t != kNoItem) {
      // What this socket lacks went to another socket's minimum: name it and that minimum.
      const auto& other = items[t];
      w.reason = Reason::OtherMinimum;
      w.shared_bound = items[i].reason;
      w.shared_detail = items[i].detail ? *items[i].detail : std::string{};
      w.other_socket = other.id;
      w.other_minimum_a = floor_a(other.c);
      w.detail_text =
          in.index.sockets[other.socket].words + " at its " + std::to_string(w.other_minimum_a) + " A minimum";
      w.detail = &w.detail_text;
    }
    if (w.reason == Reason::PvSurplus && !surplus.pv_ok) {
      w.reason = Reason::PvStale;  // minpv held at its minimum
    } else if (w.reason == Reason::PvSurplus && w.value <= w.min) {
      // Held at the minimum of its mode, not following the surplus: minpv always; pv while its stop
      // delay runs (the time it stops is its until).
      w.reason = Reason::SurplusMinimum;
      const auto& ses = sessions[items[i].socket];
      if (w.mode == ChargeMode::Pv && ses.pv_condition_since)
        w.until = after(*ses.pv_condition_since, site.surplus.stop_delay_s);
    }
    if (w.probing) {
      w.reason = Reason::Probing;
      w.until = sessions[items[i].socket].probing_until;
    }
  }
}

}  // namespace emsgw::ems::allocator
