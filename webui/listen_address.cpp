#include "webui/listen_address.hpp"

#include <charconv>

namespace emsgw::webui {

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string_view::npos)
    return std::nullopt;  // bare IPv6 needs brackets
  int port = -1;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port < 0 || port > 65535) return std::nullopt;
  ListenAddress a;
  a.host = host.empty() ? std::string("0.0.0.0") : std::string(host);
  a.port = port;
  return a;
}

}  // namespace emsgw::webui
