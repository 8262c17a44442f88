// The HTTP write requests (protocols.md §7.2) against an in-process cpp-httplib server on an
// ephemeral loopback port: v1 /write and v2 /api/v2/write (influxd 1.6 has no v2 API, so the v2
// form is checked here), gzip, auth, Retry-After, and an unreachable server.
#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <thread>

#include "gateway/influx/gzip.hpp"
#include "gateway/influx/influx_exporter.hpp"
#include "gateway/influx/write_transport.hpp"
#include "gateway/storage/migrations.hpp"
#include "tests/support/process.hpp"

namespace emsgw::gateway::influx {
namespace {

struct Seen {
  std::string path;
  httplib::Params params;
  httplib::Headers headers;
  std::string body;  ///< decompressed when it came gzip-encoded
};

class RecordingServer {
 public:
  RecordingServer() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      Seen s{req.path, req.params, req.headers, req.body};
      // cpp-httplib built with zlib inflates gzip bodies itself; without it, inflate here.
      if (s.body.size() > 2 && static_cast<unsigned char>(s.body[0]) == 0x1f &&
          static_cast<unsigned char>(s.body[1]) == 0x8b)
        s.body = gzip_decompress(s.body).value_or("<bad gzip>");
      seen_.push_back(std::move(s));
      if (!answers_.empty()) {
        const auto [status, retry_after] = answers_.front();
        answers_.erase(answers_.begin());
        res.status = status;
        if (!retry_after.empty()) res.set_header("Retry-After", retry_after);
        res.set_content("{\"error\":\"scripted\"}", "application/json");
      } else {
        res.status = 204;
      }
    };
    server_.Post(R"(/.*)", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~RecordingServer() {
    server_.stop();
    thread_.join();
  }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void answer(int status, std::string retry_after = "") {
    std::lock_guard lock(mu_);
    answers_.emplace_back(status, std::move(retry_after));
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::vector<std::pair<int, std::string>> answers_;
};

std::string header(const Seen& s, const std::string& key) {
  const auto it = s.headers.find(key);
  return it == s.headers.end() ? "" : it->second;
}
std::string param(const Seen& s, const std::string& key) {
  const auto it = s.params.find(key);
  return it == s.params.end() ? "(absent)" : it->second;
}

TEST(HttpWriteTransport, V2RequestHasOrgBucketTokenPrecisionAndGzip) {
  RecordingServer server;
  InfluxSettings s;
  s.url = server.url();
  s.version = 2;
  s.org = "my org";
  s.bucket = "ems&co";
  s.token = "t0k3n==";
  s.precision = Precision::Nanoseconds;
  s.gzip = true;
  auto t = make_http_write_transport(s);
  const std::string lines = "grid,phase=L1 power_w=1 1\ngrid,phase=L2 power_w=2 2";
  const auto r = t->write(lines);
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.ok());
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/api/v2/write");
  EXPECT_EQ(param(seen[0], "org"), "my org");
  EXPECT_EQ(param(seen[0], "bucket"), "ems&co");
  EXPECT_EQ(param(seen[0], "precision"), "ns");
  EXPECT_EQ(param(seen[0], "db"), "(absent)");
  EXPECT_EQ(header(seen[0], "Authorization"), "Token t0k3n==");
  EXPECT_EQ(header(seen[0], "Content-Encoding"), "gzip");
  EXPECT_EQ(header(seen[0], "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(header(seen[0], "Accept"), "application/json");
  EXPECT_EQ(seen[0].body, lines);
}

TEST(HttpWriteTransport, V1RequestHasDbRetentionPolicyPrecisionAndBasicAuth) {
  RecordingServer server;
  InfluxSettings s;
  s.url = server.url() + "/influx/";  // behind a reverse proxy path
  s.version = 1;
  s.database = "emsgw";
  s.retention_policy = "one year";
  s.username = "ems";
  s.password = "pw";
  s.precision = Precision::Microseconds;
  s.gzip = false;
  EXPECT_EQ(write_target(s), "/write?db=emsgw&rp=one%20year&precision=u");
  auto t = make_http_write_transport(s);
  ASSERT_TRUE(t->write("m v=1 1").ok());
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/influx/write");
  EXPECT_EQ(param(seen[0], "db"), "emsgw");
  EXPECT_EQ(param(seen[0], "rp"), "one year");
  EXPECT_EQ(param(seen[0], "precision"), "u");
  EXPECT_EQ(header(seen[0], "Authorization"), "Basic ZW1zOnB3");  // base64("ems:pw")
  EXPECT_EQ(header(seen[0], "Content-Encoding"), "");
  EXPECT_EQ(seen[0].body, "m v=1 1");
}

TEST(HttpWriteTransport, ReportsStatusAndRetryAfter) {
  RecordingServer server;
  server.answer(503, "7");
  server.answer(400);
  InfluxSettings s;
  s.url = server.url();
  s.database = "d";
  auto t = make_http_write_transport(s);
  auto r = t->write("m v=1 1");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.retry_after_s, 7);
  EXPECT_TRUE(r.retryable());
  r = t->write("m v=1 1");
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.retryable());
  EXPECT_NE(r.message.find("scripted"), std::string::npos);
}

TEST(HttpWriteTransport, NoServerIsRetryableStatusZero) {
  InfluxSettings s;
  s.url = "http://127.0.0.1:" + std::to_string(test::free_loopback_port());
  s.database = "d";
  s.timeout_ms = 500;
  auto t = make_http_write_transport(s);
  const auto r = t->write("m v=1 1");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.retryable());
  EXPECT_FALSE(r.message.empty());
}

TEST(HttpWriteTransport, ExporterReplaysInOrderAfter5xxOverHttp) {
  RecordingServer server;
  server.answer(503, "2");
  InfluxSettings s;
  s.url = server.url();
  s.database = "d";
  s.batch_lines = 2;
  s.precision = Precision::Seconds;
  auto db = storage::Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(storage::migrate(*db));
  InfluxExporter e(s, *db, make_http_write_transport(s));
  ems::MonoTime now{};
  for (int i = 1; i <= 6; ++i) {
    ASSERT_TRUE(e.add({"m", {}, {{"v", std::int64_t{i}}}, ems::WallTime(std::chrono::seconds(i))}, now));
    e.tick(now);
  }
  EXPECT_EQ(e.stats().outbox_lines, 6u);
  e.tick(now + std::chrono::seconds(1));  // Retry-After 2 s not over yet
  EXPECT_EQ(server.seen().size(), 1u);
  e.tick(now + std::chrono::seconds(2));
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[1].body, "m v=1i 1\nm v=2i 2");
  EXPECT_EQ(seen[2].body, "m v=3i 3\nm v=4i 4");
  EXPECT_EQ(seen[3].body, "m v=5i 5\nm v=6i 6");
  EXPECT_EQ(e.stats().points_sent, 6u);
}

}  // namespace
}  // namespace emsgw::gateway::influx
