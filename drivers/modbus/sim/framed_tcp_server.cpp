#include "drivers/modbus/sim/framed_tcp_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

namespace emsgw::drivers::sim {

namespace {
int u16_at(const std::vector<std::uint8_t>& p, std::size_t i) {
  return (p[i] << 8) | p[i + 1];
}
void put16(std::vector<std::uint8_t>& out, int v) {
  out.push_back(static_cast<std::uint8_t>((v >> 8) & 0xFF));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}
}  // namespace

FramedTcpServer::FramedTcpServer(ModbusRequestHandler& handler, FramedServerOptions options)
    : handler_(handler), options_(std::move(options)), answer_as_(options_.answer_as) {}

FramedTcpServer::~FramedTcpServer() {
  stop();
}

ServerStats FramedTcpServer::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

Result<int, std::string> FramedTcpServer::start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Unexpected(std::string("socket: ") + std::strerror(errno));
  const int yes = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(options_.port));
  if (::inet_pton(AF_INET, options_.bind_address.c_str(), &a.sin_addr) != 1 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 8) != 0 ||
      ::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    const std::string why = std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return Unexpected("listen " + options_.bind_address + ": " + why);
  }
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  running_.store(true);
  thread_ = std::thread([this] { loop(); });
  return static_cast<int>(ntohs(a.sin_port));
}

void FramedTcpServer::stop() {
  if (!running_.exchange(false)) return;
  [[maybe_unused]] const auto n = ::write(wake_pipe_[1], "q", 1);
  thread_.join();
  for (int* fd : {&listen_fd_, &wake_pipe_[0], &wake_pipe_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

std::vector<std::uint8_t> FramedTcpServer::serve(const ParsedAdu& q) {
  const auto& p = q.pdu;
  ModbusRequest r;
  r.unit = q.unit;
  r.function = p[0];
  auto exception = [&](int code) {
    std::lock_guard lock(stats_mu_);
    ++stats_.exceptions;
    return std::vector<std::uint8_t>{static_cast<std::uint8_t>(p[0] | 0x80), static_cast<std::uint8_t>(code)};
  };
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.requests;
  }
  if (p.size() < 5) return exception(kIllegalDataValue);
  r.address = u16_at(p, 1);
  r.count = u16_at(p, 3);
  switch (r.function) {
    case 1:
    case 3:
    case 4: break;
    case 5:
      r.values.push_back(r.count == 0xFF00 ? 1 : 0);
      r.count = 1;
      break;
    case 6:
      r.values.push_back(static_cast<std::uint16_t>(r.count));
      r.count = 1;
      break;
    case 16:
      if (p.size() < 6 + 2 * static_cast<std::size_t>(r.count)) return exception(kIllegalDataValue);
      for (int i = 0; i < r.count; ++i)
        r.values.push_back(static_cast<std::uint16_t>(u16_at(p, 6 + 2 * static_cast<std::size_t>(i))));
      break;
    default: return exception(kIllegalFunction);
  }
  ModbusReply reply;
  try {
    reply = handler_.handle(r);
  } catch (...) {
    return exception(kServerDeviceFailure);
  }
  if (reply.silent) return {};
  if (reply.exception_code != 0) return exception(reply.exception_code);
  std::vector<std::uint8_t> out{p[0]};
  switch (r.function) {
    case 1: {
      if (reply.registers.size() != static_cast<std::size_t>(r.count)) return exception(kServerDeviceFailure);
      std::vector<std::uint8_t> bits(static_cast<std::size_t>((r.count + 7) / 8));
      for (int i = 0; i < r.count; ++i)
        if (reply.registers[static_cast<std::size_t>(i)] != 0)
          bits[static_cast<std::size_t>(i / 8)] |= static_cast<std::uint8_t>(1U << (i % 8));
      out.push_back(static_cast<std::uint8_t>(bits.size()));
      out.insert(out.end(), bits.begin(), bits.end());
      break;
    }
    case 3:
    case 4:
      if (reply.registers.size() != static_cast<std::size_t>(r.count)) return exception(kServerDeviceFailure);
      out.push_back(static_cast<std::uint8_t>(2 * r.count));
      for (const auto v : reply.registers) put16(out, v);
      break;
    default: out.insert(out.end(), p.begin() + 1, p.begin() + 5); break;  // echo address and value/count
  }
  return out;
}

void FramedTcpServer::loop() {
  std::map<int, std::vector<std::uint8_t>> clients;
  while (running_.load()) {
    std::vector<pollfd> fds{{wake_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const auto& [fd, buf] : clients) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) break;
    if (!running_.load()) break;
    if ((fds[1].revents & POLLIN) != 0) {
      const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        clients[c];
        std::lock_guard lock(stats_mu_);
        ++stats_.accepted;
      }
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const int fd = fds[i].fd;
      std::uint8_t buf[512];
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        ::close(fd);
        clients.erase(fd);
        continue;
      }
      auto& in = clients[fd];
      in.insert(in.end(), buf, buf + n);
      for (;;) {
        const auto want = adu_length(options_.framing, in, /*reply=*/false);
        if (!want || in.size() < *want) break;
        const std::vector<std::uint8_t> adu(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(*want));
        in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(*want));
        const auto q = parse_adu(options_.framing, adu);
        if (!q || q->pdu.empty()) {
          in.clear();  // lost sync: drop what is buffered, as a bus device waits for silence
          break;
        }
        if (options_.framing == ModbusFraming::Rtu && options_.unit != 0 && q->unit != options_.unit) continue;
        const auto pdu = serve(*q);
        if (pdu.empty()) continue;
        const int as = answer_as_.load();
        const auto reply = frame_adu(options_.framing, q->transaction, as >= 0 ? as : q->unit, pdu);
        [[maybe_unused]] const auto sent = ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
    }
  }
  for (const auto& [fd, buf] : clients) ::close(fd);
}

}  // namespace emsgw::drivers::sim
