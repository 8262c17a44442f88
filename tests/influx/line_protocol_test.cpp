// Line protocol encoding (protocols.md §7.1).
#include "gateway/influx/line_protocol.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gateway/influx/gzip.hpp"

namespace emsgw::gateway::influx {
namespace {

const ems::WallTime kT = ems::WallTime(std::chrono::milliseconds(1556813561098));

std::string line(const Point& p, Precision prec = Precision::Nanoseconds) {
  auto r = encode_line(p, prec);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : "";
}

TEST(LineProtocol, ReferenceExample) {
  Point p{"grid", {{"phase", "L1"}, {"meter", "p1"}}, {{"power_w", -512.3}, {"current_a", std::int64_t{2}}}, kT};
  EXPECT_EQ(line(p), "grid,meter=p1,phase=L1 power_w=-512.3,current_a=2i 1556813561098000000");
}

TEST(LineProtocol, TagsAreSortedByKeyInByteOrder) {
  Point p{"m", {{"b", "1"}, {"B", "2"}, {"a", "3"}, {"_z", ""}}, {{"v", 1.0}}, kT};
  p.tags.pop_back();
  EXPECT_EQ(line(p, Precision::Seconds), "m,B=2,a=3,b=1 v=1 1556813561");
}

TEST(LineProtocol, EmptyTagValuesAreLeftOut) {
  Point p{"m", {{"station", ""}, {"socket", "1"}}, {{"v", 1.0}}, kT};
  EXPECT_EQ(line(p, Precision::Seconds), "m,socket=1 v=1 1556813561");
}

TEST(LineProtocol, EscapesEachElementByItsRules) {
  Point p{"my meas,x", {{"tag key=1", "v a,l=ue"}}, {{"f ield,=", std::string("say \"hi\" \\ there")}}, kT};
  EXPECT_EQ(line(p, Precision::Milliseconds),
            R"(my\ meas\,x,tag\ key\=1=v\ a\,l\=ue f\ ield\,\=="say \"hi\" \\ there" 1556813561098)");
  // Equals signs and quotes need no escaping in a measurement; quotes are literal in tags.
  EXPECT_EQ(escape_measurement("a=b\"c"), "a=b\"c");
  EXPECT_EQ(escape_key("q\"uote"), "q\"uote");
}

TEST(LineProtocol, FieldTypesAndPrecisions) {
  Point p{"m",
          {},
          {{"f", 1.5}, {"i", std::int64_t{-7}}, {"u", std::uint64_t{7}}, {"b", true}, {"s", std::string("x")}},
          kT};
  EXPECT_EQ(line(p, Precision::Microseconds), "m f=1.5,i=-7i,u=7u,b=true,s=\"x\" 1556813561098000");
  EXPECT_EQ(timestamp(kT, Precision::Seconds), 1556813561);
  EXPECT_EQ(timestamp(kT, Precision::Milliseconds), 1556813561098);
  EXPECT_EQ(precision_name(Precision::Nanoseconds, 1), "n");
  EXPECT_EQ(precision_name(Precision::Nanoseconds, 2), "ns");
  EXPECT_EQ(precision_name(Precision::Microseconds, 1), "u");
  EXPECT_EQ(precision_name(Precision::Microseconds, 2), "us");
}

TEST(LineProtocol, FloatsRoundTripExactly) {
  for (double d : {0.1, 1e-300, -1.2e78, 123456789.123456789, 230.0}) {
    Point p{"m", {}, {{"v", d}}, kT};
    const auto l = line(p, Precision::Seconds);
    const auto start = l.find('=') + 1;
    EXPECT_EQ(std::stod(l.substr(start, l.find(' ', start) - start)), d) << l;
  }
}

TEST(LineProtocol, RefusesWhatInfluxDbWouldReject) {
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(encode_line({"m", {}, {}, kT}, Precision::Seconds));                                  // no field
  EXPECT_FALSE(encode_line({"", {}, {{"v", 1.0}}, kT}, Precision::Seconds));                         // no name
  EXPECT_FALSE(encode_line({"_m", {}, {{"v", 1.0}}, kT}, Precision::Seconds));                       // reserved
  EXPECT_FALSE(encode_line({"m", {}, {{"_v", 1.0}}, kT}, Precision::Seconds));                       // reserved
  EXPECT_FALSE(encode_line({"m", {}, {{"v", nan}}, kT}, Precision::Seconds));                        // NaN
  EXPECT_FALSE(encode_line({"m", {{"t", "a\nb"}}, {{"v", 1.0}}, kT}, Precision::Seconds));           // newline
  EXPECT_FALSE(encode_line({"m", {{"t", "a\\"}}, {{"v", 1.0}}, kT}, Precision::Seconds));            // trailing '\'
  EXPECT_FALSE(encode_line({"m", {{"t", "1"}, {"t", "2"}}, {{"v", 1.0}}, kT}, Precision::Seconds));  // twice
  EXPECT_FALSE(encode_line({"m", {}, {{"v", std::string("a\nb")}}, kT}, Precision::Seconds));        // newline
  EXPECT_TRUE(encode_line({"m", {}, {{"v", std::string("a\\b\"")}}, kT}, Precision::Seconds));
}

TEST(LineEncoder, KeepsEachFieldsFirstType) {
  LineEncoder enc(Precision::Seconds);
  ASSERT_TRUE(enc.encode({"m", {}, {{"power_w", 1.0}, {"count", std::int64_t{1}}}, kT}));
  // An integer for a float field is written as a float.
  auto r = enc.encode({"m", {}, {{"power_w", std::int64_t{2}}}, kT});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "m power_w=2 1556813561");
  // A float for an integer field, or a string for a float field, is refused.
  EXPECT_FALSE(enc.encode({"m", {}, {{"count", 2.5}}, kT}));
  EXPECT_FALSE(enc.encode({"m", {}, {{"power_w", std::string("high")}}, kT}));
  // Types are per measurement.
  EXPECT_TRUE(enc.encode({"other", {}, {{"count", 2.5}}, kT}));
}

TEST(Gzip, RoundTrips) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "grid,phase=L1 power_w=" + std::to_string(i) + " " + std::to_string(i) + "\n";
  const auto gz = gzip_compress(text);
  ASSERT_TRUE(gz);
  EXPECT_LT(gz->size(), text.size() / 4);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
  EXPECT_EQ(gzip_decompress(*gz), text);
  EXPECT_FALSE(gzip_decompress("not gzip"));
}

}  // namespace
}  // namespace emsgw::gateway::influx
