#pragma once
// ModbusTransport over a TCP socket with emsgw's own framing (drivers/modbus/modbus_frame.hpp):
// RTU over TCP (transparent RS-485-to-Ethernet converters: RTU frames with CRC inside a TCP
// stream), or Modbus TCP (MBAP). Every reply is checked for its CRC or transaction id, its
// function code and its unit id: a reply from another unit (two meters on one RS-485 bus, a
// converter that answers for a unit it was not asked) is refused as BadReply.
//
//   SocketModbusTransport t({.host = "192.0.2.40", .port = 502}, ModbusFraming::Rtu);
//   auto regs = t.read_input(/*unit=*/2, 0x0006, 6);
//
// Contract as LibmodbusTransport: one connection, one request at a time (internal mutex), opened
// lazily; failed connects back off exponentially (timing.initial_backoff_ms … max_backoff_ms);
// after a timeout or a bad reply the input is drained so that a late reply is not taken for the
// next one; a link broken by the peer is reopened once for the same (idempotent) request.

#include <cstdint>
#include <mutex>
#include <vector>

#include "drivers/modbus/libmodbus_transport.hpp"
#include "drivers/modbus/modbus_frame.hpp"

namespace emsgw::drivers {

class SocketModbusTransport final : public ModbusTransport {
 public:
  /// `clock` may be nullptr (steady clock); it must outlive the transport.
  SocketModbusTransport(TcpLink link, ModbusFraming framing, const ems::Clock* clock = nullptr);
  ~SocketModbusTransport() override;
  SocketModbusTransport(const SocketModbusTransport&) = delete;
  SocketModbusTransport& operator=(const SocketModbusTransport&) = delete;

  ModbusResult<std::vector<std::uint16_t>> read_holding(int unit, int address, int count) override;
  ModbusResult<std::vector<std::uint16_t>> read_input(int unit, int address, int count) override;
  ModbusResult<void> write_single(int unit, int address, std::uint16_t value) override;
  ModbusResult<void> write_multiple(int unit, int address, std::span<const std::uint16_t> values) override;
  ModbusResult<std::vector<bool>> read_coils(int unit, int address, int count) override;
  ModbusResult<void> write_coil(int unit, int address, bool value) override;
  ModbusResult<std::vector<bool>> read_discrete_inputs(int unit, int address, int count) override;
  [[nodiscard]] std::string endpoint() const override;
  [[nodiscard]] TransportStats stats() const;

 private:
  /// FC1 or FC2: `count` bits from `address`.
  ModbusResult<std::vector<bool>> read_bits(std::uint8_t function, int unit, int address, int count);
  /// Sends one request PDU and returns the reply PDU (function code and data), checked.
  ModbusResult<std::vector<std::uint8_t>> transact(int unit, std::vector<std::uint8_t> pdu);
  ModbusResult<std::vector<std::uint8_t>> transact_once_locked(int unit, const std::vector<std::uint8_t>& pdu);
  ModbusResult<void> connect_locked();
  void close_locked();
  void drain_locked();

  TcpLink link_;
  ModbusFraming framing_;
  const ems::Clock* clock_;
  mutable std::mutex mu_;
  int fd_ = -1;
  std::uint16_t transaction_ = 0;
  int backoff_ms_ = 0;
  ems::MonoTime next_attempt_{};
  TransportStats stats_{};
};

}  // namespace emsgw::drivers
