#include "drivers/modbus/sim/modbus_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

namespace emsgw::drivers::sim {

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// Simulators run against real sockets, so the idle timeout is measured on the steady clock.
SteadyTime steady_now() {
  return std::chrono::steady_clock::now();
}

int u16_at(const std::uint8_t* p) {
  return (p[0] << 8) | p[1];
}

struct MappingDeleter {
  void operator()(modbus_mapping_t* m) const { modbus_mapping_free(m); }
};
using Mapping = std::unique_ptr<modbus_mapping_t, MappingDeleter>;

Mapping make_mapping(int bits_start, int bits, int regs_start, int regs) {
  // Coils and discrete inputs share the same window: a request reads one or the other.
  return Mapping(modbus_mapping_new_start_address(static_cast<unsigned>(bits_start), static_cast<unsigned>(bits),
                                                  static_cast<unsigned>(bits_start), static_cast<unsigned>(bits),
                                                  static_cast<unsigned>(regs_start), static_cast<unsigned>(regs),
                                                  static_cast<unsigned>(regs_start), static_cast<unsigned>(regs)));
}

void count_exception(ServerStats& stats, std::mutex& stats_mu) {
  std::lock_guard lock(stats_mu);
  ++stats.exceptions;
}

/// Sends the handler's reply to `req` on ctx's socket.
bool send_reply(modbus_t* ctx, const std::uint8_t* req, int len, const ModbusRequest& r, const ModbusReply& reply,
                ServerStats& stats, std::mutex& stats_mu) {
  auto reply_exception = [&](int code) {
    count_exception(stats, stats_mu);
    modbus_reply_exception(ctx, req, static_cast<unsigned>(code));
    return true;
  };
  if (reply.silent) return true;
  if (reply.exception_code != 0) return reply_exception(reply.exception_code);

  Mapping m;
  switch (r.function) {
    case 1:
    case 2:
    case 5: {
      m = make_mapping(r.address, r.count, 0, 0);
      if (!m) return reply_exception(kServerDeviceFailure);
      if (r.function == 1 || r.function == 2) {
        if (reply.registers.size() != static_cast<std::size_t>(r.count)) return reply_exception(kServerDeviceFailure);
        for (int i = 0; i < r.count; ++i) {
          const std::uint8_t bit = reply.registers[static_cast<std::size_t>(i)] != 0 ? 1 : 0;
          m->tab_bits[i] = bit;
          m->tab_input_bits[i] = bit;
        }
      }
      break;
    }
    default: {
      m = make_mapping(0, 0, r.address, r.count);
      if (!m) return reply_exception(kServerDeviceFailure);
      if (r.function == 3 || r.function == 4) {
        if (reply.registers.size() != static_cast<std::size_t>(r.count)) return reply_exception(kServerDeviceFailure);
        for (int i = 0; i < r.count; ++i) {
          m->tab_registers[i] = reply.registers[static_cast<std::size_t>(i)];
          m->tab_input_registers[i] = reply.registers[static_cast<std::size_t>(i)];
        }
      }
      break;
    }
  }
  modbus_reply(ctx, req, len, m.get());
  return true;
}

/// A reply held back by ModbusReply::delay_ms while the server goes on reading.
struct HeldReply {
  int fd = -1;
  SteadyTime due{};
  std::vector<std::uint8_t> request;
  ModbusRequest r;
  ModbusReply reply;
};

/// Serves one received frame; returns true when a reply (or deliberate silence) was handled. A
/// reply with a delay is held in `held` (TCP: the server reads on meanwhile) or, without `held`,
/// sent after sleeping (a serial line carries one request at a time anyway).
bool serve_frame(modbus_t* ctx, const std::uint8_t* req, int len, ModbusRequestHandler& handler, ServerStats& stats,
                 std::mutex& stats_mu, std::vector<HeldReply>* held = nullptr, int fd = -1) {
  const int h = modbus_get_header_length(ctx);
  if (len < h + 1) return false;
  ModbusRequest r;
  r.unit = req[h - 1];
  r.function = req[h];
  const std::uint8_t* pdu = req + h + 1;
  const int pdu_len = len - h - 1;
  auto reply_exception = [&](int code) {
    count_exception(stats, stats_mu);
    modbus_reply_exception(ctx, req, static_cast<unsigned>(code));
    return true;
  };
  {
    std::lock_guard lock(stats_mu);
    ++stats.requests;
  }
  switch (r.function) {
    case 1:
    case 2:
    case 3:
    case 4: {
      if (pdu_len < 4) return reply_exception(kIllegalDataValue);
      r.address = u16_at(pdu);
      r.count = u16_at(pdu + 2);
      const int max = r.function == 1 || r.function == 2 ? MODBUS_MAX_READ_BITS : MODBUS_MAX_READ_REGISTERS;
      if (r.count < 1 || r.count > max) return reply_exception(kIllegalDataValue);
      break;
    }
    case 5:
    case 6: {
      if (pdu_len < 4) return reply_exception(kIllegalDataValue);
      r.address = u16_at(pdu);
      r.count = 1;
      const int v = u16_at(pdu + 2);
      if (r.function == 5) {
        if (v != 0xFF00 && v != 0x0000) return reply_exception(kIllegalDataValue);
        r.values.push_back(v == 0xFF00 ? 1 : 0);
      } else {
        r.values.push_back(static_cast<std::uint16_t>(v));
      }
      break;
    }
    case 16: {
      if (pdu_len < 5) return reply_exception(kIllegalDataValue);
      r.address = u16_at(pdu);
      r.count = u16_at(pdu + 2);
      const int bytes = pdu[4];
      if (r.count < 1 || r.count > MODBUS_MAX_WRITE_REGISTERS || bytes != 2 * r.count || pdu_len < 5 + bytes)
        return reply_exception(kIllegalDataValue);
      for (int i = 0; i < r.count; ++i) r.values.push_back(static_cast<std::uint16_t>(u16_at(pdu + 5 + 2 * i)));
      break;
    }
    default: return reply_exception(kIllegalFunction);
  }
  if (r.address + r.count > 0x10000) return reply_exception(kIllegalDataAddress);

  ModbusReply reply;
  try {
    reply = handler.handle(r);
  } catch (...) {
    return reply_exception(kServerDeviceFailure);
  }
  if (reply.delay_ms > 0 && !reply.silent) {
    if (held != nullptr) {
      held->push_back(HeldReply{fd, steady_now() + std::chrono::milliseconds(reply.delay_ms),
                                std::vector<std::uint8_t>(req, req + len), r, reply});
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
  }
  return send_reply(ctx, req, len, r, reply, stats, stats_mu);
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

// ---------------------------------------------------------------- TCP

ModbusTcpServer::ModbusTcpServer(ModbusRequestHandler& handler, TcpServerOptions options)
    : handler_(handler), options_(std::move(options)) {}

ModbusTcpServer::~ModbusTcpServer() {
  stop();
}

ServerStats ModbusTcpServer::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

Result<int, std::string> ModbusTcpServer::start() {
  if (running_.load()) return port_.load();
  const int want_port = port_.load() != 0 ? port_.load() : options_.port;
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Unexpected(std::string("socket: ") + std::strerror(errno));
  const int yes = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(want_port));
  if (::inet_pton(AF_INET, options_.bind_address.c_str(), &addr.sin_addr) != 1) {
    close_fd(listen_fd_);
    return Unexpected("bad bind address " + options_.bind_address);
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0) {
    const std::string why = std::strerror(errno);
    close_fd(listen_fd_);
    return Unexpected("bind/listen " + options_.bind_address + ":" + std::to_string(want_port) + ": " + why);
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_.store(ntohs(addr.sin_port));
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    close_fd(listen_fd_);
    return Unexpected(std::string("pipe: ") + std::strerror(errno));
  }
  running_.store(true);
  thread_ = std::thread([this] { loop(); });
  return port_.load();
}

void ModbusTcpServer::stop() {
  if (!running_.exchange(false)) return;
  const char b = 'q';
  [[maybe_unused]] const auto n = ::write(wake_pipe_[1], &b, 1);
  if (thread_.joinable()) thread_.join();
  close_fd(listen_fd_);
  close_fd(wake_pipe_[0]);
  close_fd(wake_pipe_[1]);
  clients_.store(0);
}

void ModbusTcpServer::drop_clients() {
  drop_requested_.store(true);
  const char b = 'd';
  if (running_.load()) [[maybe_unused]]
    const auto n = ::write(wake_pipe_[1], &b, 1);
}

void ModbusTcpServer::loop() {
  // One libmodbus context serves every client: its socket is switched per request (the pattern of
  // libmodbus's own multi-client example). TCP contexts ignore the unit id, so the handler sees all.
  modbus_t* ctx = modbus_new_tcp("127.0.0.1", 0);
  modbus_set_indication_timeout(ctx, 0, 500000);
  modbus_set_response_timeout(ctx, 0, 500000);
  struct Client {
    SteadyTime last;
  };
  std::map<int, Client> clients;
  std::vector<std::uint8_t> buf(MODBUS_TCP_MAX_ADU_LENGTH);
  std::vector<HeldReply> held;  // in arrival order

  auto close_client = [&](int fd) {
    ::close(fd);
    clients.erase(fd);
    clients_.store(static_cast<int>(clients.size()));
    std::erase_if(held, [&](const HeldReply& h) { return h.fd == fd; });
  };
  // Sends every held reply that is due (each connection's in the order its requests came).
  auto release_held = [&] {
    const auto now = steady_now();
    for (auto it = held.begin(); it != held.end();) {
      if (it->due > now) {
        ++it;
        continue;
      }
      modbus_set_socket(ctx, it->fd);
      send_reply(ctx, it->request.data(), static_cast<int>(it->request.size()), it->r, it->reply, stats_, stats_mu_);
      it = held.erase(it);
    }
  };

  while (running_.load()) {
    std::vector<pollfd> fds;
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& [fd, c] : clients) fds.push_back({fd, POLLIN, 0});
    int wait_ms = 200;
    for (const auto& h : held)
      wait_ms = std::min<int>(
          wait_ms, static_cast<int>(std::max<long>(
                       0, std::chrono::duration_cast<std::chrono::milliseconds>(h.due - steady_now()).count() + 1)));
    const int rc = ::poll(fds.data(), fds.size(), wait_ms);
    if (rc < 0 && errno != EINTR) break;
    if (!running_.load()) break;
    release_held();
    if (fds[0].revents & POLLIN) {
      char drain[16];
      while (::read(wake_pipe_[0], drain, sizeof drain) > 0) {
      }
    }
    if (drop_requested_.exchange(false)) {
      while (!clients.empty()) close_client(clients.begin()->first);
      continue;
    }
    if (fds[1].revents & POLLIN) {
      const int cfd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (cfd >= 0) {
        if (static_cast<int>(clients.size()) >= options_.max_clients) {
          {
            std::lock_guard lock(stats_mu_);
            ++stats_.refused;
          }
          ::close(cfd);  // a further master is refused (alfen-modbus.md §1: max. 2)
        } else {
          clients[cfd] = Client{steady_now()};
          clients_.store(static_cast<int>(clients.size()));
          std::lock_guard lock(stats_mu_);
          ++stats_.accepted;
        }
      }
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      const int fd = fds[i].fd;
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      if (clients.find(fd) == clients.end()) continue;
      modbus_set_socket(ctx, fd);
      const int n = modbus_receive(ctx, buf.data());
      if (n < 0) {
        close_client(fd);
        continue;
      }
      clients[fd].last = steady_now();
      if (n > 0) serve_frame(ctx, buf.data(), n, handler_, stats_, stats_mu_, &held, fd);
    }
    release_held();
    if (options_.idle_timeout_ms > 0) {
      const auto now = steady_now();
      std::vector<int> idle;
      for (const auto& [fd, c] : clients)
        if (now - c.last > std::chrono::milliseconds(options_.idle_timeout_ms)) idle.push_back(fd);
      for (const int fd : idle) {
        {
          std::lock_guard lock(stats_mu_);
          ++stats_.idle_closed;
        }
        close_client(fd);
      }
    }
  }
  while (!clients.empty()) close_client(clients.begin()->first);
  modbus_set_socket(ctx, -1);
  modbus_free(ctx);
}

// ---------------------------------------------------------------- RTU

ModbusRtuServer::ModbusRtuServer(ModbusRequestHandler& handler, RtuServerOptions options)
    : handler_(handler), options_(std::move(options)) {}

ModbusRtuServer::~ModbusRtuServer() {
  stop();
}

ServerStats ModbusRtuServer::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

Result<std::string, std::string> ModbusRtuServer::start() {
  if (running_.load()) return Unexpected(std::string("already running"));
  std::string path = options_.device;
  if (path.empty()) {
    fd_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd_ < 0 || ::grantpt(fd_) != 0 || ::unlockpt(fd_) != 0) {
      close_fd(fd_);
      return Unexpected(std::string("pty: ") + std::strerror(errno));
    }
    char name[128];
    if (::ptsname_r(fd_, name, sizeof name) != 0) {
      close_fd(fd_);
      return Unexpected(std::string("ptsname: ") + std::strerror(errno));
    }
    path = name;
    // Hold the slave side open in raw mode so the master never sees a hang-up between clients.
    slave_fd_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave_fd_ >= 0) {
      termios t{};
      if (::tcgetattr(slave_fd_, &t) == 0) {
        ::cfmakeraw(&t);
        ::tcsetattr(slave_fd_, TCSANOW, &t);
      }
    }
  } else {
    fd_ = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd_ < 0) return Unexpected("open " + path + ": " + std::strerror(errno));
    termios t{};
    if (::tcgetattr(fd_, &t) == 0) {
      ::cfmakeraw(&t);
      speed_t sp = B9600;
      switch (options_.baud) {
        case 1200: sp = B1200; break;
        case 2400: sp = B2400; break;
        case 4800: sp = B4800; break;
        case 19200: sp = B19200; break;
        case 38400: sp = B38400; break;
        case 57600: sp = B57600; break;
        case 115200: sp = B115200; break;
        default: break;
      }
      ::cfsetispeed(&t, sp);
      ::cfsetospeed(&t, sp);
      t.c_cflag |= CLOCAL | CREAD;
      if (options_.parity == 'E') t.c_cflag |= PARENB;
      if (options_.parity == 'O') t.c_cflag |= PARENB | PARODD;
      if (options_.stop_bits == 2) t.c_cflag |= CSTOPB;
      ::tcsetattr(fd_, TCSANOW, &t);
    }
  }
  if (::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    close_fd(fd_);
    close_fd(slave_fd_);
    return Unexpected(std::string("pipe: ") + std::strerror(errno));
  }
  path_ = path;
  running_.store(true);
  thread_ = std::thread([this] { loop(); });
  return path;
}

