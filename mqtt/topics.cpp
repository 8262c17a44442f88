#include "mqtt/topics.hpp"

namespace emsgw::mqtt {

std::string topic_segment(std::string_view name) {
  std::string out;
  bool folded = false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    const bool keep = (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '_' || u == '-';
    if (u >= 'A' && u <= 'Z') {
      out.push_back(static_cast<char>(u - 'A' + 'a'));
      folded = false;
    } else if (keep) {
      out.push_back(c);
      folded = false;
    } else if (!folded && !out.empty()) {
      out.push_back('_');
      folded = true;
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? std::string("_") : out;
}

std::string default_topic_prefix(std::string_view site_name) {
  return "emsgw/" + topic_segment(site_name);
}

bool valid_publish_topic(std::string_view topic) {
  if (topic.empty() || topic.size() > 65535) return false;
  for (const char c : topic)
    if (c == '+' || c == '#' || c == '\0') return false;
  return true;
}

}  // namespace emsgw::mqtt
