#include "tests/influx/influxd_fixture.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/process.hpp"

namespace emsgw::test {

namespace fs = std::filesystem;

Influxd::Influxd() {
  static int instance = 0;
  dir_ =
      (fs::temp_directory_path() / ("emsgw-influxd-" + std::to_string(::getpid()) + "-" + std::to_string(instance++)))
          .string();
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  http_port_ = free_loopback_port();
  do {
    rpc_port_ = free_loopback_port();
  } while (rpc_port_ == http_port_);
  std::ofstream(dir_ + "/influxd.conf") << "reporting-disabled = true\n"
                                        << "bind-address = \"127.0.0.1:" << rpc_port_ << "\"\n"
                                        << "[meta]\n  dir = \"" << dir_ << "/meta\"\n  logging-enabled = false\n"
                                        << "[data]\n  dir = \"" << dir_ << "/data\"\n  wal-dir = \"" << dir_
                                        << "/wal\"\n  query-log-enabled = false\n"
                                        << "[retention]\n  enabled = false\n"
                                        << "[shard-precreation]\n  enabled = false\n"
                                        << "[monitor]\n  store-enabled = false\n"
                                        << "[http]\n  enabled = true\n  bind-address = \"127.0.0.1:" << http_port_
                                        << "\"\n  log-enabled = false\n"
                                        << "[continuous_queries]\n  enabled = false\n"
                                        << "[subscriber]\n  enabled = false\n"
                                        << "[[graphite]]\n  enabled = false\n[[udp]]\n  enabled = false\n"
                                        << "[[collectd]]\n  enabled = false\n[[opentsdb]]\n  enabled = false\n";
}

Influxd::~Influxd() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

bool Influxd::start() {
  if (pid_ > 0) return true;
  const std::string conf = dir_ + "/influxd.conf";
  const std::string log = dir_ + "/influxd.log";
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execlp("influxd", "influxd", "run", "-config", conf.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  httplib::Client c("127.0.0.1", http_port_);
  c.set_connection_timeout(std::chrono::milliseconds(200));
  for (int i = 0; i < 200; ++i) {
    if (auto r = c.Get("/ping"); r && r->status == 204) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void Influxd::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 200; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

nlohmann::json Influxd::query(const std::string& db, const std::string& q) const {
  httplib::Client c("127.0.0.1", http_port_);
  const httplib::Params params{{"db", db}, {"epoch", "ms"}, {"q", q}};
  auto r = c.Get("/query", params, httplib::Headers{});
  if (!r || r->status != 200) return nullptr;
  return nlohmann::json::parse(r->body, nullptr, false);
}

bool Influxd::create_database(const std::string& db) const {
  httplib::Client c("127.0.0.1", http_port_);
  const httplib::Params params{{"q", "CREATE DATABASE \"" + db + "\""}};
  auto r = c.Post("/query", params);
  return r && r->status == 200;
}

std::string Influxd::log() const {
  return read_file(dir_ + "/influxd.log");
}

}  // namespace emsgw::test
