// Encoding against byte-exact frames from alfen-modbus.md §1.1 and §4.2, and the register tables.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "drivers/alfen/alfen_registers.hpp"
#include "drivers/alfen/alfen_station.hpp"
#include "drivers/alfen/mode3.hpp"
#include "drivers/modbus/libmodbus_transport.hpp"

namespace emsgw::drivers::alfen {
namespace {

TEST(AlfenEncoding, SetpointFloatsHighWordFirst) {
  EXPECT_EQ(encode_current(8.0), (std::array<std::uint16_t, 2>{0x4100, 0x0000}));   // §1.1
  EXPECT_EQ(encode_current(16.0), (std::array<std::uint16_t, 2>{0x4180, 0x0000}));  // §4.2
  EXPECT_EQ(encode_current(6.0), (std::array<std::uint16_t, 2>{0x40C0, 0x0000}));   // §1.2
  EXPECT_EQ(encode_current(32.0), (std::array<std::uint16_t, 2>{0x4200, 0x0000}));
  EXPECT_EQ(encode_current(0.0), (std::array<std::uint16_t, 2>{0x0000, 0x0000}));
}

TEST(AlfenEncoding, DecodesTheTracedReads) {
  // §1.1: 344 → 45 5a f4 cd = 3503.3 W; 320 → 41 0d 26 ea = 8.82 A; 374 → 41 12 7b 58 00 00 00 00.
  const std::uint16_t p[] = {0x455a, 0xf4cd};
  EXPECT_NEAR(decode(p, ValueType::Float32), 3503.3, 0.05);
  const std::uint16_t i[] = {0x410d, 0x26ea};
  EXPECT_NEAR(decode(i, ValueType::Float32), 8.82, 0.005);
  const std::uint16_t e[] = {0x4112, 0x7b58, 0, 0};
  EXPECT_NEAR(decode(e, ValueType::Float64), 302806, 0.5);
  const std::uint16_t m[] = {0x4231, 0, 0, 0, 0};  // "B1"
  EXPECT_EQ(parse_mode3(decode_string(m)), Mode3State::B1);
}

/// Accepts one connection, records the request bytes and answers with the FC16 echo.
class FrameCapture {
 public:
  FrameCapture() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 1);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::uint8_t buf[300];
      const auto n = ::read(c, buf, sizeof buf);
      if (n > 0) bytes_.assign(buf, buf + n);
      if (n >= 12) {
        std::uint8_t echo[12];
        std::copy(buf, buf + 12, echo);
        echo[4] = 0;
        echo[5] = 6;  // MBAP length: unit + 5 PDU bytes
        [[maybe_unused]] const auto w = ::write(c, echo, 12);
      }
      ::close(c);
    });
  }
  ~FrameCapture() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::vector<std::uint8_t> bytes() {
    if (thread_.joinable()) thread_.join();
    return bytes_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::vector<std::uint8_t> bytes_;
};

TEST(AlfenEncoding, SixteenAmpsIsTheDocumentedFrameOnTheWire) {
  FrameCapture cap;
  TcpLink link;
  link.host = "127.0.0.1";
  link.port = cap.port();
  LibmodbusTcpTransport t(link);
  const auto regs = encode_current(16.0);
  ASSERT_TRUE(t.write_multiple(1, kSetpoint.address, regs));
  const auto b = cap.bytes();
  ASSERT_EQ(b.size(), 7u + 10u);
  // MBAP: transaction id (any), protocol 0, length 11.
  EXPECT_EQ(b[2], 0);
  EXPECT_EQ(b[3], 0);
  EXPECT_EQ(b[4], 0);
  EXPECT_EQ(b[5], 11);
  const std::vector<std::uint8_t> frame(b.begin() + 6, b.end());
  EXPECT_EQ(frame, (std::vector<std::uint8_t>{0x01, 0x10, 0x04, 0xBA, 0x00, 0x02, 0x04, 0x41, 0x80, 0x00, 0x00}));
}

TEST(AlfenRegisters, TablesMatchTheDocument) {
  EXPECT_EQ(kSetpoint.address, 1210);
  EXPECT_EQ(kSetpoint.access, Access::ReadWrite);
  EXPECT_EQ(kPhases.address, 1215);
  EXPECT_EQ(kValidTime.type, ValueType::U32);
  EXPECT_EQ(kEnergyDelivered.type, ValueType::Float64);
  EXPECT_EQ(kScnMaxL1.address, 1417);
  EXPECT_EQ(kScnMaxL3.address, 1421);
  // Every register lies inside exactly one readable block of its unit type (§4.8).
  for (const bool station : {true, false}) {
    for (const auto& r : station ? station_registers() : socket_registers()) {
      int inside = 0;
      for (const auto& b : blocks())
        if (b.station_unit == station && r.address >= b.start && r.address + r.count <= b.start + b.count) ++inside;
      EXPECT_EQ(inside, 1) << r.key;
      if (r.kind == Kind::Number) {
        EXPECT_EQ(r.count, register_count(r.type)) << r.key;
      }
    }
  }
  // Only 1210, 1215 and the SCN set-points are writable.
  int writable = 0;
  for (const auto& r : station_registers()) writable += r.access == Access::ReadWrite;
  for (const auto& r : socket_registers()) writable += r.access == Access::ReadWrite;
  EXPECT_EQ(writable, 5);
  EXPECT_EQ(kIdentificationBlock.start + kIdentificationBlock.count - 1, 178);
  EXPECT_EQ(kScnBlock.start + kScnBlock.count - 1, 1431);
}

TEST(AlfenMode3, ParsesEveryStateAndNothingElse) {
  for (const auto* s : {"A", "B1", "B2", "C1", "C2", "D1", "D2", "E", "F"}) {
    const auto m = parse_mode3(s);
    ASSERT_TRUE(m.has_value()) << s;
    EXPECT_EQ(to_string(*m), s);
    EXPECT_FALSE(describe(*m).empty());
  }
  EXPECT_FALSE(parse_mode3("").has_value());
  EXPECT_FALSE(parse_mode3("C3").has_value());
  EXPECT_TRUE(charging(Mode3State::C2));
  EXPECT_FALSE(charging(Mode3State::C1));
  EXPECT_TRUE(vehicle_connected(Mode3State::B1));
  EXPECT_FALSE(vehicle_connected(Mode3State::E));
}

}  // namespace
}  // namespace emsgw::drivers::alfen
