#include "ems/grid_operator.hpp"

#include <algorithm>
#include <cmath>

#include "ems/bound_words.hpp"

namespace emsgw::ems {

namespace {
double seconds_between(WallTime a, WallTime b) {
  return std::chrono::duration<double>(b - a).count();
}
}  // namespace

double simultaneity_factor(int devices) {
  // BK6-22-300 Anlage 1: GZF by the number of controllable devices behind one EMS.
  static constexpr double kGzf[] = {1.0, 1.0, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5};
  if (devices <= 1) return 1.0;
  if (devices >= 9) return 0.45;
  return kGzf[devices];
}

double dimming_floor_w(int devices) {
  if (devices <= 0) return 0;
  return kDimmingFloorPerDeviceW + (devices - 1) * simultaneity_factor(devices) * kDimmingFloorPerDeviceW;
}

const char* to_string(DimmingState s) {
  switch (s) {
    case DimmingState::Unlimited: return "unlimited";
    case DimmingState::Limited: return "limited";
    case DimmingState::Failsafe: return "failsafe";
  }
  return "unlimited";
}

double GridOperator::at_least_floor(double w) const {
  return std::max(w, floor_w());
}

void GridOperator::relay(WallTime, bool dim) {
  relay_dim_ = dim;
}

bool GridOperator::command(WallTime t, std::optional<double> limit_w, double duration_s, std::string* why) {
  if (limit_w && (!std::isfinite(*limit_w) || *limit_w < 0)) {
    if (why) *why = "the limit must be a number of watts ≥ 0";
    return false;
  }
  if (!std::isfinite(duration_s) || duration_s < 0) {
    if (why) *why = "the duration must be a number of seconds ≥ 0";
    return false;
  }
  heartbeat(t);
  api_limit_w_ = limit_w;
  api_until_ = limit_w && duration_s > 0 ? std::optional<WallTime>(t + std::chrono::duration_cast<WallTime::duration>(
                                                                           std::chrono::duration<double>(duration_s)))
                                         : std::nullopt;
  command_since_failsafe_ = true;
  return true;
}

void GridOperator::heartbeat(WallTime t) {
  if (!last_heartbeat_ || t > *last_heartbeat_) last_heartbeat_ = t;
}

void GridOperator::transition(WallTime t, DimmingState s, std::optional<double> w, std::string source,
                              std::string text) {
  if (current_.state == s && current_.limit_w == w && current_.source == source) return;
  events_.push_back({t, s, w, source, std::move(text)});
  current_.state = s;
  current_.limit_w = w;
  current_.source = std::move(source);
}

DimmingLimit GridOperator::update(WallTime now) {
  if (api_until_ && now >= *api_until_) {
    api_limit_w_.reset();
    api_until_.reset();
  }
  // Failsafe: the gateway went quiet. Entered after failsafe_after_s; left when a command arrives
  // (and the heartbeat is back) or, with the heartbeat back, after the failsafe duration.
  const bool quiet = last_heartbeat_ && seconds_between(*last_heartbeat_, now) > settings_.failsafe_after_s;
  if (quiet && !failsafe_since_) {
    failsafe_since_ = now;
    command_since_failsafe_ = false;
  } else if (failsafe_since_ && !quiet) {
    const bool served = seconds_between(*failsafe_since_, now) >= settings_.failsafe_duration_s;
    if (command_since_failsafe_ || served) failsafe_since_.reset();
  }

  std::optional<double> limit;
  std::string source;
  DimmingState state = DimmingState::Unlimited;
  if (failsafe_since_) {
    state = DimmingState::Failsafe;
    source = "failsafe";
    limit = at_least_floor(settings_.failsafe_limit_w);
  } else {
    if (api_limit_w_) {
      state = DimmingState::Limited;
      source = "api";
      limit = at_least_floor(*api_limit_w_);
    }
    if (relay_dim_) {
      const double r = at_least_floor(settings_.relay_limit_w);
      if (!limit || r < *limit) {
        limit = r;
        source = "relay";
      }
      state = DimmingState::Limited;
    }
  }
  std::string text;
  if (state == DimmingState::Unlimited)
    text = "grid operator dimming ended";
  else if (state == DimmingState::Failsafe)
    text = "grid operator gateway silent for more than " +
           std::to_string(static_cast<int>(settings_.failsafe_after_s)) + " s: failsafe limit " + kilowatts(*limit);
  else
    text = dimming_words(*limit) + " (" + source + ")";
  transition(now, state, limit, source, text);
  current_.until = state == DimmingState::Limited && source == "api" ? api_until_ : std::nullopt;
  return current_;
}

std::vector<DimmingEvent> GridOperator::take_events() {
  std::vector<DimmingEvent> out;
  out.swap(events_);
  return out;
}

}  // namespace emsgw::ems
