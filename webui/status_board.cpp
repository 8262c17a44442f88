#include "webui/status_source.hpp"

namespace emsgw::webui {

void StatusBoard::publish(StatusPtr status) {
  {
    std::lock_guard lock(mutex_);
    latest_ = std::move(status);
  }
  changed_.notify_all();
}

StatusPtr StatusBoard::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

StatusPtr StatusBoard::wait_next(std::uint64_t after_sequence, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return latest_ && latest_->sequence > after_sequence; });
  return latest_;
}

}  // namespace emsgw::webui
