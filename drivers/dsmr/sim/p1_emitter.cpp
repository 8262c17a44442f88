#include "drivers/dsmr/sim/p1_emitter.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "drivers/dsmr/dsmr_parser.hpp"

namespace emsgw::drivers::sim {

namespace {
std::string fixed(double v, int width, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%0*.*f", width, decimals, v);
  return buf;
}

std::string tst(ems::WallTime t) {
  // Rendered in CET (UTC+1) with the W flag.
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count() + 3600;
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d%02d%02d%02d%02d%02dW", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}
}  // namespace

std::string make_p1_telegram(const P1State& s, ems::WallTime t, P1Flavour flavour) {
  const bool fluvius = flavour == P1Flavour::Fluvius;
  std::string b = fluvius                                  ? "/FLU5\\253769484_A\r\n\r\n0-0:96.1.4(50217)\r\n"
                  : flavour == P1Flavour::Dsmr4IntegerAmps ? "/KFM5KAIFA-METER\r\n\r\n1-3:0.2.8(42)\r\n"
                                                           : "/ISk5\\2MT382-1000\r\n\r\n1-3:0.2.8(50)\r\n";
  b += "0-0:1.0.0(" + tst(t) + ")\r\n";
  b += "0-0:96.1.1(4B384547303034303436333935353037)\r\n";
  b += "1-0:1.8.1(" + fixed(s.import_t1_kwh, 10, 3) + "*kWh)\r\n";
  b += "1-0:1.8.2(" + fixed(s.import_t2_kwh, 10, 3) + "*kWh)\r\n";
  b += "1-0:2.8.1(" + fixed(s.export_t1_kwh, 10, 3) + "*kWh)\r\n";
  b += "1-0:2.8.2(" + fixed(s.export_t2_kwh, 10, 3) + "*kWh)\r\n";
  b += "0-0:96.14.0(0001)\r\n";
  double imp = 0.0;
  double exp = 0.0;
  std::array<double, 3> p{};
  for (std::size_t i = 0; i < 3; ++i) {
    p[i] = s.current_a[i] * s.voltage_v[i] / 1000.0;  // kW
    (p[i] >= 0 ? imp : exp) += std::fabs(p[i]);
  }
  if (s.demand_quarter_kw) b += "1-0:1.4.0(" + fixed(*s.demand_quarter_kw, 6, 3) + "*kW)\r\n";
  if (s.demand_month_peak_kw) b += "1-0:1.6.0(" + tst(t) + ")(" + fixed(*s.demand_month_peak_kw, 6, 3) + "*kW)\r\n";
  b += "1-0:1.7.0(" + fixed(imp, 6, 3) + "*kW)\r\n";
  b += "1-0:2.7.0(" + fixed(exp, 6, 3) + "*kW)\r\n";
  static constexpr std::array<const char*, 3> kV{"32", "52", "72"};
  static constexpr std::array<const char*, 3> kI{"31", "51", "71"};
  static constexpr std::array<const char*, 3> kPi{"21", "41", "61"};
  static constexpr std::array<const char*, 3> kPe{"22", "42", "62"};
  if (flavour != P1Flavour::Dsmr4IntegerAmps)
    for (std::size_t i = 0; i < 3; ++i)
      b += std::string("1-0:") + kV[i] + ".7.0(" + fixed(s.voltage_v[i], 5, 1) + "*V)\r\n";
  for (std::size_t i = 0; i < 3; ++i) {
    const double a = std::fabs(s.current_a[i]);  // unsigned (protocols.md §1.9 item 1)
    b += std::string("1-0:") + kI[i] + ".7.0(" + (fluvius ? fixed(a, 6, 2) : fixed(std::round(a), 3, 0)) + "*A)\r\n";
  }
  for (std::size_t i = 0; i < 3; ++i) {
    b += std::string("1-0:") + kPi[i] + ".7.0(" + fixed(p[i] > 0 ? p[i] : 0.0, 6, 3) + "*kW)\r\n";
    b += std::string("1-0:") + kPe[i] + ".7.0(" + fixed(p[i] < 0 ? -p[i] : 0.0, 6, 3) + "*kW)\r\n";
  }
  b += "!";
  char crc[8];
  std::snprintf(crc, sizeof crc, "%04X", dsmr_crc16(b));
  return b + crc + "\r\n";
}

P1Emitter::P1Emitter(const ems::Clock& clock, P1EmitterOptions options) : clock_(clock), options_(options) {}

P1Emitter::~P1Emitter() {
  stop();
}

void P1Emitter::set_state(const P1State& s) {
  std::lock_guard lock(mu_);
  state_ = s;
}

P1State P1Emitter::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

void P1Emitter::set_currents(const std::array<double, 3>& current_a) {
  std::lock_guard lock(mu_);
  state_.current_a = current_a;
}

void P1Emitter::inject(P1Fault fault, int count) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < count; ++i) faults_.push_back(fault);
}

