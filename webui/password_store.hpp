#pragma once
// The one dashboard password, stored as an Argon2id hash (libsodium crypto_pwhash_str) in a file
// readable only by its owner. `emsgw set-password` and the first-run page write it.

#include <optional>
#include <string>
#include <string_view>

#include "ems/result.hpp"

namespace emsgw::webui {

/// Passwords shorter than this are refused.
inline constexpr std::size_t kMinPasswordLength = 8;

/// Hashes `password` (Argon2id, libsodium's interactive limits). Empty on failure (out of memory).
[[nodiscard]] std::string hash_password(std::string_view password);
/// Constant-time check of `password` against a crypto_pwhash_str hash.
[[nodiscard]] bool verify_password(std::string_view hash, std::string_view password);
/// Empty when the password is acceptable, otherwise why not.
[[nodiscard]] std::string password_problem(std::string_view password);

class PasswordStore {
 public:
  /// `path` empty: the hash lives in memory only (tests, or a box without storage).
  explicit PasswordStore(std::string path);

  [[nodiscard]] bool is_set() const;
  [[nodiscard]] bool verify(std::string_view password) const;
  /// Hashes and stores (file written 0600, replaced atomically). Error text when refused or unwritable.
  [[nodiscard]] Result<void, std::string> set(std::string_view password);
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  [[nodiscard]] std::optional<std::string> load() const;
  std::string path_;
  std::string memory_hash_;
};

}  // namespace emsgw::webui
