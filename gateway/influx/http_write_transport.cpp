#include <httplib.h>

#include <charconv>

#include "gateway/influx/gzip.hpp"
#include "gateway/influx/line_protocol.hpp"
#include "gateway/influx/write_transport.hpp"

namespace emsgw::gateway::influx {

namespace {
struct SplitUrl {
  std::string origin;  ///< scheme://host[:port]
  std::string base;    ///< path prefix without a trailing '/', may be empty
};

SplitUrl split_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (path_start == std::string::npos) return {url, ""};
  std::string base = url.substr(path_start);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return {url.substr(0, path_start), base};
}

class HttpWriteTransport final : public WriteTransport {
 public:
  explicit HttpWriteTransport(const InfluxSettings& s)
      : settings_(s), url_(split_url(s.url)), target_(url_.base + write_target(s)), client_(url_.origin) {
    const auto timeout = std::chrono::milliseconds(s.timeout_ms);
    client_.set_connection_timeout(timeout);
    client_.set_read_timeout(timeout);
    client_.set_write_timeout(timeout);
    client_.set_keep_alive(true);
    if (s.version == 1 && !s.username.empty()) client_.set_basic_auth(s.username, s.password);
  }

  WriteResponse write(std::string_view lines) override {
    httplib::Headers headers{{"Accept", "application/json"}};
    if (settings_.version == 2) headers.emplace("Authorization", "Token " + settings_.token);
    std::string body;
    if (settings_.gzip) {
      auto gz = gzip_compress(lines);
      if (!gz) return {0, std::nullopt, "gzip compression failed"};
      body = std::move(*gz);
      headers.emplace("Content-Encoding", "gzip");
    } else {
      body.assign(lines);
    }
    auto res = client_.Post(target_, headers, body, "text/plain; charset=utf-8");
    if (!res) return {0, std::nullopt, "no answer from " + url_.origin + ": " + httplib::to_string(res.error())};
    WriteResponse out{res->status, std::nullopt, {}};
    if (res->has_header("Retry-After")) out.retry_after_s = parse_retry_after(res->get_header_value("Retry-After"));
    if (!out.ok()) out.message = one_line(res->body.substr(0, 500));  // it goes into logs and events
    return out;
  }

 private:
  InfluxSettings settings_;
  SplitUrl url_;
  std::string target_;
  httplib::Client client_;
};
}  // namespace

std::optional<int> parse_retry_after(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  int s = 0;
  const auto r = std::from_chars(value.data(), value.data() + value.size(), s);
  if (r.ec != std::errc() || r.ptr != value.data() + value.size() || s < 0) return std::nullopt;
  return s;
}

std::string write_target(const InfluxSettings& s) {
  const std::string precision(precision_name(s.precision, s.version));
  if (s.version == 2)
    return "/api/v2/write?org=" + httplib::detail::encode_query_param(s.org) +
           "&bucket=" + httplib::detail::encode_query_param(s.bucket) + "&precision=" + precision;
  std::string t = "/write?db=" + httplib::detail::encode_query_param(s.database);
  if (!s.retention_policy.empty()) t += "&rp=" + httplib::detail::encode_query_param(s.retention_policy);
  return t + "&precision=" + precision;
}

std::unique_ptr<WriteTransport> make_http_write_transport(const InfluxSettings& settings) {
  return std::make_unique<HttpWriteTransport>(settings);
}

}  // namespace emsgw::gateway::influx
