// [web]: the dashboard and REST API (webui/web_server.hpp; every key in deploy/emsgw.example.toml).
#include "gateway/config/toml_reader.hpp"
#include "webui/listen_address.hpp"

namespace emsgw::gateway::config_detail {

void parse_web_section(TableReader& root, Config& cfg) {
  const auto* t = root.table("web");
  if (!t) return;
  TableReader r(*t, "web", root.diag());
  auto& w = cfg.web;
  std::string listen = w.listen.host + ":" + std::to_string(w.listen.port);
  r.read("listen", listen);
  if (auto a = webui::parse_listen_address(listen))
    w.listen = *a;
  else
    r.diag().error(r.line("listen"), r.full("listen"), TableReader::quote(listen),
                   "must be HOST:PORT, [IPv6]:PORT or :PORT (all interfaces), port 1..65535");
  r.read("tls_cert", w.tls_cert_file);
  r.read("tls_key", w.tls_key_file);
  r.read("read_requires_login", w.read_requires_login);
  r.read("password_file", w.password_file);
  r.read("session_ttl_s", w.session_ttl_s);
  r.read("login_attempts", w.login_attempts);
  r.read("login_window_s", w.login_window_s);
  r.read("threads", w.threads);
  r.read("max_connections", w.max_connections);
  r.read("max_connections_per_client", w.max_connections_per_client);
  r.read("request_timeout_ms", w.request_timeout_ms);
  r.read("idle_timeout_s", w.idle_timeout_s);
  r.read("max_body_bytes", w.max_body_bytes);
}

}  // namespace emsgw::gateway::config_detail
