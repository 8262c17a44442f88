#include "webui/session_store.hpp"

#include <gtest/gtest.h>

namespace emsgw::webui {
namespace {

using namespace std::chrono_literals;

TEST(SessionStore, SessionsExpireWhenIdleAndSlideWhenUsed) {
  ems::ManualClock clock;
  SessionStore store(clock, 60s);
  const auto s = store.create();
  EXPECT_EQ(s.token.size(), 64u);
  EXPECT_NE(s.token, s.csrf_token);
  clock.advance(50s);
  ASSERT_TRUE(store.find(s.token));  // slides to 110 s
  clock.advance(50s);
  EXPECT_TRUE(store.find(s.token));
  clock.advance(61s);
  EXPECT_FALSE(store.find(s.token));
  EXPECT_FALSE(store.find(""));
  EXPECT_FALSE(store.find("not-a-token"));
}

TEST(SessionStore, OldestSessionIsDroppedAtTheCap) {
  ems::ManualClock clock;
  SessionStore store(clock, 3600s, 2);
  const auto a = store.create();
  clock.advance(1s);
  const auto b = store.create();
  clock.advance(1s);
  const auto c = store.create();
  EXPECT_FALSE(store.find(a.token));
  EXPECT_TRUE(store.find(b.token));
  EXPECT_TRUE(store.find(c.token));
  store.remove(c.token);
  EXPECT_FALSE(store.find(c.token));
}

TEST(LoginRateLimiter, BlocksAfterTheAllowedFailuresPerWindow) {
  ems::ManualClock clock;
  LoginRateLimiter limiter(clock, 3, 60s);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.retry_after_s("10.0.0.1"), 0);
    limiter.record_failure("10.0.0.1");
  }
  EXPECT_EQ(limiter.retry_after_s("10.0.0.1"), 60);
  EXPECT_EQ(limiter.retry_after_s("10.0.0.2"), 0) << "other clients are not affected";
  clock.advance(30s);
  EXPECT_EQ(limiter.retry_after_s("10.0.0.1"), 30);
  clock.advance(30s);
  EXPECT_EQ(limiter.retry_after_s("10.0.0.1"), 0);
}

TEST(Tokens, CompareOnlyEqualNonEmptyTokens) {
  const auto t = random_token();
  EXPECT_TRUE(tokens_equal(t, t));
  EXPECT_FALSE(tokens_equal(t, random_token()));
  EXPECT_FALSE(tokens_equal("", ""));
  EXPECT_FALSE(tokens_equal(t, t.substr(1)));
}

}  // namespace
}  // namespace emsgw::webui
