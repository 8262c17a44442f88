#include "tests/devices/textline_meter/textline_meter.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

namespace emsgw::test {

namespace {

using drivers::MeterError;

Unexpected<MeterError> failure(const std::string& what) {
  return Unexpected(MeterError{MeterError::Kind::Io, true, what});
}

}  // namespace

TextlineMeter::TextlineMeter(std::string host, int port, int unit, int timeout_ms, const ems::Clock& clock)
    : host_(std::move(host)), port_(port), unit_(unit), timeout_ms_(timeout_ms), clock_(clock) {}

Result<drivers::MeterReading, MeterError> TextlineMeter::poll() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return failure("no socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port_));
  if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return failure("host must be an IPv4 address");
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return failure("no answer from " + describe());
  }
  const std::string request = "READ " + std::to_string(unit_) + "\n";
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string line;
  char buf[128];
  pollfd p{fd, POLLIN, 0};
  while (line.find('\n') == std::string::npos && ::poll(&p, 1, timeout_ms_) > 0) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  std::istringstream in(line);
  double a[3];
  if (!(in >> a[0] >> a[1] >> a[2])) return failure("no reading in \"" + line + "\"");
  drivers::MeterReading r;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto q = static_cast<drivers::Quantity>(static_cast<int>(drivers::Quantity::CurrentL1) + static_cast<int>(i));
    drivers::set_quantity(r, q, drivers::checked(q, a[i]));
  }
  r.mono = clock_.mono_now();
  r.wall = clock_.wall_now();
  return r;
}

std::string TextlineMeter::describe() const {
  return "text-line meter at " + host_ + ":" + std::to_string(port_) + " unit " + std::to_string(unit_);
}

gateway::MeterKindTraits textline_meter_kind() {
  gateway::MeterKindTraits k;
  k.name = "textline-tcp";
  k.link = gateway::MeterLink::Tcp;
  k.default_port = 7070;
  k.unit_range = std::pair{1, 9};
  k.validate = [](gateway::ConfigIssues& out, const std::string& key, const drivers::MeterSettings& m) {
    if (m.poll_interval_ms < 500)
      out.push_back({key + ".poll_interval_ms", std::to_string(m.poll_interval_ms),
                     "must be at least 500 ms: a text-line meter answers at most twice a second"});
  };
  k.make = [](const drivers::MeterSettings& s, const ems::Clock& clock) -> std::unique_ptr<drivers::EnergyMeter> {
    return std::make_unique<TextlineMeter>(s.host, s.port, s.unit, s.timeout_ms, clock);
  };
  k.probe = [](const drivers::MeterSettings& s, const ems::Clock& clock, ems::Millis) {
    gateway::MeterProbe p;
    p.meter = std::make_unique<TextlineMeter>(s.host, s.port, s.unit, s.timeout_ms, clock);
    return p;
  };
  return k;
}

}  // namespace emsgw::test
