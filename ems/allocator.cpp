#include "ems/allocator.hpp"

#include <stdexcept>
#include <string>
#include <utility>

#include "ems/allocator/admission.hpp"
#include "ems/allocator/bounds.hpp"
#include "ems/allocator/fail_safe.hpp"
#include "ems/allocator/grid_meter.hpp"
#include "ems/allocator/heat_pump.hpp"
#include "ems/allocator/phase_budget.hpp"
#include "ems/allocator/ramping.hpp"
#include "ems/allocator/scn.hpp"
#include "ems/allocator/sessions.hpp"
#include "ems/allocator/step_context.hpp"
#include "ems/allocator/surplus.hpp"
#include "ems/allocator/water_filling.hpp"

namespace emsgw::ems {

Allocator::Allocator(const SiteConfig& site) : site_(site) {
  const auto issues = validate(site_);
  if (!issues.empty()) {
    std::string msg = "invalid site configuration:";
    for (const auto& i : issues) msg += " " + i.key + " = " + i.value + ": " + i.rule + ";";
    throw std::invalid_argument(msg);
  }
  index_config();
}

void Allocator::index_config() {
  index_ = allocator::index_sockets(site_);
  state_.sessions.assign(index_.sockets.size(), allocator::Session{});
}

std::vector<ConfigIssue> Allocator::update_config(const SiteConfig& site) {
  auto issues = validate(site);
  if (!issues.empty()) return issues;
  std::vector<std::pair<int, allocator::Session>> kept;
  for (std::size_t k = 0; k < index_.sockets.size(); ++k) kept.emplace_back(index_.sockets[k].id, state_.sessions[k]);
  site_ = site;
  index_config();
  for (auto& [id, session] : kept) {
    const int k = index_.find(id);
    if (k < 0) continue;
    auto& s = state_.sessions[static_cast<std::size_t>(k)];
    s = session;
    s.rotation = allocator::Rotation::None;
    if (!index_.sockets[static_cast<std::size_t>(k)].phase_switching) {
      s.switch_stage = allocator::SwitchStage::None;
      s.phases_set = 3;
    }
  }
  state_.rotation_until.reset();
  return {};
}

Allocation Allocator::step(const SiteSnapshot& snap) {
  using namespace allocator;
  const StepInputs in = step_inputs(site_, index_, snap);
  Allocation out;
  out.at = in.now;
  out.control = site_.control;

  const bool grid_ok = check_grid_meter(in, out);
  if (site_.control == ControlMode::Scn) {
    scn_budget(in, grid_ok, out);
    return out;
  }
  auto work = track_sessions(in, state_.sessions, out);
  if (snap.suspended || !grid_ok) {
    override_all(in, work, state_, out);
    return out;
  }
  const Capacity cap = phase_budget(in, state_.sessions, work, out);
  const Surplus surplus = measure_surplus(in, work, state_.sessions, state_.heatpump.state, out);
  socket_bounds(in, surplus, state_.sessions, work);
  admit(in, cap, out.phases, state_.sessions, state_.rotation_until, work);
  share(in, cap, out.phases, surplus, state_.sessions, work);
  auto allocs = ramp(in, work, state_.sessions);
  add_phase_use(work, allocs, out);
  const auto hp = heat_pump(in, surplus, work, allocs, state_.heatpump);
  out.heatpump = hp.state;
  if (hp.held_by != nullptr) out.heatpump_held_by = *hp.held_by;
  out.sockets = std::move(allocs);
  return out;
}

}  // namespace emsgw::ems
