#include "webui/session_store.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace emsgw::webui {

std::string random_token() {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, 65> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  return std::string(hex.data(), 64);
}

bool tokens_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

SessionStore::SessionStore(const ems::Clock& clock, std::chrono::seconds ttl, std::size_t max_sessions)
    : clock_(clock), ttl_(ttl), max_sessions_(std::max<std::size_t>(1, max_sessions)) {}

Session SessionStore::create() {
  const auto now = clock_.mono_now();
  Session s{random_token(), random_token(), now + ttl_};
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.expires <= now; });
  while (sessions_.size() >= max_sessions_) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(),
                                   [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
    sessions_.erase(oldest);
  }
  sessions_[s.token] = s;
  return s;
}

std::optional<Session> SessionStore::find(const std::string& token) {
  if (token.empty()) return std::nullopt;
  const auto now = clock_.mono_now();
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.expires = now + ttl_;
  return it->second;
}

void SessionStore::remove(const std::string& token) {
  std::lock_guard lock(mutex_);
  sessions_.erase(token);
}

void SessionStore::clear() {
  std::lock_guard lock(mutex_);
  sessions_.clear();
}

LoginRateLimiter::LoginRateLimiter(const ems::Clock& clock, int attempts, std::chrono::seconds window)
    : clock_(clock), attempts_(static_cast<std::size_t>(std::max(1, attempts))), window_(window) {}

void LoginRateLimiter::expire(std::deque<ems::MonoTime>& q, ems::MonoTime now) const {
  while (!q.empty() && q.front() + window_ <= now) q.pop_front();
}

int LoginRateLimiter::retry_after_s(const std::string& client) {
  const auto now = clock_.mono_now();
  std::lock_guard lock(mutex_);
  auto it = failures_.find(client);
  if (it == failures_.end()) return 0;
  expire(it->second, now);
  if (it->second.size() < attempts_) return 0;
  const auto wait = std::chrono::ceil<std::chrono::seconds>(it->second.front() + window_ - now);
  return static_cast<int>(std::max<std::chrono::seconds::rep>(1, wait.count()));
}

int LoginRateLimiter::begin_attempt(const std::string& client) {
  const auto now = clock_.mono_now();
  std::lock_guard lock(mutex_);
  if (failures_.size() > 4096 && !failures_.contains(client)) failures_.clear();  // bounded memory
  auto& q = failures_[client];
  expire(q, now);
  if (q.size() >= attempts_) {
    const auto wait = std::chrono::ceil<std::chrono::seconds>(q.front() + window_ - now);
    return static_cast<int>(std::max<std::chrono::seconds::rep>(1, wait.count()));
  }
  q.push_back(now);
  return 0;
}

void LoginRateLimiter::attempt_succeeded(const std::string& client) {
  std::lock_guard lock(mutex_);
  if (const auto it = failures_.find(client); it != failures_.end() && !it->second.empty()) it->second.pop_back();
}

void LoginRateLimiter::record_failure(const std::string& client) {
  const auto now = clock_.mono_now();
  std::lock_guard lock(mutex_);
  if (failures_.size() > 4096) failures_.clear();  // bounded memory under a spray of addresses
  auto& q = failures_[client];
  expire(q, now);
  q.push_back(now);
}

}  // namespace emsgw::webui
