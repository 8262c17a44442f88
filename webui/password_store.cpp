#include "webui/password_store.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>

namespace emsgw::webui {

namespace {
bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}
}  // namespace

std::string hash_password(std::string_view password) {
  if (!sodium_ready()) return {};
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return {};
  return out;
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (!sodium_ready() || hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string h(hash);  // crypto_pwhash_str_verify wants a NUL-terminated string
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

std::string password_problem(std::string_view password) {
  if (password.size() < kMinPasswordLength)
    return "must be at least " + std::to_string(kMinPasswordLength) + " characters long";
  if (password.size() > 1024) return "must be at most 1024 characters long";
  return {};
}

PasswordStore::PasswordStore(std::string path) : path_(std::move(path)) {}

std::optional<std::string> PasswordStore::load() const {
  if (path_.empty()) return memory_hash_.empty() ? std::nullopt : std::optional(memory_hash_);
  std::ifstream in(path_);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return std::nullopt;
  return line;
}

bool PasswordStore::is_set() const {
  return load().has_value();
}

bool PasswordStore::verify(std::string_view password) const {
  // One Argon2 computation at a time: each takes 64 MiB and ~0.5 s (libsodium interactive limits),
  // so parallel login attempts must not multiply that on a small box.
  static std::mutex one_at_a_time;
  std::lock_guard lock(one_at_a_time);
  const auto hash = load();
  return hash && verify_password(*hash, password);
}

Result<void, std::string> PasswordStore::set(std::string_view password) {
  if (auto problem = password_problem(password); !problem.empty()) return Unexpected("the password " + problem);
  std::string hash = hash_password(password);
  if (hash.empty()) return Unexpected(std::string("hashing the password failed (out of memory?)"));
  if (path_.empty()) {
    memory_hash_ = std::move(hash);
    return {};
  }
  const std::string tmp = path_ + ".tmp";
  {
    const auto old_mask = ::umask(077);
    std::ofstream out(tmp, std::ios::trunc);
    ::umask(old_mask);
    if (!out) return Unexpected("cannot write " + tmp + ": check the directory and its permissions");
    out << hash << "\n";
    if (!out.flush()) return Unexpected("cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) return Unexpected("cannot replace " + path_);
  return {};
}

}  // namespace emsgw::webui
