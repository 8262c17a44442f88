#pragma once
// The dashboard's static files, embedded into the binary at build time from webui/frontend/src and
// webui/frontend/vendor (webui/embed_assets.cmake generates the definition). No CDN: the box has no
// internet.

#include <optional>
#include <string_view>

namespace emsgw::webui {

struct Asset {
  std::string_view path;  ///< "/index.html", "/app.js", …
  std::string_view content_type;
  std::string_view body;
};

/// The asset served at `path` ("/" is "/index.html"), or nullopt.
[[nodiscard]] std::optional<Asset> find_asset(std::string_view path);

}  // namespace emsgw::webui
