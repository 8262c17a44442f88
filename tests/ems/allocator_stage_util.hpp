#pragma once
// Builders for calling one allocator stage directly: a site with its socket index, a snapshot and
// the sessions, from which StepInputs are made; SocketWork records for the later stages.

#include <utility>
#include <vector>

#include "ems/allocator/state.hpp"
#include "ems/allocator/step_context.hpp"
#include "tests/ems/allocator_test_util.hpp"

namespace emsgw::ems::test {

struct StageSite {
  SiteConfig site;
  allocator::SocketIndex index;
  SiteSnapshot snap;
  std::vector<allocator::Session> sessions;

  StageSite(SiteConfig s, SiteSnapshot sn)
      : site(std::move(s)),
        index(allocator::index_sockets(site)),
        snap(std::move(sn)),
        sessions(index.sockets.size()) {}

  [[nodiscard]] allocator::StepInputs inputs() const { return allocator::step_inputs(site, index, snap); }
};

/// A fresh, known, occupied candidate with [min, max] loading the given grid phases (0-based).
inline allocator::SocketWork candidate(double min, double max, std::vector<std::size_t> phases, bool surplus = false) {
  allocator::SocketWork w;
  w.fresh = true;
  w.known = true;
  w.occupied = true;
  w.candidate = true;
  w.min = w.probing_fallback_min = min;
  w.max = w.normal_max = max;
  w.load_count = static_cast<int>(phases.size());
  for (std::size_t i = 0; i < phases.size(); ++i) w.loads[i] = phases[i];
  w.surplus_member = surplus;
  return w;
}

}  // namespace emsgw::ems::test
