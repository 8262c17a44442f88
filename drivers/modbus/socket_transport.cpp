#include "drivers/modbus/socket_transport.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace emsgw::drivers {

namespace {

class SteadyClock final : public ems::Clock {
 public:
  [[nodiscard]] ems::MonoTime mono_now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] ems::WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

const ems::Clock& steady_clock() {
  static const SteadyClock clock;
  return clock;
}

ModbusError error(ModbusErrorKind kind, std::string message, int code = 0) {
  return ModbusError{kind, code, std::move(message)};
}

std::uint8_t hi(int v) {
  return static_cast<std::uint8_t>((v >> 8) & 0xFF);
}
std::uint8_t lo(int v) {
  return static_cast<std::uint8_t>(v & 0xFF);
}

}  // namespace

SocketModbusTransport::SocketModbusTransport(TcpLink link, ModbusFraming framing, const ems::Clock* clock)
    : link_(std::move(link)),
      framing_(framing),
      clock_(clock != nullptr ? clock : &steady_clock()),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

SocketModbusTransport::~SocketModbusTransport() {
  std::lock_guard lock(mu_);
  close_locked();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void SocketModbusTransport::set_urgent(std::function<void()> hook) {
  std::lock_guard lock(mu_);
  urgent_ = std::move(hook);
}

void SocketModbusTransport::wake() {
  const std::uint64_t one = 1;
  if (wake_fd_ >= 0) [[maybe_unused]]
    const auto n = ::write(wake_fd_, &one, sizeof one);
}

void SocketModbusTransport::set_pipelining(bool allowed) {
  std::lock_guard lock(mu_);
  pipelining_allowed_ = allowed;
}

bool SocketModbusTransport::pipelining() const {
  std::lock_guard lock(mu_);
  return framing_ == ModbusFraming::Mbap && pipelining_allowed_ && !pipelining_failed_;
}

std::string SocketModbusTransport::endpoint() const {
  return link_.host + ":" + std::to_string(link_.port) + (framing_ == ModbusFraming::Rtu ? " (RTU over TCP)" : "");
}

TransportStats SocketModbusTransport::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void SocketModbusTransport::close_locked() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  rx_.clear();
  stash_.clear();
}

void SocketModbusTransport::discard_locked() {
  // Inside an urgent request another reply is still due: the stream cannot be resynchronised by
  // draining, so the connection is closed (the interrupted request then fails as ConnectionLost).
  if (outstanding_.size() > 1)
    close_locked();
  else
    drain_locked();
}

void SocketModbusTransport::drain_locked() {
  rx_.clear();
  stash_.clear();
  if (fd_ < 0) return;
  std::uint8_t buf[256];
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return;
    if (::recv(fd_, buf, sizeof buf, MSG_DONTWAIT) <= 0) {
      close_locked();
      return;
    }
  }
}

