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
// Contract as LibmodbusTransport: one connection, one thread at a time (internal mutex), opened
// lazily; failed connects back off exponentially (timing.initial_backoff_ms … max_backoff_ms);
// after a timeout or a bad reply the input is drained so that a late reply is not taken for the
// next one; a link broken by the peer is reopened once for the same (idempotent) request.
//
// Urgent requests while a reply is awaited (Modbus TCP only): Modbus Messaging on TCP/IP v1.0b
// §4.2 lets a client send a request before the previous one is answered, each with its own
// transaction id. A caller that installs an urgent hook (set_urgent) and then calls wake() from
// another thread has the hook run on the requesting thread as soon as wake() is seen, even while a
// read waits for its reply; requests the hook makes go on the wire at once. Never while a write
// waits: its confirmation by read-back must not see a later write to the same register. Replies are matched
// by transaction id, in whatever order they come; a server that answers in order is waited for
// (the urgent request's deadline runs from the outer one's). A server that never answers the
// urgent request has it time out: the connection is closed (the two replies can no longer be told
// apart) and urgent requests are no longer sent while another is outstanding (stats().pipelined_timeouts).
//
//   transport.set_urgent([&] { write_cuts(); });   // on the thread that makes the requests
//   auto r = transport.read_holding(1, 300, 78);    // a slow station: write_cuts may run meanwhile
//   transport.set_urgent({});
//   // on another thread: transport.wake();

#include <cstdint>
#include <functional>
#include <map>
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

  /// The hook run when wake() is seen while a request waits for its reply (nothing: never). Call it
  /// on the thread that makes the requests. The hook is not run inside its own requests.
  void set_urgent(std::function<void()> hook);
  /// Runs the urgent hook as soon as the requesting thread sees it (at once when it waits for a
  /// reply; at its next wait otherwise). Thread-safe, never blocks.
  void wake();
  /// false: urgent requests wait for the outstanding reply (a server that must not see two at once).
  void set_pipelining(bool allowed);
  /// Whether the hook may send while another request is outstanding (Modbus TCP, allowed, and not
  /// switched off by a server that let an urgent request time out).
  [[nodiscard]] bool pipelining() const;

 private:
  /// FC1 or FC2: `count` bits from `address`.
  ModbusResult<std::vector<bool>> read_bits(std::uint8_t function, int unit, int address, int count);
  /// Sends one request PDU and returns the reply PDU (function code and data), checked.
  ModbusResult<std::vector<std::uint8_t>> transact(int unit, std::vector<std::uint8_t> pdu);
  ModbusResult<std::vector<std::uint8_t>> transact_once_locked(int unit, const std::vector<std::uint8_t>& pdu);
  ModbusResult<void> connect_locked();
  void close_locked();
  void drain_locked();
  /// After a bad reply or a timeout: drain, or close when another reply is still due.
  void discard_locked();
  /// Waits for the reply to `tid`: from the stash, the input buffer or the socket. Runs the urgent
  /// hook when woken (`interruptible`: an outermost read).
  [[nodiscard]] ModbusResult<std::vector<std::uint8_t>> await_reply_locked(std::uint16_t tid, int unit,
                                                                           ems::MonoTime deadline, bool interruptible);

  TcpLink link_;
  ModbusFraming framing_;
  const ems::Clock* clock_;
  mutable std::recursive_mutex mu_;  ///< recursive: the urgent hook makes requests inside one
  int fd_ = -1;
  std::uint64_t connection_ = 0;  ///< counts connections opened: a reply never crosses one
  int wake_fd_ = -1;              ///< eventfd written by wake()
  std::function<void()> urgent_;
  bool pipelining_allowed_ = true;
  bool pipelining_failed_ = false;
  bool in_hook_ = false;
  bool lost_to_urgent_ = false;   ///< the last request's connection was closed by an urgent request
  std::vector<std::uint8_t> rx_;  ///< bytes received and not yet taken as a reply
  /// Requests on the wire awaiting their reply, outermost first: transaction id and deadline.
  std::vector<std::pair<std::uint16_t, ems::MonoTime>> outstanding_;
  std::map<std::uint16_t, ParsedAdu> stash_;  ///< replies to outer requests received early
  std::uint16_t transaction_ = 0;
  int backoff_ms_ = 0;
  ems::MonoTime next_attempt_{};
  TransportStats stats_{};
};

}  // namespace emsgw::drivers
