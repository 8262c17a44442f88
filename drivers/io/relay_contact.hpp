#pragma once
// The grid operator's relay contact (§14a control box) read as a Modbus discrete input (FC2) of an
// I/O module over Modbus TCP. One read per call; the caller (a worker thread) paces it. A contact
// that cannot be read is an error, never a guess.

#include <string>

#include "drivers/modbus/modbus_transport.hpp"

namespace emsgw::drivers {

struct RelayContactSettings {
  int unit = 1;
  int discrete_input = 0;   ///< the input the contact is wired to
  bool active_low = false;  ///< true: the contact dims when the input reads 0 (open)
};

struct RelayContactReading {
  bool closed = false;  ///< the input as read (1: closed)
  bool dim = false;     ///< what it means: the operator asks to dim
};

class RelayContact {
 public:
  RelayContact(ModbusTransport& bus, RelayContactSettings settings) : bus_(bus), settings_(settings) {}

  /// Reads the input once. An error names the module, the input and what went wrong.
  [[nodiscard]] Result<RelayContactReading, std::string> read();

 private:
  ModbusTransport& bus_;
  RelayContactSettings settings_;
};

}  // namespace emsgw::drivers
