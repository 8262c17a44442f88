#include "drivers/dsmr/byte_stream.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace emsgw::drivers {

namespace {
MeterError io_error(const std::string& what, int err) {
  return MeterError{MeterError::Kind::Io, true, what + ": " + std::strerror(err)};
}

// Waits for fd to become readable; 1 ready, 0 timeout, -1 error.
int wait_readable(int fd, ems::Millis timeout) {
  pollfd p{fd, POLLIN, 0};
  const auto ms = static_cast<int>(std::max<long long>(0, timeout.count()));
  for (;;) {
    const int r = ::poll(&p, 1, ms);
    if (r < 0 && errno == EINTR) continue;
    if (r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) return 0;
    return r;
  }
}

speed_t baud_constant(int baud) {
  switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    default: return B0;
  }
}
}  // namespace

TcpByteStream::~TcpByteStream() {
  close();
}

void TcpByteStream::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<void, MeterError> TcpByteStream::connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(port_);
  if (const int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &res); rc != 0)
    return Unexpected(MeterError{MeterError::Kind::Io, true, "resolve " + host_ + ": " + gai_strerror(rc)});
  int last_err = ECONNREFUSED;
  for (auto* ai = res; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, static_cast<int>(connect_timeout_.count()));
      int err = rc == 0 ? ETIMEDOUT : 0;
      socklen_t len = sizeof err;
      if (rc > 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc == 0) {
      fd_ = fd;
      ::freeaddrinfo(res);
      return {};
    }
    last_err = errno;
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return Unexpected(io_error("connect " + endpoint(), last_err));
}

Result<std::size_t, MeterError> TcpByteStream::read_some(std::span<char> buf, ems::Millis timeout) {
  if (fd_ < 0) {
    if (auto c = connect(); !c) return Unexpected(c.error());
  }
  const int w = wait_readable(fd_, timeout);
  if (w == 0) return std::size_t{0};
  if (w < 0) {
    const int err = errno;
    close();
    return Unexpected(io_error("poll " + endpoint(), err));
  }
  const auto n = ::recv(fd_, buf.data(), buf.size(), 0);
  if (n > 0) return static_cast<std::size_t>(n);
  const int err = n == 0 ? ECONNRESET : errno;
  if (n < 0 && (err == EAGAIN || err == EINTR)) return std::size_t{0};
  close();
  return Unexpected(io_error("read " + endpoint(), err));
}

SerialByteStream::~SerialByteStream() {
  close();
}

void SerialByteStream::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string SerialByteStream::endpoint() const {
  return settings_.device + "@" + std::to_string(settings_.baud) + " " + std::to_string(settings_.data_bits) +
         settings_.parity + std::to_string(settings_.stop_bits);
}

Result<void, MeterError> SerialByteStream::open() {
  const speed_t speed = baud_constant(settings_.baud);
  if (speed == B0)
    return Unexpected(
        MeterError{MeterError::Kind::Config, false, "unsupported baud rate " + std::to_string(settings_.baud)});
  const int fd = ::open(settings_.device.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Unexpected(io_error("open " + settings_.device, errno));
  termios t{};
  if (::tcgetattr(fd, &t) != 0) {
    const int err = errno;
    ::close(fd);
    return Unexpected(io_error("tcgetattr " + settings_.device, err));
  }
  ::cfmakeraw(&t);
  ::cfsetispeed(&t, speed);
  ::cfsetospeed(&t, speed);
  t.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB);
  t.c_cflag |= (settings_.data_bits == 7 ? CS7 : CS8) | CLOCAL | CREAD;
  if (settings_.parity == 'E') t.c_cflag |= PARENB;
  if (settings_.parity == 'O') t.c_cflag |= PARENB | PARODD;
  if (settings_.stop_bits == 2) t.c_cflag |= CSTOPB;
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  if (::tcsetattr(fd, TCSANOW, &t) != 0) {
    const int err = errno;
    ::close(fd);
    return Unexpected(io_error("tcsetattr " + settings_.device, err));
  }
  fd_ = fd;
  return {};
}

Result<std::size_t, MeterError> SerialByteStream::read_some(std::span<char> buf, ems::Millis timeout) {
  if (fd_ < 0) {
    if (auto o = open(); !o) return Unexpected(o.error());
  }
  const int w = wait_readable(fd_, timeout);
  if (w == 0) return std::size_t{0};
  const auto n = w < 0 ? -1 : ::read(fd_, buf.data(), buf.size());
  if (n > 0) return static_cast<std::size_t>(n);
  const int err = n == 0 ? EIO : errno;
  if (n < 0 && (err == EAGAIN || err == EINTR)) return std::size_t{0};
  close();
  return Unexpected(io_error("read " + settings_.device, err));
}

}  // namespace emsgw::drivers
