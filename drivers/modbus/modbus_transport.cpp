#include "drivers/modbus/modbus_transport.hpp"

namespace emsgw::drivers {

bool ModbusError::transient() const {
  switch (kind) {
    case ModbusErrorKind::Timeout:
    case ModbusErrorKind::ConnectionLost:
    case ModbusErrorKind::NotConnected:
    case ModbusErrorKind::BadReply: return true;
    case ModbusErrorKind::InvalidRequest: return false;
    case ModbusErrorKind::Exception:
      return exception_code == kServerDeviceFailure || exception_code == kServerDeviceBusy ||
             exception_code == 5 /* acknowledge */ || exception_code == kGatewayTargetFailed ||
             exception_code == 10 /* gateway path unavailable */;
  }
  return false;
}

std::string ModbusError::describe() const {
  std::string what;
  switch (kind) {
    case ModbusErrorKind::Timeout: what = "timeout"; break;
    case ModbusErrorKind::ConnectionLost: what = "connection lost"; break;
    case ModbusErrorKind::NotConnected: what = "not connected"; break;
    case ModbusErrorKind::BadReply: what = "bad reply"; break;
    case ModbusErrorKind::InvalidRequest: what = "invalid request"; break;
    case ModbusErrorKind::Exception: {
      static constexpr const char* kNames[] = {"",
                                               "illegal function",
                                               "illegal data address",
                                               "illegal data value",
                                               "server device failure",
                                               "acknowledge",
                                               "server device busy",
                                               "",
                                               "memory parity error",
                                               "",
                                               "gateway path unavailable",
                                               "gateway target failed to respond"};
      const bool known = exception_code > 0 && exception_code <= 11 && kNames[exception_code][0] != '\0';
      what = "Modbus exception " + std::to_string(exception_code) +
             (known ? std::string(" (") + kNames[exception_code] + ")" : "");
      break;
    }
  }
  return message.empty() ? what : what + ": " + message;
}

}  // namespace emsgw::drivers
