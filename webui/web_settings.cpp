#include <fstream>

#include "webui/web_server.hpp"

namespace emsgw::webui {

std::vector<ems::ConfigIssue> validate_settings(const WebSettings& s) {
  std::vector<ems::ConfigIssue> out;
  const auto quote = [](const std::string& v) { return "\"" + v + "\""; };
  if (s.tls_cert_file.empty() != s.tls_key_file.empty())
    out.push_back({s.tls_cert_file.empty() ? "web.tls_cert" : "web.tls_key", "(missing)",
                   "TLS needs both web.tls_cert and web.tls_key (PEM files), or neither for plain HTTP"});
  for (const auto& [key, path] : {std::pair{"web.tls_cert", &s.tls_cert_file}, {"web.tls_key", &s.tls_key_file}})
    if (!path->empty() && !std::ifstream(*path))
      out.push_back({key, quote(*path), "cannot be read: check the path and its permissions"});
  if (s.listen.port < 0 || s.listen.port > 65535)
    out.push_back({"web.listen", std::to_string(s.listen.port), "the port must be between 1 and 65535"});
  if (s.session_ttl_s < 60 || s.session_ttl_s > 30 * 86400)
    out.push_back({"web.session_ttl_s", std::to_string(s.session_ttl_s), "must be between 60 and 2592000 s"});
  if (s.login_attempts < 1 || s.login_attempts > 100)
    out.push_back({"web.login_attempts", std::to_string(s.login_attempts), "must be between 1 and 100"});
  if (s.login_window_s < 1 || s.login_window_s > 86400)
    out.push_back({"web.login_window_s", std::to_string(s.login_window_s), "must be between 1 and 86400 s"});
  const auto range = [&](const char* key, int v, int lo, int hi, const char* unit) {
    if (v < lo || v > hi)
      out.push_back({std::string("web.") + key, std::to_string(v),
                     "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " " + unit});
  };
  range("threads", s.threads, 2, 64, "threads");
  if (s.threads <= s.max_streams)
    out.push_back({"web.threads", std::to_string(s.threads),
                   "must be more than the live streams allowed at once (" + std::to_string(s.max_streams) +
                       "): each stream holds a worker"});
  range("max_connections", s.max_connections, 16, 10000, "connections");
  range("max_connections_per_client", s.max_connections_per_client, 4, 10000, "connections");
  if (s.max_connections_per_client > s.max_connections)
    out.push_back({"web.max_connections_per_client", std::to_string(s.max_connections_per_client),
                   "must be at most web.max_connections (" + std::to_string(s.max_connections) + ")"});
  range("request_timeout_ms", s.request_timeout_ms, 500, 120000, "ms");
  range("idle_timeout_s", s.idle_timeout_s, 1, 3600, "s");
  range("max_body_bytes", s.max_body_bytes, 1024, 16 * 1024 * 1024, "bytes");
  return out;
}

}  // namespace emsgw::webui
