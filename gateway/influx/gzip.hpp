#pragma once
// gzip (RFC 1952) via zlib, for `Content-Encoding: gzip` request bodies (protocols.md §7.2).

#include <optional>
#include <string>
#include <string_view>

namespace emsgw::gateway::influx {

/// Compresses `data` into a gzip member; nullopt if zlib fails (out of memory).
[[nodiscard]] std::optional<std::string> gzip_compress(std::string_view data);
/// Inflates a gzip member; nullopt if it is not valid gzip.
[[nodiscard]] std::optional<std::string> gzip_decompress(std::string_view data);

}  // namespace emsgw::gateway::influx