void ModbusRtuServer::stop() {
  if (!running_.exchange(false)) return;
  const char b = 'q';
  [[maybe_unused]] const auto n = ::write(wake_pipe_[1], &b, 1);
  if (thread_.joinable()) thread_.join();
  close_fd(fd_);
  close_fd(slave_fd_);
  close_fd(wake_pipe_[0]);
  close_fd(wake_pipe_[1]);
}

void ModbusRtuServer::loop() {
  auto make_ctx = [this] {
    modbus_t* c = modbus_new_rtu(path_.c_str(), options_.baud, options_.parity, options_.data_bits, options_.stop_bits);
    if (c == nullptr) return c;
    modbus_set_slave(c, options_.unit);
    modbus_set_socket(c, fd_);
    modbus_set_indication_timeout(c, 0, 500000);
    return c;
  };
  modbus_t* ctx = make_ctx();
  if (ctx == nullptr) return;
  std::vector<std::uint8_t> buf(MODBUS_RTU_MAX_ADU_LENGTH);
  while (running_.load()) {
    pollfd fds[2] = {{wake_pipe_[0], POLLIN, 0}, {fd_, POLLIN, 0}};
    const int rc = ::poll(fds, 2, 200);
    if (rc < 0 && errno != EINTR) break;
    if (!running_.load()) break;
    if ((fds[1].revents & POLLIN) == 0) continue;
    const int n = modbus_receive(ctx, buf.data());
    if (n > 0) {
      serve_frame(ctx, buf.data(), n, handler_, stats_, stats_mu_);
    } else if (n < 0) {
      modbus_flush(ctx);
    } else {
      // A frame for another unit: libmodbus then swallows the next frame as that unit's reply.
      // When no such unit exists (the usual case here) that would eat the next request, so start
      // from a fresh context instead.
      modbus_set_socket(ctx, -1);
      modbus_free(ctx);
      ctx = make_ctx();
      if (ctx == nullptr) return;
    }
  }
  modbus_set_socket(ctx, -1);  // the fd is closed by stop(); modbus_close would reset its termios
  modbus_free(ctx);
}

}  // namespace emsgw::drivers::sim
