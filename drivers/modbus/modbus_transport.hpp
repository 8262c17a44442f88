#pragma once
// The Modbus seam (style.md "Seams"): every driver talks to a device through this interface.
// Production: LibmodbusTcpTransport / LibmodbusRtuTransport. Tests: scripted fakes, and the
// project's own simulators over loopback. Nothing here throws: errors are values.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ems/result.hpp"

namespace emsgw::drivers {

enum class ModbusErrorKind {
  Timeout,         ///< no reply within the response timeout
  Exception,       ///< the device answered with a Modbus exception (see exception_code)
  ConnectionLost,  ///< the link broke during the request
  NotConnected,    ///< no link (yet); the transport reconnects with backoff on its own
  BadReply,        ///< a reply that does not parse: short, wrong length, wrong unit/function, CRC
  InvalidRequest,  ///< the caller asked for something Modbus cannot carry (e.g. 126 registers)
};

/// Modbus exception codes (Modbus Application Protocol v1.1b3 §7).
inline constexpr int kIllegalFunction = 1;
inline constexpr int kIllegalDataAddress = 2;
inline constexpr int kIllegalDataValue = 3;
inline constexpr int kServerDeviceFailure = 4;
inline constexpr int kServerDeviceBusy = 6;
inline constexpr int kGatewayTargetFailed = 11;

struct ModbusError {
  ModbusErrorKind kind = ModbusErrorKind::Timeout;
  int exception_code = 0;  ///< valid when kind == Exception
  std::string message;

  /// Transient errors may go away on retry (timeouts, lost links, busy devices, garbled replies);
  /// permanent ones will not until someone changes the device or the configuration (illegal
  /// function, address or value; requests that cannot be encoded).
  [[nodiscard]] bool transient() const;
  [[nodiscard]] std::string describe() const;
};

template <class T>
using ModbusResult = Result<T, ModbusError>;

class ModbusTransport {
 public:
  virtual ~ModbusTransport() = default;
  /// FC3. At most 125 registers per request.
  virtual ModbusResult<std::vector<std::uint16_t>> read_holding(int unit, int address, int count) = 0;
  /// FC4. At most 125 registers per request.
  virtual ModbusResult<std::vector<std::uint16_t>> read_input(int unit, int address, int count) = 0;
  /// FC6.
  virtual ModbusResult<void> write_single(int unit, int address, std::uint16_t value) = 0;
  /// FC16: all registers in one request (Alfen requires this for multi-register values).
  virtual ModbusResult<void> write_multiple(int unit, int address, std::span<const std::uint16_t> values) = 0;
  /// FC1.
  virtual ModbusResult<std::vector<bool>> read_coils(int unit, int address, int count) = 0;
  /// FC5.
  virtual ModbusResult<void> write_coil(int unit, int address, bool value) = 0;
  /// FC2 (an I/O module's inputs). Transports that do not carry it answer InvalidRequest.
  virtual ModbusResult<std::vector<bool>> read_discrete_inputs(int unit, int address, int count) {
    (void)unit;
    (void)address;
    (void)count;
    return Unexpected(
        ModbusError{ModbusErrorKind::InvalidRequest, 0, "discrete inputs (FC2) not supported by " + endpoint()});
  }
  /// A human-readable endpoint ("192.0.2.10:502", "/dev/ttyUSB0@9600 8E1") for messages.
  [[nodiscard]] virtual std::string endpoint() const = 0;
};

}  // namespace emsgw::drivers
