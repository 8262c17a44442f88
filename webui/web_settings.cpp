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
  return out;
}

}  // namespace emsgw::webui
