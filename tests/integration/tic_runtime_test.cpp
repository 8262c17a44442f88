// TIC (Linky) in the running product: frames of the project's TIC corpus written to a pty (a TIC
// serial adapter) reach a real emsgw runtime, in historique and standard mode; tic_mode from the
// file selects the baud rate; a producer meter's export shows as negative grid current.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/integration/site_rig.hpp"

namespace emsgw::test {
namespace {

std::string corpus_frame(const std::string& name) {
  std::ifstream f(std::filesystem::path(EMSGW_SOURCE_DIR) / "tests/tic/corpus" / (name + ".bin"), std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

/// A pty whose master side sends `frame` every 500 ms (a Linky sends continuously).
class TicPty {
 public:
  explicit TicPty(std::string frame) : frame_(std::move(frame)) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    char name[128];
    if (::ptsname_r(master_, name, sizeof name) != 0) return;
    path_ = name;
    slave_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);  // held open: no hang-up between readers
    termios t{};
    ::tcgetattr(slave_, &t);
    ::cfmakeraw(&t);
    ::tcsetattr(slave_, TCSANOW, &t);
    thread_ = std::thread([this] {
      while (running_) {
        [[maybe_unused]] const auto n = ::write(master_, frame_.data(), frame_.size());
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    });
  }
  ~TicPty() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
    if (slave_ >= 0) ::close(slave_);
    if (master_ >= 0) ::close(master_);
  }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string frame_;
  std::string path_;
  int master_ = -1;
  int slave_ = -1;
  std::atomic<bool> running_{true};
  std::thread thread_;
};

std::string with_meter(std::string toml, const std::string& meter) {
  const auto from = toml.find("[meter.grid]");
  const auto to = toml.find("\n[", from + 1);
  toml.replace(from, to - from, meter);
  return toml;
}

struct TicSite {
  drivers::SystemClock clock;
  std::unique_ptr<gateway::SimulatedSite> site;
  std::unique_ptr<gateway::Runtime> runtime;
  gateway::Config config;

  explicit TicSite(const std::string& meter_toml) {
    site = std::make_unique<gateway::SimulatedSite>(three_car_site());
    site->start();
    config = gateway::load_config_text(with_meter(site->config_toml(), meter_toml), "tic-site.toml");
    runtime = std::make_unique<gateway::Runtime>(config, clock, gateway::make_meter, gateway::make_station,
                                                 /*with_services=*/false);
    runtime->start();
  }
  ~TicSite() {
    runtime.reset();
    site.reset();
  }
  std::shared_ptr<const ems::SiteStatus> wait_for_grid(double timeout_s) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < timeout_s) {
      auto st = runtime->loop().status();
      if (st && st->grid.age_s && st->grid.current_a[0]) return st;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return nullptr;
  }
};

TEST(TicRuntime, HistoriqueThreePhaseFramesReachTheControlLoop) {
  TicPty pty(corpus_frame("hist_hc_3ph"));
  ASSERT_FALSE(pty.path().empty());
  TicSite s("[meter.grid]\nkind = \"tic-serial\"\ndevice = \"" + pty.path() + "\"\n");
  EXPECT_EQ(s.config.meters.at("grid").serial.baud, 1200);
  const auto st = s.wait_for_grid(20);
  ASSERT_TRUE(st) << "no TIC reading in the running product";
  EXPECT_DOUBLE_EQ(*st->grid.current_a[0], 4.0);
  EXPECT_DOUBLE_EQ(*st->grid.current_a[1], 9.0);
  EXPECT_DOUBLE_EQ(*st->grid.current_a[2], 1.0);
  ASSERT_TRUE(st->grid.import_wh.has_value());
  EXPECT_DOUBLE_EQ(*st->grid.import_wh, 10736379.0);
}

TEST(TicRuntime, StandardModeFromTheFileIs9600BaudAndAProducerShowsExport) {
  TicPty pty(corpus_frame("std_3ph_producer"));
  ASSERT_FALSE(pty.path().empty());
  TicSite s("[meter.grid]\nkind = \"tic-serial\"\ndevice = \"" + pty.path() + "\"\ntic_mode = \"standard\"\n");
  EXPECT_EQ(s.config.meters.at("grid").serial.baud, 9600);
  const auto st = s.wait_for_grid(20);
  ASSERT_TRUE(st) << "no TIC reading in the running product";
  EXPECT_DOUBLE_EQ(*st->grid.current_a[0], -9.0);
  EXPECT_DOUBLE_EQ(*st->grid.current_a[1], 2.0);
  EXPECT_DOUBLE_EQ(*st->grid.current_a[2], -8.0);
  ASSERT_TRUE(st->grid.power_w_total.has_value());
  EXPECT_DOUBLE_EQ(*st->grid.power_w_total, -3470.0);
  ASSERT_TRUE(st->grid.export_wh.has_value());
  EXPECT_DOUBLE_EQ(*st->grid.export_wh, 11840005.0);
}

TEST(TicRuntime, AnExplicitBaudWinsOverTheModeDefault) {
  gateway::SimulatedSite site(three_car_site());
  site.start();
  const auto cfg = gateway::load_config_text(
      with_meter(
          site.config_toml(),
          "[meter.grid]\nkind = \"tic-serial\"\ndevice = \"/dev/ttyUSB0\"\ntic_mode = \"standard\"\nbaud = 1200\n"),
      "tic.toml");
  EXPECT_EQ(cfg.meters.at("grid").serial.baud, 1200);
}

}  // namespace
}  // namespace emsgw::test
