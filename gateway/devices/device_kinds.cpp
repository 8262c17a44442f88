#include "gateway/devices/device_kinds.hpp"

#include <algorithm>
#include <mutex>

namespace emsgw::gateway {

namespace {

template <class Traits>
struct Registry {
  std::mutex mutex;
  std::vector<Traits> kinds;
};

Registry<MeterKindTraits>& meter_registry() {
  static Registry<MeterKindTraits> r{{}, builtin_meter_kinds()};
  return r;
}

Registry<ChargerKindTraits>& charger_registry() {
  static Registry<ChargerKindTraits> r{{}, builtin_charger_kinds()};
  return r;
}

template <class Traits>
void add(Registry<Traits>& r, Traits kind) {
  std::lock_guard lock(r.mutex);
  const auto it = std::find_if(r.kinds.begin(), r.kinds.end(), [&](const Traits& k) { return k.name == kind.name; });
  if (it != r.kinds.end())
    *it = std::move(kind);
  else
    r.kinds.push_back(std::move(kind));
}

template <class Traits>
const Traits* find(const std::vector<Traits>& kinds, std::string_view name) {
  for (const auto& k : kinds)
    if (k.name == name) return &k;
  return nullptr;
}

template <class Traits>
std::string names(const std::vector<Traits>& kinds) {
  std::string out;
  for (const auto& k : kinds) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

}  // namespace

const std::vector<MeterKindTraits>& meter_kinds() {
  return meter_registry().kinds;
}

const MeterKindTraits* find_meter_kind(std::string_view name) {
  return find(meter_kinds(), name);
}

std::string meter_kind_names() {
  return names(meter_kinds());
}

void register_meter_kind(MeterKindTraits kind) {
  add(meter_registry(), std::move(kind));
}

void apply_meter_kind_defaults(const MeterKindTraits& kind, drivers::MeterSettings& m) {
  if (kind.link == MeterLink::Serial) m.serial = kind.default_serial;
  if (kind.link == MeterLink::Tcp) m.port = kind.default_port;
}

std::string meter_address(const drivers::MeterSettings& m) {
  const auto* kind = find_meter_kind(m.kind);
  if (kind == nullptr) return "?";
  std::string out;
  if (kind->link == MeterLink::Tcp)
    out = m.host + ":" + std::to_string(m.port);
  else
    out = m.serial.device + " " + std::to_string(m.serial.baud) + " " + std::to_string(m.serial.data_bits) +
          m.serial.parity + std::to_string(m.serial.stop_bits);
  if (kind->unit_range) out += " unit " + std::to_string(m.unit);
  if (kind->uses_preset) out += ", preset " + m.preset;
  return out;
}

const std::vector<ChargerKindTraits>& charger_kinds() {
  return charger_registry().kinds;
}

const ChargerKindTraits* find_charger_kind(std::string_view name) {
  return find(charger_kinds(), name);
}

std::string charger_kind_names() {
  return names(charger_kinds());
}

void register_charger_kind(ChargerKindTraits kind) {
  add(charger_registry(), std::move(kind));
}

}  // namespace emsgw::gateway