std::string P1Emitter::next_bytes() {
  P1State s;
  P1Fault f = P1Fault::None;
  {
    std::lock_guard lock(mu_);
    s = state_;
    if (!faults_.empty()) {
      f = faults_.front();
      faults_.erase(faults_.begin());
    }
  }
  const auto n = sent_.load() + 1;
  auto every = [n](int k) { return k > 0 && n % static_cast<std::uint64_t>(k) == 0; };
  if (f == P1Fault::None) {
    if (every(options_.crc_error_every))
      f = P1Fault::CrcError;
    else if (every(options_.truncate_every))
      f = P1Fault::Truncate;
    else if (every(options_.garbage_every))
      f = P1Fault::Garbage;
  }
  std::string t = make_p1_telegram(s, clock_.wall_now(), options_.flavour);
  switch (f) {
    case P1Fault::None: break;
    case P1Fault::CrcError: {
      const auto bang = t.rfind('!');
      t[bang + 1] = t[bang + 1] == '0' ? '1' : '0';
      break;
    }
    case P1Fault::Truncate: t.resize(t.size() / 2); break;
    case P1Fault::Garbage: t = std::string("\x00\xff\x13garbage(1-0:1.7.0)*!!\r\n", 24) + t; break;
  }
  return t;
}

Result<int, std::string> P1Emitter::start_tcp(const std::string& bind_address, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Unexpected(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, bind_address.c_str(), &a.sin_addr) != 1) {
    ::close(fd);
    return Unexpected("bad bind address " + bind_address);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return Unexpected("bind/listen: " + err);
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  listen_fd_ = fd;
  ensure_thread();
  return static_cast<int>(ntohs(a.sin_port));
}

Result<std::string, std::string> P1Emitter::start_pty() {
  int master = -1;
  int slave = -1;
  char name[256] = {};
  if (::openpty(&master, &slave, name, nullptr, nullptr) != 0)
    return Unexpected(std::string("openpty: ") + std::strerror(errno));
  termios t{};
  ::tcgetattr(slave, &t);
  ::cfmakeraw(&t);
  ::tcsetattr(slave, TCSANOW, &t);
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  pty_master_ = master;
  pty_slave_ = slave;  // kept open so writes do not fail while no reader is attached
  ensure_thread();
  return std::string(name);
}

void P1Emitter::ensure_thread() {
  if (running_.exchange(true)) return;
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
  thread_ = std::thread([this] { loop(); });
}

void P1Emitter::stop() {
  if (!running_.exchange(false)) return;
  if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
  thread_.join();
  for (int* fd : {&listen_fd_, &pty_master_, &pty_slave_, &wake_[0], &wake_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void P1Emitter::loop() {
  std::vector<int> clients;
  auto next = clock_.mono_now();
  while (running_.load()) {
    const auto wait_ms = std::chrono::duration_cast<ems::Millis>(next - clock_.mono_now()).count();
    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    if (listen_fd_ >= 0) fds.push_back({listen_fd_, POLLIN, 0});
    ::poll(fds.data(), static_cast<nfds_t>(fds.size()), static_cast<int>(std::max<long long>(0, wait_ms)));
    if (!running_.load()) break;
    if (listen_fd_ >= 0 && fds.size() > 1 && (fds[1].revents & POLLIN) != 0) {
      const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (c >= 0) clients.push_back(c);
    }
    if (clock_.mono_now() < next) continue;
    next += ems::Millis{options_.interval_ms};
    const std::string bytes = next_bytes();
    for (auto it = clients.begin(); it != clients.end();) {
      const auto n = ::send(*it, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) {
        ::close(*it);
        it = clients.erase(it);
      } else {
        ++it;
      }
    }
    if (pty_master_ >= 0) (void)!::write(pty_master_, bytes.data(), bytes.size());
    clients_.store(static_cast<int>(clients.size()));
    sent_.fetch_add(1);
  }
  for (int c : clients) ::close(c);
  clients_.store(0);
}

}  // namespace emsgw::drivers::sim
