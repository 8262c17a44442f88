#pragma once
// ModbusTransport over libmodbus: Modbus TCP (LibmodbusTcpTransport) and Modbus RTU on a serial
// device or pty (LibmodbusRtuTransport).
//
// How to use:
//   LibmodbusTcpTransport t({.host = "192.0.2.10", .port = 502});
//   auto regs = t.read_holding(/*unit=*/1, /*address=*/1200, /*count=*/16);
//   if (!regs) log(regs.error().describe());   // errors are values; nothing throws
//
//   LibmodbusRtuTransport m({.device = "/dev/ttyUSB0", .baud = 9600, .parity = 'E'});
//   auto power = m.read_input(/*unit=*/1, 12, 2);
//
// Contract:
// - One link (one TCP connection / one open serial port) per transport object, shared by every unit
//   addressed through it (Alfen: units 200, 1 and 2 share one connection; alfen-modbus.md §1 — a
//   station accepts at most two masters, so never open a second one).
// - One request in flight at a time: every call takes an internal mutex, so the object may be
//   shared between threads.
// - The link is opened lazily on the first request. When it breaks, the next request reconnects;
//   failed connects back off exponentially (initial_backoff_ms doubling up to max_backoff_ms) and
//   requests inside the back-off window fail at once with NotConnected.
// - Errors: Modbus exceptions → Exception with the code; ETIMEDOUT → Timeout; ECONNRESET/EPIPE →
//   ConnectionLost (link closed, reopened on the next call; also after 3 timeouts in a row). A
//   request that finds an established TCP link closed by the peer (idle timeout, reboot) is
//   repeated once on a fresh connection — all emsgw requests are idempotent;
//   EMBBADDATA/EMBBADCRC/EMBBADEXC and other unparsable replies → BadReply (the link is closed to resynchronise).
// - Keep-alive: Alfen closes a connection after 60 s without traffic (alfen-modbus.md §1). Any
//   successful request counts as activity; callers that may be quiet for long should check
//   idle_for() and issue a cheap read (e.g. unit 200, 1104, count 1) well before 60 s.
// - Time comes from the Clock passed in (back-off and activity); the default is the steady clock.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "drivers/modbus/modbus_transport.hpp"
#include "ems/time.hpp"

struct _modbus;  // libmodbus context (modbus_t)

namespace emsgw::drivers {

struct LinkTiming {
  int connect_timeout_ms = 2000;
  int response_timeout_ms = 1000;
  int initial_backoff_ms = 500;
  int max_backoff_ms = 30000;
};

struct TcpLink {
  std::string host;
  int port = 502;
  LinkTiming timing{};
};

struct RtuLink {
  std::string device;  ///< e.g. "/dev/ttyUSB0" or a pty slave such as "/dev/pts/5"
  int baud = 9600;
  char parity = 'N';  ///< 'N', 'E' or 'O'
  int data_bits = 8;
  int stop_bits = 1;
  LinkTiming timing{};
};

/// Counters for diagnostics (all since construction).
struct TransportStats {
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
  std::uint64_t connects = 0;  ///< successful link openings
  std::uint64_t connect_failures = 0;
  std::uint64_t pipelined = 0;           ///< urgent requests sent while another awaited its reply
  std::uint64_t pipelined_timeouts = 0;  ///< of those, unanswered (pipelining then switched off)
};

/// Shared implementation; use LibmodbusTcpTransport or LibmodbusRtuTransport.
class LibmodbusTransport : public ModbusTransport {
 public:
  ~LibmodbusTransport() override;
  LibmodbusTransport(const LibmodbusTransport&) = delete;
  LibmodbusTransport& operator=(const LibmodbusTransport&) = delete;

  ModbusResult<std::vector<std::uint16_t>> read_holding(int unit, int address, int count) override;
  ModbusResult<std::vector<std::uint16_t>> read_input(int unit, int address, int count) override;
  ModbusResult<void> write_single(int unit, int address, std::uint16_t value) override;
  ModbusResult<void> write_multiple(int unit, int address, std::span<const std::uint16_t> values) override;
  ModbusResult<std::vector<bool>> read_coils(int unit, int address, int count) override;
  ModbusResult<void> write_coil(int unit, int address, bool value) override;
  ModbusResult<std::vector<bool>> read_discrete_inputs(int unit, int address, int count) override;
  [[nodiscard]] std::string endpoint() const override { return endpoint_; }

  /// Opens the link now (otherwise the first request does). Honors the back-off window.
  ModbusResult<void> connect();
  /// Closes the link; the next request reopens it (without back-off).
  void disconnect();
  [[nodiscard]] bool connected() const;
  /// Time since the last successful request or connect; nullopt when not connected.
  [[nodiscard]] std::optional<ems::Millis> idle_for() const;
  [[nodiscard]] TransportStats stats() const;

 protected:
  LibmodbusTransport(std::string endpoint, LinkTiming timing, const ems::Clock* clock);
  /// Creates a fresh, unconnected libmodbus context; nullptr on failure (errno set).
  virtual _modbus* make_context() = 0;
  /// True when a failed request on this link type means the link must be reopened.
  [[nodiscard]] virtual bool is_stream() const = 0;

 private:
  template <class F>
  auto run(int unit, F&& op) -> decltype(op(static_cast<_modbus*>(nullptr)));
  ModbusResult<void> ensure_connected_locked();
  void close_locked();
  ModbusError error_from_errno_locked(int err, const char* what);

  std::string endpoint_;
  LinkTiming timing_;
  const ems::Clock* clock_;
  mutable std::mutex mu_;
  _modbus* ctx_ = nullptr;
  bool connected_ = false;
  ems::MonoTime next_attempt_{};
  int backoff_ms_ = 0;
  ems::MonoTime last_activity_{};
  TransportStats stats_{};
  int consecutive_timeouts_ = 0;
  static constexpr int kTimeoutsBeforeReconnect = 3;
};

class LibmodbusTcpTransport final : public LibmodbusTransport {
 public:
  /// `clock` may be nullptr (steady clock); it must outlive the transport.
  explicit LibmodbusTcpTransport(TcpLink link, const ems::Clock* clock = nullptr);
  ~LibmodbusTcpTransport() override;

 protected:
  _modbus* make_context() override;
  [[nodiscard]] bool is_stream() const override { return true; }

 private:
  TcpLink link_;
};

class LibmodbusRtuTransport final : public LibmodbusTransport {
 public:
  explicit LibmodbusRtuTransport(RtuLink link, const ems::Clock* clock = nullptr);
  ~LibmodbusRtuTransport() override;

 protected:
  _modbus* make_context() override;
  [[nodiscard]] bool is_stream() const override { return false; }

 private:
  RtuLink link_;
};

/// Maps a libmodbus errno to a ModbusError (exposed for tests).
[[nodiscard]] ModbusError modbus_error_from_errno(int err, const std::string& context);

}  // namespace emsgw::drivers
