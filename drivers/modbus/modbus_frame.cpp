#include "drivers/modbus/modbus_frame.hpp"

namespace emsgw::drivers {

std::uint16_t modbus_crc16(std::span<const std::uint8_t> bytes) {
  std::uint16_t crc = 0xFFFF;
  for (const auto b : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ b);
    for (int i = 0; i < 8; ++i)
      crc = (crc & 1U) != 0 ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001U) : static_cast<std::uint16_t>(crc >> 1);
  }
  return crc;
}

std::vector<std::uint8_t> frame_adu(ModbusFraming framing, std::uint16_t transaction, int unit,
                                    std::span<const std::uint8_t> pdu) {
  std::vector<std::uint8_t> out;
  if (framing == ModbusFraming::Mbap) {
    const auto len = static_cast<std::uint16_t>(pdu.size() + 1);
    out = {static_cast<std::uint8_t>(transaction >> 8),
           static_cast<std::uint8_t>(transaction & 0xFF),
           0,
           0,
           static_cast<std::uint8_t>(len >> 8),
           static_cast<std::uint8_t>(len & 0xFF),
           static_cast<std::uint8_t>(unit)};
    out.insert(out.end(), pdu.begin(), pdu.end());
    return out;
  }
  out.push_back(static_cast<std::uint8_t>(unit));
  out.insert(out.end(), pdu.begin(), pdu.end());
  const auto crc = modbus_crc16(out);
  out.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  out.push_back(static_cast<std::uint8_t>(crc >> 8));
  return out;
}

std::optional<std::size_t> adu_length(ModbusFraming framing, std::span<const std::uint8_t> b, bool reply) {
  if (framing == ModbusFraming::Mbap) {
    if (b.size() < 6) return std::nullopt;
    return 6U + ((static_cast<std::size_t>(b[4]) << 8) | b[5]);
  }
  // RTU: unit, function, …, CRC(2). The length follows from the function code.
  if (b.size() < 2) return std::nullopt;
  const std::uint8_t fc = b[1];
  if (reply) {
    if ((fc & 0x80U) != 0) return 5;  // unit, fc|0x80, exception code, CRC
    switch (fc) {
      case 1:
      case 2:
      case 3:
      case 4:
        if (b.size() < 3) return std::nullopt;
        return 5U + b[2];  // unit, fc, byte count, data, CRC
      case 5:
      case 6:
      case 15:
      case 16: return 8;  // unit, fc, address, value/count, CRC
      default: return 5;  // unknown: read the shortest frame and let the CRC decide
    }
  }
  switch (fc) {
    case 15:
    case 16:
      if (b.size() < 7) return std::nullopt;
      return 9U + b[6];  // unit, fc, address, count, byte count, data, CRC
    default: return 8;   // unit, fc, address, count/value, CRC
  }
}

std::optional<ParsedAdu> parse_adu(ModbusFraming framing, std::span<const std::uint8_t> adu) {
  ParsedAdu p;
  if (framing == ModbusFraming::Mbap) {
    if (adu.size() < 8 || adu[2] != 0 || adu[3] != 0) return std::nullopt;
    if (((static_cast<std::size_t>(adu[4]) << 8) | adu[5]) != adu.size() - 6) return std::nullopt;
    p.transaction = static_cast<std::uint16_t>((adu[0] << 8) | adu[1]);
    p.unit = adu[6];
    p.pdu.assign(adu.begin() + 7, adu.end());
    return p;
  }
  if (adu.size() < 4) return std::nullopt;
  const auto crc = modbus_crc16(adu.first(adu.size() - 2));
  if (adu[adu.size() - 2] != (crc & 0xFF) || adu[adu.size() - 1] != (crc >> 8)) return std::nullopt;
  p.unit = adu[0];
  p.pdu.assign(adu.begin() + 1, adu.end() - 2);
  return p;
}

}  // namespace emsgw::drivers
