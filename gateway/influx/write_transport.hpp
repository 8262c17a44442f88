#pragma once
// The seam between the exporter and InfluxDB: one write request of newline-separated lines.
// Production: HttpWriteTransport (cpp-httplib); tests: a scripted fake or an in-process server.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/influx/influx_settings.hpp"

namespace emsgw::gateway::influx {

struct WriteResponse {
  int status = 0;                    ///< HTTP status; 0 when no answer came (connect/read failed)
  std::optional<int> retry_after_s;  ///< Retry-After in seconds, when the server sent one
  std::string message;               ///< error body or transport error, for the log

  [[nodiscard]] bool ok() const { return status >= 200 && status < 300; }
  /// Keep the batch and try again later: no answer, 5xx, 429 or 408.
  [[nodiscard]] bool retryable() const { return status == 0 || status >= 500 || status == 429 || status == 408; }
};

class WriteTransport {
 public:
  virtual ~WriteTransport() = default;
  /// Sends `lines` (line protocol, '\n'-separated) as one request. Never throws.
  [[nodiscard]] virtual WriteResponse write(std::string_view lines) = 0;
};

/// Parses a Retry-After header value: delay-seconds only (an HTTP date gives nullopt).
[[nodiscard]] std::optional<int> parse_retry_after(std::string_view value);

/// POST /write?db=&rp=&precision= (v1) or /api/v2/write?org=&bucket=&precision= with
/// `Authorization: Token …` (v2), gzip-compressed when settings.gzip (protocols.md §7.2).
[[nodiscard]] std::unique_ptr<WriteTransport> make_http_write_transport(const InfluxSettings& settings);

/// The request path with its query string, as make_http_write_transport sends it (after any
/// base path of the URL).
[[nodiscard]] std::string write_target(const InfluxSettings& settings);

}  // namespace emsgw::gateway::influx
