// The device registry: a new meter kind is one folder (tests/devices/textline_meter/: its driver
// and its traits) plus one registry line (register_meter_kind below). Configuration parsing,
// validation, the configuration JSON, the meter factory and the dashboard's probe all take it
// with no other edit. And [[station]] kind: "alfen" by default, any other value refused, the
// Alfen rules checked by the Alfen driver's entry.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "drivers/alfen/alfen_station_rules.hpp"
#include "drivers/system_clock.hpp"
#include "gateway/config/config_json.hpp"
#include "gateway/devices/device_factories.hpp"
#include "gateway/devices/device_kinds.hpp"
#include "gateway/devices/device_probes.hpp"
#include "tests/config/config_test_util.hpp"
#include "tests/devices/textline_meter/textline_meter.hpp"

namespace emsgw::test {
namespace {

using ::testing::HasSubstr;

/// A text-line meter on 127.0.0.1 (ephemeral port): "READ <unit>" → "12.5 -3 0.25" for unit 2,
/// "1 1 1" for any other unit.
class TextlineServer {
 public:
  TextlineServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TextlineServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] int requests() const { return requests_; }

 private:
  void serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[64] = {};
      const auto n = ::recv(c, buf, sizeof buf - 1, 0);
      std::istringstream in(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0));
      std::string verb;
      int unit = 0;
      in >> verb >> unit;
      if (verb == "READ") {
        ++requests_;
        const std::string reply = unit == 2 ? "12.5 -3 0.25\n" : "1 1 1\n";
        (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

class DeviceRegistry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gateway::register_meter_kind(textline_meter_kind());  // the one registry line
  }
};

/// The brief's example with its grid meter replaced by `grid` (the section's keys).
std::string with_grid_meter(const std::string& grid) {
  return replace(issue_example(),
                 "kind = \"modbus-tcp\"          # also \"modbus-rtu\", \"dsmr-serial\", \"dsmr-tcp\", \"tic-serial\"\n"
                 "host = \"127.0.0.1\"\nport = 1502\nunit = 1\npreset = \"eastron-sdm630\"\npoll_interval_ms = 250\n",
                 grid);
}

TEST_F(DeviceRegistry, TheConfigFileReadsTheNewKindWithItsDefaults) {
  const auto cfg = gateway::load_config_text(
      with_grid_meter("kind = \"textline-tcp\"\nhost = \"127.0.0.1\"\nunit = 2\npoll_interval_ms = 500\n"), "t.toml");
  const auto& m = cfg.meters.at("grid");
  EXPECT_EQ(m.kind, "textline-tcp");
  EXPECT_EQ(m.host, "127.0.0.1");
  EXPECT_EQ(m.port, 7070);  // the kind's default port
  EXPECT_EQ(m.unit, 2);
}

TEST_F(DeviceRegistry, KeysTheNewKindDoesNotReadAreRefusedAsUnknown) {
  const auto errors = errors_of(with_grid_meter(
      "kind = \"textline-tcp\"\nhost = \"127.0.0.1\"\npreset = \"eastron-sdm630\"\npoll_interval_ms = 500\n"));
  const auto e = error_for(errors, "meter.grid.preset");
  EXPECT_GT(e.line, 0);
}

TEST_F(DeviceRegistry, ValidationAppliesTheKindsTraitsAndItsOwnRule) {
  const auto errors = errors_of(
      with_grid_meter("kind = \"textline-tcp\"\nhost = \"127.0.0.1\"\nport = 0\nunit = 10\npoll_interval_ms = 250\n"));
  const auto unit = error_for(errors, "meter.grid.unit");
  EXPECT_EQ(unit.value, "10");
  EXPECT_THAT(unit.rule, HasSubstr("must be between 1 and 9"));
  const auto port = error_for(errors, "meter.grid.port");
  EXPECT_THAT(port.rule, HasSubstr("must be between 1 and 65535"));
  const auto poll = error_for(errors, "meter.grid.poll_interval_ms");
  EXPECT_EQ(poll.value, "250");
  EXPECT_THAT(poll.rule, HasSubstr("at most twice a second"));
}

TEST_F(DeviceRegistry, AnUnknownKindIsRefusedWithEveryKnownKindNamed) {
  const auto e =
      error_for(errors_of(with_grid_meter("kind = \"textline\"\nhost = \"127.0.0.1\"\n")), "meter.grid.kind");
  EXPECT_EQ(e.value, "\"textline\"");
  EXPECT_THAT(e.rule, HasSubstr("modbus-tcp, modbus-rtu, dsmr-serial, dsmr-tcp, tic-serial, sunspec-tcp"));
  EXPECT_THAT(e.rule, HasSubstr("textline-tcp"));
}

TEST_F(DeviceRegistry, TheMeterFactoryBuildsTheKindsDriverAndItReads) {
  TextlineServer server;
  drivers::MeterSettings s;
  s.kind = "textline-tcp";
  s.host = "127.0.0.1";
  s.port = server.port();
  s.unit = 2;
  drivers::SystemClock clock;
  auto meter = gateway::make_meter(s, clock);
  ASSERT_NE(meter, nullptr);
  EXPECT_THAT(meter->describe(), HasSubstr("text-line meter"));
  const auto r = meter->poll();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_DOUBLE_EQ(*r->current_a[0].value(), 12.5);
  EXPECT_DOUBLE_EQ(*r->current_a[1].value(), -3.0);
  EXPECT_DOUBLE_EQ(*r->current_a[2].value(), 0.25);
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(DeviceRegistry, TheConfigurationJsonListsTheKindAndAPatchMayChooseIt) {
  const auto cfg = gateway::load_config_text(issue_example(), "example.toml");
  const auto doc = gateway::config_to_json(cfg);
  ASSERT_TRUE(doc.contains("meter_kinds"));
  const auto kinds = doc["meter_kinds"].get<std::vector<std::string>>();
  EXPECT_THAT(kinds, ::testing::Contains("textline-tcp"));
  EXPECT_THAT(kinds, ::testing::Contains("dsmr-serial"));
  const auto stations = doc["station_kinds"].get<std::vector<std::string>>();
  EXPECT_EQ(stations, std::vector<std::string>{"alfen"});

  const auto ok = gateway::apply_config_patch(
      cfg, nlohmann::json::parse(R"({"meter":{"grid":{"kind":"textline-tcp","unit":3,"poll_interval_ms":500}}})"));
  ASSERT_TRUE(ok.has_value()) << ok.error().front().key << ": " << ok.error().front().rule;
  EXPECT_EQ(ok->meters.at("grid").kind, "textline-tcp");
  const auto refused = gateway::apply_config_patch(
      cfg, nlohmann::json::parse(R"({"meter":{"grid":{"kind":"textline-tcp","unit":3,"poll_interval_ms":250}}})"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().front().key, "meter.grid.poll_interval_ms");
}

TEST_F(DeviceRegistry, TheDashboardProbeReadsTheNewKindOverItsOwnConnection) {
  TextlineServer server;
  auto cfg = gateway::load_config_text(
      with_grid_meter("kind = \"textline-tcp\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(server.port()) +
                      "\nunit = 2\npoll_interval_ms = 500\n"),
      "t.toml");
  drivers::SystemClock clock;
  gateway::DeviceProbes probes([&cfg] { return cfg; }, nullptr, gateway::make_meter, gateway::make_station, clock);
  const auto r = probes.run(webui::ProbeKind::Meter, "grid");
  EXPECT_TRUE(r.ok) << r.summary;
  EXPECT_THAT(r.summary, HasSubstr("L1 12.5 A"));
  EXPECT_EQ(r.details["kind"], "textline-tcp");
  EXPECT_EQ(server.requests(), 1);
}

TEST(StationKind, DefaultsToAlfen) {
  const auto cfg = gateway::load_config_text(issue_example(), "example.toml");
  ASSERT_EQ(cfg.station_links.size(), 1u);
  EXPECT_EQ(cfg.station_links[0].kind, "alfen");
  const auto named = gateway::load_config_text(
      replace(issue_example(), "name = \"carport\"\n", "name = \"carport\"\nkind = \"alfen\"\n"), "example.toml");
  EXPECT_EQ(named.station_links[0].kind, "alfen");
}

TEST(StationKind, AnyOtherKindIsRefusedWithKeyValueAndTheKnownKinds) {
  const auto e =
      error_for(errors_of(replace(issue_example(), "name = \"carport\"\n", "name = \"carport\"\nkind = \"wallbox\"\n")),
                "station[0].kind");
  EXPECT_EQ(e.value, "\"wallbox\"");
  EXPECT_THAT(e.rule, HasSubstr("must be one of: alfen"));
  EXPECT_GT(e.line, 0);
}

TEST(StationKind, TheAlfenRulesAreTheAlfenDriversAndTheValidatorAppliesThem) {
  auto cfg = gateway::load_config_text(issue_example(), "example.toml");
  auto& station = cfg.site.stations[0];
  station.sockets[1].unit = 3;
  station.sockets.push_back(station.sockets[0]);
  station.sockets.back().id = 7;
  const auto alfen = drivers::alfen::check_station(station, 0);
  ASSERT_EQ(alfen.size(), 3u);
  EXPECT_EQ(alfen[0].key, "station[0].socket");
  EXPECT_THAT(alfen[0].rule, HasSubstr("an Alfen station has at most 2 sockets"));
  EXPECT_EQ(alfen[1].key, "station[0].socket[1].unit");
  EXPECT_THAT(alfen[1].rule, HasSubstr("must be 1 (single or left socket) or 2"));
  EXPECT_EQ(alfen[2].key, "station[0].socket[2].unit");
  EXPECT_THAT(alfen[2].rule, HasSubstr("already used by station[0].socket[0] on the same station"));
  const auto all = gateway::validate_config(cfg);
  for (const auto& issue : alfen) EXPECT_THAT(all, ::testing::Contains(issue));
}

}  // namespace
}  // namespace emsgw::test
