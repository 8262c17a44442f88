#pragma once
// A small Modbus server (slave) for device simulators, built on libmodbus's server side.
// CMake target: emsgw_modbus_sim.
//
// How to use:
//   class MyDevice : public emsgw::drivers::sim::ModbusRequestHandler {
//     ModbusReply handle(const ModbusRequest& r) override {
//       if (r.unit != 1) return ModbusReply::exception(kIllegalDataAddress);  // or ModbusReply::silence()
//       if (r.function == 3 && r.address == 300 && r.count == 2) return ModbusReply::registers({0x4100, 0});
//       return ModbusReply::exception(kIllegalDataAddress);
//     }
//   };
//   MyDevice dev;
//   ModbusTcpServer server(dev, {.port = 0, .max_clients = 2, .idle_timeout_ms = 60000});
//   auto port = server.start();           // Result<int>: the bound port (ephemeral when 0 was asked)
//   ...                                   // clients connect to 127.0.0.1:*port
//   server.stop();                        // also done by the destructor
//
//   ModbusRtuServer rtu(dev, {.device = "", .unit = 1});   // empty device: create a pty
//   auto path = rtu.start();              // Result<std::string>: the serial device clients open
//
// Contract:
// - The handler is called on the server's own thread, one request at a time (it needs its own lock
//   only for state shared with other threads, e.g. a simulator's control interface). A handler
//   that sleeps holds up every request after it (a device that serves one request at a time); a
//   reply with delay_ms is sent that much later while the TCP server goes on reading and handling
//   further requests, each answered with the transaction id it came with (a device that serves
//   several Modbus TCP transactions at once).
// - Functions passed to the handler: 3 and 4 (read: count registers wanted), 6 (write single:
//   values has 1 element), 16 (write multiple: values has count elements), 1 (read coils),
//   2 (read discrete inputs), 5 (write coil: values[0] is 0 or 1). Other functions are answered with exception 1
//   without calling the handler. Malformed frames are dropped by libmodbus.
// - A read reply must carry exactly `count` registers (coils: count values, non-zero = on);
//   otherwise the server answers exception 4 (server device failure).
// - TCP: several clients at once, served from one poll loop. At most max_clients connections are
//   kept; a further client is accepted and closed at once (Alfen: at most two masters,
//   alfen-modbus.md §1). A client silent for idle_timeout_ms is disconnected (Alfen: 60 s).
// - RTU: libmodbus filters frames by unit id in RTU mode, so an RTU server answers one unit id.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "drivers/modbus/modbus_transport.hpp"
#include "ems/result.hpp"

namespace emsgw::drivers::sim {

struct ModbusRequest {
  int unit = 0;
  int function = 0;
  int address = 0;
  int count = 0;
  std::vector<std::uint16_t> values;  ///< for writes
};

struct ModbusReply {
  int exception_code = 0;                ///< non-zero: answer with this Modbus exception
  bool silent = false;                   ///< true: send nothing (the client times out)
  std::vector<std::uint16_t> registers;  ///< for reads
  /// Send the reply this long after the request came. TCP: the server reads and handles further
  /// requests meanwhile (a device that serves several transactions at once); RTU: it sleeps.
  int delay_ms = 0;

  static ModbusReply registers_reply(std::vector<std::uint16_t> regs) {
    return ModbusReply{0, false, std::move(regs), 0};
  }
  static ModbusReply ok() { return ModbusReply{}; }
  static ModbusReply exception(int code) { return ModbusReply{code, false, {}, 0}; }
  static ModbusReply silence() { return ModbusReply{0, true, {}, 0}; }
};

class ModbusRequestHandler {
 public:
  virtual ~ModbusRequestHandler() = default;
  virtual ModbusReply handle(const ModbusRequest& request) = 0;
};

/// Adapts a lambda to ModbusRequestHandler.
class FunctionHandler final : public ModbusRequestHandler {
 public:
  explicit FunctionHandler(std::function<ModbusReply(const ModbusRequest&)> f) : f_(std::move(f)) {}
  ModbusReply handle(const ModbusRequest& request) override { return f_(request); }

 private:
  std::function<ModbusReply(const ModbusRequest&)> f_;
};

struct TcpServerOptions {
  std::string bind_address = "127.0.0.1";  ///< "0.0.0.0" to serve the LAN
  int port = 0;                            ///< 0: pick an ephemeral port (see start())
  int max_clients = 2;
  int idle_timeout_ms = 60000;  ///< 0: never
};

struct ServerStats {
  std::uint64_t requests = 0;
  std::uint64_t exceptions = 0;
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;      ///< connections closed at once because max_clients were connected
  std::uint64_t idle_closed = 0;  ///< connections closed by the idle timeout
};

class ModbusTcpServer {
 public:
  ModbusTcpServer(ModbusRequestHandler& handler, TcpServerOptions options);
  ~ModbusTcpServer();
  ModbusTcpServer(const ModbusTcpServer&) = delete;
  ModbusTcpServer& operator=(const ModbusTcpServer&) = delete;

  /// Binds, listens and starts the server thread. Returns the bound port. Restartable after stop()
  /// (on the same port when options.port was 0 and the server ran before).
  Result<int, std::string> start();
  /// Closes every connection and the listening socket and joins the thread. Idempotent.
  void stop();
  [[nodiscard]] bool running() const { return running_.load(); }
  [[nodiscard]] int port() const { return port_.load(); }
  [[nodiscard]] int client_count() const { return clients_.load(); }
  [[nodiscard]] ServerStats stats() const;
  /// Closes all client connections but keeps listening (a simulated link drop).
  void drop_clients();

 private:
  void loop();

  ModbusRequestHandler& handler_;
  TcpServerOptions options_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<int> port_{0};
  std::atomic<int> clients_{0};
  std::atomic<bool> drop_requested_{false};
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  mutable std::mutex stats_mu_;
  ServerStats stats_{};
};

struct RtuServerOptions {
  std::string device;  ///< serial device to serve on; empty: create a pty and serve on its master side
  int baud = 9600;
  char parity = 'N';
  int data_bits = 8;
  int stop_bits = 1;
  int unit = 1;  ///< the unit id answered
};

class ModbusRtuServer {
 public:
  ModbusRtuServer(ModbusRequestHandler& handler, RtuServerOptions options);
  ~ModbusRtuServer();
  ModbusRtuServer(const ModbusRtuServer&) = delete;
  ModbusRtuServer& operator=(const ModbusRtuServer&) = delete;

  /// Opens the device (or a fresh pty) and starts the thread. Returns the path clients open.
  Result<std::string, std::string> start();
  void stop();
  [[nodiscard]] ServerStats stats() const;

 private:
  void loop();

  ModbusRequestHandler& handler_;
  RtuServerOptions options_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  int fd_ = -1;
  int slave_fd_ = -1;
  std::string path_;
  int wake_pipe_[2] = {-1, -1};
  mutable std::mutex stats_mu_;
  ServerStats stats_{};
};

}  // namespace emsgw::drivers::sim