ModbusResult<void> SocketModbusTransport::connect_locked() {
  if (fd_ >= 0) return {};
  const auto now = clock_->mono_now();
  if (backoff_ms_ > 0 && now < next_attempt_) {
    const auto wait = std::chrono::duration_cast<ems::Millis>(next_attempt_ - now).count();
    return Unexpected(error(ModbusErrorKind::NotConnected,
                            endpoint() + ": reconnect back-off, next attempt in " + std::to_string(wait) + " ms"));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(link_.port);
  int err = 0;
  std::string why;
  if (const int gai = ::getaddrinfo(link_.host.c_str(), port.c_str(), &hints, &res); gai != 0) {
    why = std::string("resolve: ") + gai_strerror(gai);
  } else {
    err = ECONNREFUSED;
    for (auto* ai = res; ai != nullptr && fd_ < 0; ai = ai->ai_next) {
      const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
      if (fd < 0) continue;
      int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
      int e = rc == 0 ? 0 : errno;
      if (rc < 0 && e == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        rc = ::poll(&p, 1, std::max(1, link_.timing.connect_timeout_ms));
        e = rc == 0 ? ETIMEDOUT : 0;
        socklen_t len = sizeof e;
        if (rc > 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
      }
      if (e == 0) {
        fd_ = fd;
      } else {
        err = e;
        ::close(fd);
      }
    }
    ::freeaddrinfo(res);
    if (fd_ < 0) why = std::strerror(err);
  }
  if (fd_ >= 0) {
    backoff_ms_ = 0;
    ++connection_;
    ++stats_.connects;
    return {};
  }
  ++stats_.connect_failures;
  backoff_ms_ =
      backoff_ms_ == 0 ? link_.timing.initial_backoff_ms : std::min(backoff_ms_ * 2, link_.timing.max_backoff_ms);
  next_attempt_ = clock_->mono_now() + ems::Millis(backoff_ms_);
  return Unexpected(error(ModbusErrorKind::NotConnected, endpoint() + ": connect failed: " + why));
}

ModbusResult<std::vector<std::uint8_t>> SocketModbusTransport::transact_once_locked(
    int unit, const std::vector<std::uint8_t>& pdu) {
  const auto tid = ++transaction_;
  const auto adu = frame_adu(framing_, tid, unit, pdu);
  std::size_t sent = 0;
  while (sent < adu.size()) {
    const auto n = ::send(fd_, adu.data() + sent, adu.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, link_.timing.response_timeout_ms);
      continue;
    }
    if (n <= 0) {
      const int e = errno;
      close_locked();
      return Unexpected(error(ModbusErrorKind::ConnectionLost, endpoint() + ": send: " + std::strerror(e)));
    }
    sent += static_cast<std::size_t>(n);
  }
  const auto timeout = ems::Millis(std::max(1, link_.timing.response_timeout_ms));
  auto deadline = clock_->mono_now() + timeout;
  if (!outstanding_.empty()) {
    // Sent while another request awaits its reply: a server that answers in order answers this one
    // after that one.
    ++stats_.pipelined;
    deadline = std::max(deadline, outstanding_.back().second + timeout);
  }
  outstanding_.emplace_back(tid, deadline);
  // The hook runs only while a read awaits its reply: a read has no effect that a request sent
  // meanwhile could confuse, whereas a write's confirmation (its read-back) must see that write.
  const bool read = pdu[0] >= 1 && pdu[0] <= 4;
  auto reply = await_reply_locked(tid, unit, deadline, read);
  outstanding_.pop_back();
  if (!reply) return Unexpected(reply.error());
  const auto& r = *reply;
  if (r.empty() || (r[0] & 0x7FU) != pdu[0]) {
    discard_locked();
    return Unexpected(error(ModbusErrorKind::BadReply, endpoint() + ": reply to another function"));
  }
  if ((r[0] & 0x80U) != 0) {
    const int code = r.size() > 1 ? r[1] : 0;
    return Unexpected(error(ModbusErrorKind::Exception, endpoint() + ": exception " + std::to_string(code), code));
  }
  return r;
}

ModbusResult<std::vector<std::uint8_t>> SocketModbusTransport::await_reply_locked(std::uint16_t tid, int unit,
                                                                                  ems::MonoTime deadline,
                                                                                  bool interruptible) {
  const auto generation = connection_;
  const bool may_hook = interruptible && urgent_ && !in_hook_ && outstanding_.size() == 1 && pipelining();
  const auto is_outer = [&](std::uint16_t t) {
    return std::any_of(outstanding_.begin(), outstanding_.end() - 1, [&](const auto& o) { return o.first == t; });
  };
  const auto checked = [&](ParsedAdu a) -> ModbusResult<std::vector<std::uint8_t>> {
    if (a.unit != unit) {
      discard_locked();
      return Unexpected(error(ModbusErrorKind::BadReply, endpoint() + ": reply from unit " + std::to_string(a.unit) +
                                                             " to a request for unit " + std::to_string(unit)));
    }
    return std::move(a.pdu);
  };
  for (;;) {
    if (const auto it = stash_.find(tid); it != stash_.end()) {
      auto a = std::move(it->second);
      stash_.erase(it);
      return checked(std::move(a));
    }
    if (const auto want = adu_length(framing_, rx_, /*reply=*/true); want && rx_.size() >= *want) {
      auto parsed = parse_adu(framing_, std::span(rx_.data(), *want));
      rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(*want));
      if (!parsed) {
        discard_locked();
        return Unexpected(error(ModbusErrorKind::BadReply,
                                endpoint() + (framing_ == ModbusFraming::Rtu ? ": reply with a wrong CRC"
                                                                             : ": reply with a bad MBAP header")));
      }
      if (framing_ == ModbusFraming::Mbap && parsed->transaction != tid) {
        if (is_outer(parsed->transaction)) {  // the answer to the request this one interrupted
          stash_[parsed->transaction] = std::move(*parsed);
          continue;
        }
        discard_locked();
        return Unexpected(error(ModbusErrorKind::BadReply, endpoint() + ": reply to another transaction"));
      }
      return checked(std::move(*parsed));
    }
    const auto left = std::chrono::duration_cast<ems::Millis>(deadline - clock_->mono_now()).count();
    if (left <= 0) {
      if (outstanding_.size() > 1) {
        // The server does not answer a second request while one is outstanding: stop sending them.
        pipelining_failed_ = true;
        ++stats_.pipelined_timeouts;
      }
      discard_locked();
      return Unexpected(error(ModbusErrorKind::Timeout, endpoint() + ": no reply from unit " + std::to_string(unit)));
    }
    std::array<pollfd, 2> p{pollfd{fd_, POLLIN, 0}, pollfd{wake_fd_, POLLIN, 0}};
    if (::poll(p.data(), may_hook && wake_fd_ >= 0 ? 2 : 1, static_cast<int>(left)) <= 0) continue;
    if (may_hook && (p[1].revents & POLLIN) != 0) {
      std::uint64_t n = 0;
      [[maybe_unused]] const auto got = ::read(wake_fd_, &n, sizeof n);
      in_hook_ = true;
      const auto hook = urgent_;
      hook();
      in_hook_ = false;
      if (fd_ < 0 || connection_ != generation) {
        lost_to_urgent_ = true;
        return Unexpected(
            error(ModbusErrorKind::ConnectionLost, endpoint() + ": connection closed during an urgent request"));
      }
      continue;
    }
    if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    std::uint8_t buf[512];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      close_locked();
      return Unexpected(error(ModbusErrorKind::ConnectionLost, endpoint() + ": connection closed by the peer"));
    }
    rx_.insert(rx_.end(), buf, buf + n);
  }
}

