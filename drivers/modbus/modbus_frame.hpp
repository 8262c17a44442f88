#pragma once
// Modbus framing done by emsgw itself, for links libmodbus does not offer: RTU frames over a TCP
// socket (the RS-485-to-Ethernet converters installers use in "transparent" mode), and Modbus TCP
// (MBAP) where every reply must be checked for its unit id. Modbus Application Protocol v1.1b3 §6
// (PDUs), Modbus over Serial Line v1.02 §2.5.1.2 (RTU frame, CRC-16 poly 0xA001 init 0xFFFF, low
// byte first), Modbus Messaging on TCP/IP v1.0b §3.1.3 (MBAP header).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace emsgw::drivers {

enum class ModbusFraming : std::uint8_t {
  Mbap,  ///< Modbus TCP: transaction id, protocol 0, length, unit; no CRC
  Rtu,   ///< Modbus RTU: unit, PDU, CRC-16 (over TCP: "RTU over TCP")
};

/// CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF); sent low byte first.
[[nodiscard]] std::uint16_t modbus_crc16(std::span<const std::uint8_t> bytes);

/// An ADU: the framing around unit + PDU (function code and data).
[[nodiscard]] std::vector<std::uint8_t> frame_adu(ModbusFraming framing, std::uint16_t transaction, int unit,
                                                  std::span<const std::uint8_t> pdu);

/// Length of the complete ADU that starts `bytes`, once enough of it has arrived to tell (nullopt:
/// need more bytes). `reply`: a server's answer (its length follows from the function code) or a
/// client's request.
[[nodiscard]] std::optional<std::size_t> adu_length(ModbusFraming framing, std::span<const std::uint8_t> bytes,
                                                    bool reply);

struct ParsedAdu {
  std::uint16_t transaction = 0;  ///< MBAP only
  int unit = 0;
  std::vector<std::uint8_t> pdu;  ///< function code and data
};
/// Checks an ADU of exactly adu_length bytes: CRC (RTU) or protocol id and length (MBAP).
[[nodiscard]] std::optional<ParsedAdu> parse_adu(ModbusFraming framing, std::span<const std::uint8_t> adu);

}  // namespace emsgw::drivers
