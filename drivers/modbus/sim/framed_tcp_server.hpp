#pragma once
// A Modbus server on TCP with emsgw's own framing (drivers/modbus/modbus_frame.hpp): RTU frames
// over TCP, as a transparent RS-485-to-Ethernet converter passes them from its bus, or MBAP. It
// serves a ModbusRequestHandler (the meter simulators) and can answer as another unit, to show
// that a client refuses such replies. CMake target: emsgw_modbus_sim.
//
//   MeterSimulator meter(*find_meter_preset("eastron-sdm630"));
//   FramedTcpServer server(meter, {.framing = ModbusFraming::Rtu, .unit = 1});
//   int port = *server.start();
//
// Contract: several clients, one poll loop; requests with a bad CRC are dropped (as on a bus); in
// RTU framing only requests for `unit` are answered (0: any), like one device on the bus.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "drivers/modbus/modbus_frame.hpp"
#include "drivers/modbus/sim/modbus_server.hpp"

namespace emsgw::drivers::sim {

struct FramedServerOptions {
  ModbusFraming framing = ModbusFraming::Rtu;
  std::string bind_address = "127.0.0.1";
  int port = 0;        ///< 0: ephemeral
  int unit = 1;        ///< the unit answered (0: every unit)
  int answer_as = -1;  ///< ≥ 0: replies carry this unit id instead of the request's (a fault)
};

class FramedTcpServer {
 public:
  FramedTcpServer(ModbusRequestHandler& handler, FramedServerOptions options);
  ~FramedTcpServer();
  FramedTcpServer(const FramedTcpServer&) = delete;
  FramedTcpServer& operator=(const FramedTcpServer&) = delete;

  Result<int, std::string> start();
  void stop();
  /// Changes the unit id replies carry (−1: the request's).
  void set_answer_as(int unit) { answer_as_.store(unit); }
  [[nodiscard]] ServerStats stats() const;

 private:
  void loop();
  [[nodiscard]] std::vector<std::uint8_t> serve(const ParsedAdu& request);

  ModbusRequestHandler& handler_;
  FramedServerOptions options_;
  std::atomic<int> answer_as_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  mutable std::mutex stats_mu_;
  ServerStats stats_{};
};

}  // namespace emsgw::drivers::sim
