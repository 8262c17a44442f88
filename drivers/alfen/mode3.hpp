#pragma once
// IEC 61851 Mode 3 states as the station reports them in 1201–1205 (alfen-modbus.md §3.3).

#include <optional>
#include <string_view>

namespace emsgw::drivers::alfen {

enum class Mode3State { A, B1, B2, C1, C2, D1, D2, E, F };

/// "A", "B1" … "F"; nullopt for anything else (an unknown string is a rejected reading).
[[nodiscard]] std::optional<Mode3State> parse_mode3(std::string_view s);
[[nodiscard]] std::string_view to_string(Mode3State s);
/// The state in words for people (probe-station, dashboard), after §3.3.
[[nodiscard]] std::string_view describe(Mode3State s);
/// An EV is plugged in (every state but A, E and F; §3.3 [HA-TS]).
[[nodiscard]] bool vehicle_connected(Mode3State s);
/// The EV is drawing current (C2, D2).
[[nodiscard]] bool charging(Mode3State s);

}  // namespace emsgw::drivers::alfen
