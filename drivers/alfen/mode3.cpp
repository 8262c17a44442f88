#include "drivers/alfen/mode3.hpp"

#include <array>
#include <utility>

namespace emsgw::drivers::alfen {

namespace {
constexpr std::array<std::pair<std::string_view, Mode3State>, 9> kNames{{{"A", Mode3State::A},
                                                                         {"B1", Mode3State::B1},
                                                                         {"B2", Mode3State::B2},
                                                                         {"C1", Mode3State::C1},
                                                                         {"C2", Mode3State::C2},
                                                                         {"D1", Mode3State::D1},
                                                                         {"D2", Mode3State::D2},
                                                                         {"E", Mode3State::E},
                                                                         {"F", Mode3State::F}}};
}  // namespace

std::optional<Mode3State> parse_mode3(std::string_view s) {
  for (const auto& [n, v] : kNames)
    if (n == s) return v;
  return std::nullopt;
}

std::string_view to_string(Mode3State s) {
  for (const auto& [n, v] : kNames)
    if (v == s) return n;
  return "?";
}

std::string_view describe(Mode3State s) {
  switch (s) {
    case Mode3State::A: return "no vehicle connected";
    case Mode3State::B1: return "vehicle connected, no current offered (paused or set-point 0)";
    case Mode3State::B2: return "vehicle connected, current offered, vehicle not requesting";
    case Mode3State::C1: return "vehicle wants to charge, no current offered (pause or transition)";
    case Mode3State::C2: return "charging";
    case Mode3State::D1: return "vehicle wants to charge (ventilation), no current offered";
    case Mode3State::D2: return "charging (ventilation requested)";
    case Mode3State::E: return "error: control pilot shorted or no supply";
    case Mode3State::F: return "error state F";
  }
  return "?";
}

bool vehicle_connected(Mode3State s) {
  return s != Mode3State::A && s != Mode3State::E && s != Mode3State::F;
}
bool charging(Mode3State s) {
  return s == Mode3State::C2 || s == Mode3State::D2;
}

}  // namespace emsgw::drivers::alfen
