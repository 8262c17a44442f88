// DSMR P1 and TIC over real byte links: the P1 emitter over TCP loopback (ephemeral port) and a
// pseudo-terminal; TIC frames written into a pty.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include "drivers/dsmr/p1_meter.hpp"
#include "drivers/dsmr/sim/p1_emitter.hpp"

namespace emsgw::drivers {
namespace {

class RealClock final : public ems::Clock {
 public:
  [[nodiscard]] ems::MonoTime mono_now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] ems::WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

TEST(P1Loopback, TcpDongleSignedCurrentsAndRunTimeChanges) {
  RealClock clock;
  sim::P1Emitter p1(clock, {50, sim::P1Flavour::Dsmr5});
  p1.set_currents({10.0, -6.0, 0.0});
  auto port = p1.start_tcp("127.0.0.1", 0);
  ASSERT_TRUE(port.has_value()) << port.error();
  TcpByteStream link("127.0.0.1", *port);
  DsmrP1Meter meter(link, clock, ems::Millis{3000});
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_DOUBLE_EQ(*r->current_a[0].value(), 10.0);
  EXPECT_DOUBLE_EQ(*r->current_a[1].value(), -6.0);  // exported: sign from 42.7.0
  EXPECT_NEAR(*r->power_w[1].value(), -1380.0, 0.5);
  ASSERT_TRUE(r->device_time.has_value());
  EXPECT_LE(std::chrono::abs(*r->device_time - r->wall), std::chrono::seconds{2});
  p1.set_currents({-16.0, 0.0, 3.0});
  bool seen = false;
  for (int i = 0; i < 20 && !seen; ++i) {
    r = meter.poll();
    ASSERT_TRUE(r.has_value()) << r.error().message;
    seen = *r->current_a[0].value() == -16.0;
  }
  EXPECT_TRUE(seen);
  p1.stop();
}

TEST(P1Loopback, InjectedFaultsAreCountedAndSkipped) {
  RealClock clock;
  sim::P1Emitter p1(clock, {30, sim::P1Flavour::Fluvius});
  p1.set_currents({4.25, 0.0, 0.0});
  auto port = p1.start_tcp("127.0.0.1", 0);
  ASSERT_TRUE(port.has_value());
  TcpByteStream link("127.0.0.1", *port);
  DsmrP1Meter meter(link, clock, ems::Millis{3000});
  ASSERT_TRUE(meter.poll().has_value());
  p1.inject(sim::P1Fault::CrcError);
  p1.inject(sim::P1Fault::Truncate);
  p1.inject(sim::P1Fault::Garbage);
  for (int i = 0; i < 5; ++i) {
    auto r = meter.poll();
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_DOUBLE_EQ(*r->current_a[0].value(), 4.25);  // Fluvius: two decimals
  }
  // The truncated telegram ends at the next '/' (Truncated) or at the garbage's '!' (CRC error).
  EXPECT_GE(meter.stats().crc_errors, 1U);
  EXPECT_GE(meter.stats().crc_errors + meter.stats().truncated + meter.stats().malformed, 2U);
  EXPECT_GT(meter.stats().garbage_bytes, 0U);
  p1.stop();
}

TEST(P1Loopback, SerialCableOnAPty) {
  RealClock clock;
  sim::P1Emitter p1(clock, {50, sim::P1Flavour::Dsmr4IntegerAmps});
  p1.set_currents({7.0, 0.0, -2.0});
  auto path = p1.start_pty();
  ASSERT_TRUE(path.has_value()) << path.error();
  SerialByteStream link({*path, 115200, 'N', 8, 1});
  DsmrP1Meter meter(link, clock, ems::Millis{3000});
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_DOUBLE_EQ(*r->current_a[0].value(), 7.0);
  EXPECT_DOUBLE_EQ(*r->current_a[2].value(), -2.0);
  EXPECT_EQ(r->voltage_v[0].why(), Invalid::Missing);  // DSMR 4 has no voltages
  p1.stop();
}

TEST(P1Loopback, SilentPortTimesOut) {
  RealClock clock;
  sim::P1Emitter p1(clock, {60000, sim::P1Flavour::Dsmr5});
  auto port = p1.start_tcp("127.0.0.1", 0);
  ASSERT_TRUE(port.has_value());
  TcpByteStream link("127.0.0.1", *port);
  DsmrP1Meter meter(link, clock, ems::Millis{200});
  (void)meter.poll();  // the first telegram goes out at once
  auto r = meter.poll();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, MeterError::Kind::Timeout);
  EXPECT_TRUE(r.error().transient);
  p1.stop();
}

TEST(TicLoopback, StandardFramesOnAPty) {
  int master = -1;
  int slave = -1;
  char name[256] = {};
  ASSERT_EQ(::openpty(&master, &slave, name, nullptr, nullptr), 0);
  termios t{};
  ::tcgetattr(slave, &t);
  ::cfmakeraw(&t);
  ::tcsetattr(slave, TCSANOW, &t);
  RealClock clock;
  SerialByteStream link({name, 9600, 'E', 7, 1});
  TicMeter meter(link, clock, ems::Millis{2000});
  const auto S = TicMode::Standard;
  std::string frame = "\x02" + tic_group(S, "ADSC", "041876097467") + tic_group(S, "IRMS1", "021") +
                      tic_group(S, "URMS1", "229") + tic_group(S, "SINSTS", "04800") + "\x03";
  ASSERT_EQ(::write(master, frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
  auto r = meter.poll();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_DOUBLE_EQ(*r->current_a[0].value(), 21.0);
  EXPECT_DOUBLE_EQ(*r->apparent_power_total_va.value(), 4800.0);
  link.close();
  ::close(slave);
  ::close(master);
}

}  // namespace
}  // namespace emsgw::drivers
