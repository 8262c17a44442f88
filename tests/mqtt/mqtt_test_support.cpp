#include "tests/mqtt/mqtt_test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "tests/support/process.hpp"

namespace emsgw::mqtt::test {

SiteDescription sample_site() {
  SiteDescription d;
  auto& s = d.site;
  s.name = "Home Lab";
  s.grid_max_current_a = 25;
  s.safety_margin_a = 1;
  ems::StationConfig carport;
  carport.name = "carport";
  carport.max_current_a = 32;
  ems::SocketConfig s1;
  s1.id = 1;
  s1.unit = 1;
  s1.max_current_a = 16;
  s1.safe_current_a = 6;
  ems::SocketConfig s2 = s1;
  s2.id = 2;
  s2.unit = 2;
  carport.sockets = {s1, s2};
  ems::StationConfig garage;
  garage.name = "garage";
  garage.max_current_a = 16;
  ems::SocketConfig s3 = s1;
  s3.id = 3;
  s3.safe_current_a = 0;
  garage.sockets = {s3};
  s.stations = {carport, garage};
  d.has_pv = true;
  d.has_heatpump = true;
  d.sw_version = "0.1.0";
  return d;
}

ems::SiteStatus sample_status(std::uint64_t step) {
  const auto d = sample_site();
  ems::SiteStatus st;
  st.sequence = step;
  st.site_name = d.site.name;
  st.grid_max_current_a = d.site.grid_max_current_a;
  st.safety_margin_a = d.site.safety_margin_a;
  st.budget_a = {24, 24, 24};
  st.ev_allocated_a = {10, 10, 10};
  const double k = static_cast<double>(step % 100);
  st.grid.current_a = {10.0 + k / 10, 11.0, 12.0};
  st.grid.power_w = {2300.0 + k, 2530.0, 2760.0};
  st.grid.voltage_v = {230.1, 229.8, 231.0};
  st.grid.power_w_total = 7590.0 + k;
  st.grid.import_wh = 1'000'000.0 + static_cast<double>(step) * 10;
  st.grid.export_wh = 50'000.0;
  st.grid.stale = false;
  st.pv = {true, 1200.0 + k, 300'000.0 + static_cast<double>(step), false};
  st.heatpump.configured = true;
  st.heatpump.power_w = 800.0;
  st.heatpump.sg_ready_state = 2;
  for (const auto& station : d.site.stations) {
    ems::StationStatus ss;
    ss.name = station.name;
    ss.online = true;
    ss.platform = "NG910";
    st.stations.push_back(ss);
    for (const auto& so : station.sockets) {
      ems::SocketStatus x;
      x.id = so.id;
      x.station = station.name;
      x.unit = so.unit;
      x.mode = so.mode;
      x.state = so.id == 1 ? ems::SocketState::Charging : ems::SocketState::Available;
      x.ev_connected = so.id == 1;
      x.charging = so.id == 1;
      x.mode3 = so.id == 1 ? "C2" : "A";
      x.current_a = {so.id == 1 ? 10.0 : 0.0, so.id == 1 ? 10.0 : 0.0, so.id == 1 ? 10.0 : 0.0};
      x.phases_in_use = so.id == 1 ? 3 : 0;
      x.setpoint_a = so.id == 1 ? 10 : 0;
      x.applied_a = x.setpoint_a;
      x.max_current_a = so.max_current_a;
      x.reason = so.id == 1 ? "grid_l1" : "";
      x.reason_text = so.id == 1 ? "limited by grid phase L1" : "";
      x.session_energy_wh = so.id == 1 ? 1000.0 + static_cast<double>(step) : 0.0;
      x.total_energy_wh = 500'000.0 + static_cast<double>(step);
      x.online = true;
      st.sockets.push_back(x);
    }
  }
  return st;
}

namespace {
bool port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

MosquittoBroker::MosquittoBroker(const std::string& extra_config) : port_(emsgw::test::free_loopback_port()) {
  config_path_ = emsgw::test::write_temp_file(
      "mosquitto-" + std::to_string(port_) + ".conf",
      "listener " + std::to_string(port_) + " 127.0.0.1\n" +
          (extra_config.find("allow_anonymous") == std::string::npos ? "allow_anonymous true\n" : "") +
          "persistence false\n" + extra_config);
  start();
}

MosquittoBroker::~MosquittoBroker() {
  stop();
}

void MosquittoBroker::start() {
  if (pid_ > 0) return;
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // Quiet child: mosquitto logs to stderr by default.
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    ::execl("/usr/sbin/mosquitto", "mosquitto", "-c", config_path_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  for (int i = 0; i < 500; ++i) {
    if (port_open(port_)) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("mosquitto exited at start (port " + std::to_string(port_) + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop();
  throw std::runtime_error("mosquitto did not open port " + std::to_string(port_));
}

void MosquittoBroker::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

Observer::Observer(const std::string& url, std::vector<std::string> filters)
    : client_(std::make_unique<::mqtt::async_client>(url, "observer-" + std::to_string(::getpid()) + "-" +
                                                              std::to_string(reinterpret_cast<std::uintptr_t>(this)))) {
  client_->set_message_callback([this](::mqtt::const_message_ptr msg) {
    {
      std::lock_guard lock(m_);
      messages_.push_back({msg->get_topic(), msg->to_string(), msg->is_retained()});
    }
    cv_.notify_all();
  });
  client_->connect(::mqtt::connect_options_builder().clean_session(true).finalize())->wait();
  for (const auto& f : filters) client_->subscribe(f, 1)->wait();
}

Observer::~Observer() {
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const std::exception&) {
  }
}

std::optional<Received> Observer::wait_for(const std::string& topic, std::chrono::milliseconds timeout,
                                           const std::function<bool(const Received&)>& pred) {
  std::unique_lock lock(m_);
  std::optional<Received> found;
  cv_.wait_for(lock, timeout, [&] {
    for (const auto& r : messages_)
      if (r.topic == topic && (!pred || pred(r))) {
        found = r;
        return true;
      }
    return false;
  });
  return found;
}

std::optional<Received> Observer::last(const std::string& topic) const {
  std::lock_guard lock(m_);
  for (auto it = messages_.rbegin(); it != messages_.rend(); ++it)
    if (it->topic == topic) return *it;
  return std::nullopt;
}

std::vector<Received> Observer::all() const {
  std::lock_guard lock(m_);
  return messages_;
}

void Observer::clear() {
  std::lock_guard lock(m_);
  messages_.clear();
}

void Observer::publish(const std::string& topic, const std::string& payload, bool retain) {
  client_->publish(topic, payload.data(), payload.size(), 1, retain)->wait();
}

void ApplyingSink::submit(ems::Command command, std::function<void(ems::CommandReply)> reply) {
  ems::CommandReply r;
  {
    std::lock_guard lock(m_);
    r.issues = ems::apply_command(site_, command);
    r.accepted = r.issues.empty();
    if (r.accepted) {
      if (std::holds_alternative<ems::Suspend>(command)) suspended_ = true;
      if (std::holds_alternative<ems::Resume>(command)) suspended_ = false;
      r.message = ems::describe(command) + ": done";
    } else {
      r.message = ems::describe(command) + ": refused: " + r.issues.front().key + " " + r.issues.front().rule;
    }
  }
  // Replies from another thread, as the control loop does.
  std::thread([reply = std::move(reply), r = std::move(r)]() mutable { reply(std::move(r)); }).detach();
}

ems::SiteConfig ApplyingSink::site() const {
  std::lock_guard lock(m_);
  return site_;
}

bool ApplyingSink::suspended() const {
  std::lock_guard lock(m_);
  return suspended_;
}

}  // namespace emsgw::mqtt::test
