#include "ems/phase.hpp"

#include <algorithm>

namespace emsgw::ems {

namespace {
struct NamedMapping {
  std::string_view name;
  PhaseMapping mapping;
  int code;
};
constexpr std::array<NamedMapping, 9> kMappings{{
    {"L1", {1, {Phase::L1, Phase::L2, Phase::L3}}, 1},
    {"L2", {1, {Phase::L2, Phase::L3, Phase::L1}}, 2},
    {"L3", {1, {Phase::L3, Phase::L1, Phase::L2}}, 3},
    {"L1L2L3", {3, {Phase::L1, Phase::L2, Phase::L3}}, 4},
    {"L1L3L2", {3, {Phase::L1, Phase::L3, Phase::L2}}, 5},
    {"L2L1L3", {3, {Phase::L2, Phase::L1, Phase::L3}}, 6},
    {"L2L3L1", {3, {Phase::L2, Phase::L3, Phase::L1}}, 7},
    {"L3L1L2", {3, {Phase::L3, Phase::L1, Phase::L2}}, 8},
    {"L3L2L1", {3, {Phase::L3, Phase::L2, Phase::L1}}, 9},
}};

const NamedMapping* find(const PhaseMapping& m) {
  for (const auto& n : kMappings) {
    if (n.mapping.count != m.count) continue;
    if (std::equal(n.mapping.grid.begin(), n.mapping.grid.begin() + m.count, m.grid.begin())) return &n;
  }
  return nullptr;
}
}  // namespace

std::string_view to_string(Phase p) {
  switch (p) {
    case Phase::L1: return "L1";
    case Phase::L2: return "L2";
    case Phase::L3: return "L3";
  }
  return "?";
}

int PhaseMapping::alfen_code() const {
  const auto* n = find(*this);
  return n ? n->code : 0;
}

std::optional<PhaseMapping> parse_phase_mapping(std::string_view text) {
  for (const auto& n : kMappings)
    if (n.name == text) return n.mapping;
  return std::nullopt;
}

std::string to_string(const PhaseMapping& m) {
  const auto* n = find(m);
  return n ? std::string(n->name) : std::string("?");
}

std::string_view phase_mapping_names() {
  return "L1, L2, L3, L1L2L3, L1L3L2, L2L1L3, L2L3L1, L3L1L2, L3L2L1";
}

PhaseMapping recommended_mapping(std::size_t n, bool three_phase) {
  if (!three_phase) return kMappings[n % 3].mapping;
  static constexpr std::array<std::size_t, 3> kRotation{3, 7, 6};  // L1L2L3, L3L1L2, L2L3L1
  return kMappings[kRotation[n % 3]].mapping;
}

}  // namespace emsgw::ems
