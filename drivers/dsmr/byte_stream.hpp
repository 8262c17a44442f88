#pragma once
// Byte sources for meters that talk by themselves (DSMR P1, TIC): a serial device (termios) or a
// TCP connection (P1 network dongles, ser2net). Nothing throws; the link reopens on the next read
// after a failure.

#include <span>
#include <string>

#include "drivers/meters/meter_reading.hpp"
#include "drivers/meters/meter_settings.hpp"
#include "ems/result.hpp"
#include "ems/time.hpp"

namespace emsgw::drivers {

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  /// Waits up to `timeout` for bytes; returns how many were read, 0 when none came in time.
  virtual Result<std::size_t, MeterError> read_some(std::span<char> buf, ems::Millis timeout) = 0;
  [[nodiscard]] virtual std::string endpoint() const = 0;
};

class TcpByteStream final : public ByteStream {
 public:
  TcpByteStream(std::string host, int port, ems::Millis connect_timeout = ems::Millis{2000})
      : host_(std::move(host)), port_(port), connect_timeout_(connect_timeout) {}
  ~TcpByteStream() override;
  TcpByteStream(const TcpByteStream&) = delete;
  TcpByteStream& operator=(const TcpByteStream&) = delete;
  Result<std::size_t, MeterError> read_some(std::span<char> buf, ems::Millis timeout) override;
  [[nodiscard]] std::string endpoint() const override { return host_ + ":" + std::to_string(port_); }
  void close();

 private:
  Result<void, MeterError> connect();
  std::string host_;
  int port_;
  ems::Millis connect_timeout_;
  int fd_ = -1;
};

/// A serial port in raw mode: baud, data bits (7/8), parity (N/E/O), stop bits (1/2) from the
/// settings (DSMR 4/5: 115200 8N1; DSMR 2.2/3: 9600 7E1; TIC: 1200 or 9600 7E1; protocols.md §1.1, §2).
class SerialByteStream final : public ByteStream {
 public:
  explicit SerialByteStream(SerialSettings settings) : settings_(std::move(settings)) {}
  ~SerialByteStream() override;
  SerialByteStream(const SerialByteStream&) = delete;
  SerialByteStream& operator=(const SerialByteStream&) = delete;
  Result<std::size_t, MeterError> read_some(std::span<char> buf, ems::Millis timeout) override;
  [[nodiscard]] std::string endpoint() const override;
  void close();

 private:
  Result<void, MeterError> open();
  SerialSettings settings_;
  int fd_ = -1;
};

}  // namespace emsgw::drivers
