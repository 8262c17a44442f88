#pragma once
// The [web] listen setting: "HOST:PORT", "[v6]:PORT" or ":PORT" (all interfaces).

#include <optional>
#include <string>
#include <string_view>

namespace emsgw::webui {

struct ListenAddress {
  std::string host = "127.0.0.1";
  int port = 8080;
};

/// Parses a listen address; nullopt when the text is not HOST:PORT with a port in 1..65535
/// (0 is accepted: the kernel picks a free port, as the tests do).
[[nodiscard]] std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace emsgw::webui
