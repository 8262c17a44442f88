#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <sstream>

#include "drivers/alfen/sim/alfen_station_sim.hpp"

namespace emsgw::drivers::alfen {

AlfenSimRunner::AlfenSimRunner(AlfenSimConfig config, const ems::Clock* base) : station_(std::move(config), base) {}

AlfenSimRunner::~AlfenSimRunner() {
  stop();
}

Result<int, std::string> AlfenSimRunner::start(int port, const std::string& bind_address) {
  std::lock_guard lock(server_mu_);
  const auto cfg = station_.config();
  bind_address_ = bind_address;
  server_ = std::make_unique<sim::ModbusTcpServer>(
      station_, sim::TcpServerOptions{bind_address, port, cfg.max_masters, cfg.idle_timeout_s * 1000});
  auto p = server_->start();
  if (!p) return p;
  port_ = *p;
  return p;
}

Result<int, std::string> AlfenSimRunner::start_control(int port, const std::string& bind_address) {
  control_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (control_fd_ < 0) return Unexpected(std::string("socket: ") + std::strerror(errno));
  const int yes = 1;
  ::setsockopt(control_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, bind_address.c_str(), &addr.sin_addr) != 1 ||
      ::bind(control_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(control_fd_, 4) != 0) {
    const std::string why = std::strerror(errno);
    ::close(control_fd_);
    control_fd_ = -1;
    return Unexpected("control port " + bind_address + ":" + std::to_string(port) + ": " + why);
  }
  socklen_t len = sizeof addr;
  ::getsockname(control_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  if (::pipe2(control_wake_, O_CLOEXEC | O_NONBLOCK) != 0) return Unexpected(std::string("pipe failed"));
  control_thread_ = std::thread([this] { control_loop(); });
  return static_cast<int>(ntohs(addr.sin_port));
}

Result<void, std::string> AlfenSimRunner::load_scenario(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  std::vector<std::pair<double, std::string>> events;
  while (std::getline(in, line)) {
    ++n;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream words(line);
    std::string first;
    if (!(words >> first)) continue;
    if (first == "at") {
      std::string t;
      words >> t;
      char* end = nullptr;
      const double at_s = std::strtod(t.c_str(), &end);
      if (t.empty() || (*end != '\0' && std::string(end) != "s") || !std::isfinite(at_s) || at_s < 0)
        return Unexpected("line " + std::to_string(n) + ": expected 'at SECONDS COMMAND'");
      std::string rest;
      std::getline(words, rest);
      events.emplace_back(at_s, rest);
    } else {
      const auto reply = command(line);
      if (reply.rfind("error", 0) == 0) return Unexpected("line " + std::to_string(n) + ": " + reply);
    }
  }
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  events_ = std::move(events);
  if (!events_.empty()) scenario_thread_ = std::thread([this] { scenario_loop(); });
  return {};
}

void AlfenSimRunner::scenario_loop() {
  const double t0 = station_.sim_seconds();
  std::size_t next = 0;
  while (!stopping_.load() && next < events_.size()) {
    if (station_.sim_seconds() - t0 >= events_[next].first) {
      command(events_[next].second);
      ++next;
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string AlfenSimRunner::command(const std::string& line) {
  std::istringstream words(line);
  std::string cmd;
  words >> cmd;
  if (cmd == "offline" || cmd == "online" || cmd == "restart" || cmd == "drop") {
    std::lock_guard lock(server_mu_);
    if (!server_) return "error the Modbus server was never started";
    if (cmd == "drop") {
      server_->drop_clients();
      return "ok";
    }
    if (cmd == "offline" || cmd == "restart") server_->stop();
    if (cmd == "restart") station_.reboot();
    if (cmd == "online" || cmd == "restart") {
      auto p = server_->start();
      if (!p) return "error " + p.error();
    }
    return "ok";
  }
  return station_.command(line);
}

void AlfenSimRunner::control_loop() {
  std::map<int, std::string> clients;  // fd → partial line
  while (!stopping_.load()) {
    std::vector<pollfd> fds{{control_wake_[0], POLLIN, 0}, {control_fd_, POLLIN, 0}};
    for (const auto& [fd, buf] : clients) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR) break;
    if (stopping_.load()) break;
    if (fds[1].revents & POLLIN) {
      const int c = ::accept4(control_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) clients[c] = "";
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const int fd = fds[i].fd;
      char buf[512];
      const auto n = ::read(fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fd);
        clients.erase(fd);
        continue;
      }
      auto& pending = clients[fd];
      pending.append(buf, static_cast<std::size_t>(n));
      for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const std::string reply = command(line) + "\n";
        [[maybe_unused]] const auto w = ::write(fd, reply.data(), reply.size());
      }
    }
  }
  for (const auto& [fd, buf] : clients) ::close(fd);
}

void AlfenSimRunner::stop() {
  stopping_.store(true);
  if (control_thread_.joinable()) {
    const char b = 'q';
    [[maybe_unused]] const auto n = ::write(control_wake_[1], &b, 1);
    control_thread_.join();
  }
  if (scenario_thread_.joinable()) scenario_thread_.join();
  for (int* fd : {&control_fd_, &control_wake_[0], &control_wake_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  std::lock_guard lock(server_mu_);
  if (server_) server_->stop();
}

}  // namespace emsgw::drivers::alfen
