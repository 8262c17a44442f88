#pragma once
// Phases and the station → grid phase mapping of a socket (alfen-smart-charging.md §2
// "Phase wiring of the feeder": 1 = L1 … 9 = L3L2L1; alfen-modbus.md §1 "Phase naming").

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace emsgw::ems {

enum class Phase : std::uint8_t { L1 = 0, L2 = 1, L3 = 2 };
inline constexpr std::size_t kPhaseCount = 3;

[[nodiscard]] constexpr std::size_t index(Phase p) {
  return static_cast<std::size_t>(p);
}
[[nodiscard]] std::string_view to_string(Phase p);

/// How a socket's station phases land on the grid's phases. `grid[i]` is the grid phase that
/// station phase L(i+1) is wired to; only the first `count` entries are used. A single-phase socket
/// has count 1; a three-phase socket has count 3 and a permutation of L1, L2, L3.
struct PhaseMapping {
  std::uint8_t count = 3;
  std::array<Phase, kPhaseCount> grid{Phase::L1, Phase::L2, Phase::L3};

  /// The grid phase a single-phase EV on this socket loads (the socket's first phase, guide §3.6).
  [[nodiscard]] Phase first() const { return grid[0]; }
  /// The Alfen SCN-PhaseMapping code (1..9), guide §2.
  [[nodiscard]] int alfen_code() const;
  friend bool operator==(const PhaseMapping&, const PhaseMapping&) = default;
};

/// Parses "L1", "L2", "L3", "L1L2L3", "L1L3L2", "L2L1L3", "L2L3L1", "L3L1L2", "L3L2L1".
[[nodiscard]] std::optional<PhaseMapping> parse_phase_mapping(std::string_view text);
[[nodiscard]] std::string to_string(const PhaseMapping& m);
/// The accepted spellings, for messages and pickers.
[[nodiscard]] std::string_view phase_mapping_names();

/// The guide's recommended rotation for the n-th socket (0-based) of a site (guide §3.7):
/// single-phase sockets L1, L2, L3, L1…; three-phase sockets L1L2L3, L3L1L2, L2L3L1, repeat.
[[nodiscard]] PhaseMapping recommended_mapping(std::size_t n, bool three_phase);

}  // namespace emsgw::ems
