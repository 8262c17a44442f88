#pragma once
// Login sessions and the login rate limit. Tokens are 256-bit random (libsodium), kept in memory
// only: a restart logs everyone out. Time comes from the injected clock (style.md "Habits" 1).

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "ems/time.hpp"

namespace emsgw::webui {

struct Session {
  std::string token;       ///< the cookie value
  std::string csrf_token;  ///< must come back in X-CSRF-Token on every change
  ems::MonoTime expires{};
};

class SessionStore {
 public:
  SessionStore(const ems::Clock& clock, std::chrono::seconds ttl, std::size_t max_sessions = 64);

  /// A new session; the oldest is dropped when max_sessions are open.
  [[nodiscard]] Session create();
  /// The live session for `token` (its expiry slides forward), or nullopt.
  [[nodiscard]] std::optional<Session> find(const std::string& token);
  void remove(const std::string& token);
  void clear();

 private:
  const ems::Clock& clock_;
  std::chrono::seconds ttl_;
  std::size_t max_sessions_;
  std::mutex mutex_;
  std::map<std::string, Session> sessions_;
};

/// At most `attempts` failed logins per client address in any `window`; a success does not reset
/// the count (an attacker that guesses right once is done anyway).
///
/// The server counts every attempt before the password check, atomically (begin_attempt), so that
/// parallel requests cannot all pass the check before the first failure is recorded: at most
/// `attempts` password checks per client and window, however many arrive at once. A successful
/// check gives its attempt back (attempt_succeeded).
class LoginRateLimiter {
 public:
  LoginRateLimiter(const ems::Clock& clock, int attempts, std::chrono::seconds window);
  /// Seconds to wait before `client` may try again; 0 when it may try now.
  [[nodiscard]] int retry_after_s(const std::string& client);
  void record_failure(const std::string& client);
  /// Counts one attempt of `client` when it may try now and returns 0; otherwise the seconds to wait
  /// (nothing counted). One step under one lock.
  [[nodiscard]] int begin_attempt(const std::string& client);
  /// The attempt begun for `client` passed the password check: it no longer counts.
  void attempt_succeeded(const std::string& client);

 private:
  void expire(std::deque<ems::MonoTime>& q, ems::MonoTime now) const;
  const ems::Clock& clock_;
  std::size_t attempts_;
  std::chrono::seconds window_;
  std::mutex mutex_;
  std::map<std::string, std::deque<ems::MonoTime>> failures_;
};

/// Constant-time comparison for tokens.
[[nodiscard]] bool tokens_equal(const std::string& a, const std::string& b);
/// 32 random bytes as 64 hex digits.
[[nodiscard]] std::string random_token();

}  // namespace emsgw::webui
