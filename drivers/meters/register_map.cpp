#include "drivers/meters/register_map.hpp"

#include <algorithm>

namespace emsgw::drivers {

std::vector<ReadBlock> plan_reads(std::span<const MapEntry> entries, ReadLimits limits) {
  struct Span {
    int function;
    int address;
    int end;  // exclusive
  };
  std::vector<Span> spans;
  spans.reserve(entries.size());
  for (const auto& e : entries)
    spans.push_back({e.reg.function, e.reg.address, e.reg.address + register_count(e.reg.type)});
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.function != b.function ? a.function < b.function : a.address < b.address;
  });
  std::vector<ReadBlock> out;
  for (const auto& s : spans) {
    if (!out.empty()) {
      auto& b = out.back();
      const int end = b.address + b.count;
      const int new_end = std::max(end, s.end);
      if (b.function == s.function && s.address <= end + limits.max_gap &&
          new_end - b.address <= limits.max_registers) {
        b.count = new_end - b.address;
        continue;
      }
    }
    out.push_back({s.function, s.address, s.end - s.address});
  }
  return out;
}

MeterReading decode_map(std::span<const MapEntry> entries, std::span<const ReadBlock> blocks,
                        std::span<const std::vector<std::uint16_t>> data) {
  MeterReading r;
  for (const auto& e : entries) {
    const int n = register_count(e.reg.type);
    Measurement m;
    for (std::size_t i = 0; i < blocks.size() && i < data.size(); ++i) {
      if (!blocks[i].contains(e.reg.function, e.reg.address, n)) continue;
      const auto off = static_cast<std::size_t>(e.reg.address - blocks[i].address);
      if (off + static_cast<std::size_t>(n) > data[i].size()) break;
      const std::span<const std::uint16_t> regs(data[i].data() + off, static_cast<std::size_t>(n));
      double v = decode(regs, e.reg.type, e.reg.order) * e.reg.scale;
      if (e.quantity == Quantity::EnergyImport || e.quantity == Quantity::EnergyExport) v *= 1000.0;  // kWh → Wh
      m = checked(e.quantity, v);
      break;
    }
    set_quantity(r, e.quantity, m);
  }
  return r;
}

std::vector<MapEntry> custom_map(const std::map<Quantity, RegisterSpec>& custom) {
  std::vector<MapEntry> out;
  out.reserve(custom.size());
  for (const auto& [q, spec] : custom) out.push_back({q, spec});
  return out;
}

}  // namespace emsgw::drivers
