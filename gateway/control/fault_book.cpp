#include "gateway/control/fault_book.hpp"

#include <spdlog/spdlog.h>

namespace emsgw::gateway {

bool FaultBook::raise(const std::string& code, const std::string& text, ems::WallTime now, ems::Message message) {
  if (faults_.contains(code)) return false;
  spdlog::warn("fault raised: {}", text);
  faults_[code] = {code, text, now, message};
  if (sink_) sink_({now, -1, 0, 0, "fault_raised:" + code, text, std::move(message)});
  return true;
}

void FaultBook::raise_or_update(const std::string& code, const std::string& text, ems::WallTime now,
                                ems::Message message) {
  const auto it = faults_.find(code);
  if (it == faults_.end()) {
    raise(code, text, now, std::move(message));
  } else if (it->second.text != text) {
    spdlog::warn("fault: {}", text);
    it->second.text = text;
    it->second.message = std::move(message);
  }
}

void FaultBook::clear(const std::string& code, ems::WallTime now) {
  const auto it = faults_.find(code);
  if (it == faults_.end()) return;
  spdlog::info("fault cleared: {}", it->second.text);
  if (sink_) sink_({now, -1, 0, 0, "fault_cleared:" + code, it->second.text, it->second.message});
  faults_.erase(it);
}

void FaultBook::raise_lingering(const std::string& code, const std::string& text, ems::MonoTime at, ems::WallTime now,
                                ems::Message message) {
  raise_or_update(code, text, now, std::move(message));
  lingering_[code] = at;
}

void FaultBook::expire(ems::MonoTime at, std::chrono::seconds linger, ems::WallTime now) {
  for (auto it = lingering_.begin(); it != lingering_.end();) {
    if (at - it->second > linger) {
      clear(it->first, now);
      it = lingering_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<ems::Fault> FaultBook::list() const {
  std::vector<ems::Fault> out;
  out.reserve(faults_.size());
  for (const auto& [code, f] : faults_) out.push_back(f);
  return out;
}

}  // namespace emsgw::gateway