ModbusResult<std::vector<std::uint8_t>> SocketModbusTransport::transact(int unit, std::vector<std::uint8_t> pdu) {
  std::lock_guard lock(mu_);
  ++stats_.requests;
  if (unit < 0 || unit > 255) {
    ++stats_.failures;
    return Unexpected(error(ModbusErrorKind::InvalidRequest, "unit id " + std::to_string(unit) + " out of range"));
  }
  const bool reused = fd_ >= 0;
  if (auto c = connect_locked(); !c) {
    ++stats_.failures;
    return Unexpected(c.error());
  }
  lost_to_urgent_ = false;
  auto r = transact_once_locked(unit, pdu);
  // Reopened once: a link the peer closed while idle, or one an urgent request had to close.
  if (!r && (reused || lost_to_urgent_) && r.error().kind == ModbusErrorKind::ConnectionLost) {
    if (auto c = connect_locked(); c) r = transact_once_locked(unit, pdu);
  }
  if (!r) ++stats_.failures;
  return r;
}

namespace {
ModbusResult<std::vector<std::uint16_t>> registers(ModbusResult<std::vector<std::uint8_t>> r, int count,
                                                   const std::string& where) {
  if (!r) return Unexpected(r.error());
  if (r->size() != 2U + 2U * static_cast<std::size_t>(count) || (*r)[1] != 2 * count)
    return Unexpected(ModbusError{ModbusErrorKind::BadReply, 0, where + ": reply of the wrong length"});
  std::vector<std::uint16_t> out(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint16_t>(((*r)[2 + 2 * i] << 8) | (*r)[3 + 2 * i]);
  return out;
}
}  // namespace

ModbusResult<std::vector<std::uint16_t>> SocketModbusTransport::read_holding(int unit, int address, int count) {
  if (count < 1 || count > 125 || address < 0 || address + count > 0x10000)
    return Unexpected(error(ModbusErrorKind::InvalidRequest, "read of " + std::to_string(count) + " registers"));
  return registers(transact(unit, {3, hi(address), lo(address), hi(count), lo(count)}), count, endpoint());
}

ModbusResult<std::vector<std::uint16_t>> SocketModbusTransport::read_input(int unit, int address, int count) {
  if (count < 1 || count > 125 || address < 0 || address + count > 0x10000)
    return Unexpected(error(ModbusErrorKind::InvalidRequest, "read of " + std::to_string(count) + " registers"));
  return registers(transact(unit, {4, hi(address), lo(address), hi(count), lo(count)}), count, endpoint());
}

ModbusResult<void> SocketModbusTransport::write_single(int unit, int address, std::uint16_t value) {
  if (address < 0 || address > 0xFFFF) return Unexpected(error(ModbusErrorKind::InvalidRequest, "address"));
  auto r = transact(unit, {6, hi(address), lo(address), hi(value), lo(value)});
  if (!r) return Unexpected(r.error());
  return {};
}

ModbusResult<void> SocketModbusTransport::write_multiple(int unit, int address, std::span<const std::uint16_t> values) {
  const auto n = static_cast<int>(values.size());
  if (n < 1 || n > 123 || address < 0 || address + n > 0x10000)
    return Unexpected(error(ModbusErrorKind::InvalidRequest, "write of " + std::to_string(n) + " registers"));
  std::vector<std::uint8_t> pdu{16, hi(address), lo(address), hi(n), lo(n), static_cast<std::uint8_t>(2 * n)};
  for (const auto v : values) {
    pdu.push_back(hi(v));
    pdu.push_back(lo(v));
  }
  auto r = transact(unit, std::move(pdu));
  if (!r) return Unexpected(r.error());
  return {};
}

ModbusResult<std::vector<bool>> SocketModbusTransport::read_coils(int unit, int address, int count) {
  return read_bits(1, unit, address, count);
}

ModbusResult<std::vector<bool>> SocketModbusTransport::read_discrete_inputs(int unit, int address, int count) {
  return read_bits(2, unit, address, count);
}

ModbusResult<std::vector<bool>> SocketModbusTransport::read_bits(std::uint8_t function, int unit, int address,
                                                                 int count) {
  if (count < 1 || count > 2000 || address < 0 || address + count > 0x10000)
    return Unexpected(error(ModbusErrorKind::InvalidRequest,
                            "read of " + std::to_string(count) + (function == 1 ? " coils" : " discrete inputs")));
  auto r = transact(unit, {function, hi(address), lo(address), hi(count), lo(count)});
  if (!r) return Unexpected(r.error());
  const auto bytes = static_cast<std::size_t>((count + 7) / 8);
  if (r->size() != 2 + bytes || (*r)[1] != bytes)
    return Unexpected(error(ModbusErrorKind::BadReply, endpoint() + ": reply of the wrong length"));
  std::vector<bool> out;
  for (int i = 0; i < count; ++i) out.push_back((((*r)[2 + static_cast<std::size_t>(i / 8)] >> (i % 8)) & 1) != 0);
  return out;
}

ModbusResult<void> SocketModbusTransport::write_coil(int unit, int address, bool value) {
  if (address < 0 || address > 0xFFFF) return Unexpected(error(ModbusErrorKind::InvalidRequest, "address"));
  auto r = transact(unit, {5, hi(address), lo(address), static_cast<std::uint8_t>(value ? 0xFF : 0x00), 0});
  if (!r) return Unexpected(r.error());
  return {};
}

}  // namespace emsgw::drivers
