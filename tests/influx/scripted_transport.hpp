#pragma once
// A WriteTransport that answers from a script and records every request (InfluxDB export tests).
// Thread-safe: the worker's tests write from its thread and read from the test's.

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/influx/write_transport.hpp"

namespace emsgw::gateway::influx {

class ScriptedTransport final : public WriteTransport {
 public:
  struct Shared {
    std::mutex mutex;
    std::deque<WriteResponse> script;  ///< answers in order; 204 once empty
    std::vector<std::string> requests;
    /// Answers every request with this while set (an outage), without using the script.
    std::optional<WriteResponse> always;

    void answer(WriteResponse r) {
      std::lock_guard lock(mutex);
      script.push_back(std::move(r));
    }
    void set_always(std::optional<WriteResponse> r) {
      std::lock_guard lock(mutex);
      always = std::move(r);
    }
    [[nodiscard]] std::vector<std::string> sent() {
      std::lock_guard lock(mutex);
      return requests;
    }
  };
  explicit ScriptedTransport(std::shared_ptr<Shared> s) : s_(std::move(s)) {}
  WriteResponse write(std::string_view lines) override {
    std::lock_guard lock(s_->mutex);
    s_->requests.emplace_back(lines);
    if (s_->always) return *s_->always;
    if (s_->script.empty()) return {204, std::nullopt, {}};
    auto r = s_->script.front();
    s_->script.pop_front();
    return r;
  }

 private:
  std::shared_ptr<Shared> s_;
};

inline const WriteResponse kNoAnswer{0, std::nullopt, "connection refused"};
inline const WriteResponse k503{503, std::nullopt, "busy"};
inline const WriteResponse k400{400, std::nullopt, "partial write: field type conflict"};

}  // namespace emsgw::gateway::influx
