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

namespace emsgw::mqtt {

namespace {
std::string join(const std::string& a, std::string_view b) {
  std::string s = a;
  s += '/';
  s += b;
  return s;
}
std::string phase_level(int phase_index) {
  return "l" + std::to_string(phase_index + 1);
}
}  // namespace

std::string Topics::site(std::string_view leaf) const {
  return join(prefix_ + "/site", leaf);
}
std::string Topics::grid(std::string_view leaf) const {
  return join(prefix_ + "/grid", leaf);
}
std::string Topics::grid_phase(int phase_index, std::string_view leaf) const {
  return join(prefix_ + "/grid/" + phase_level(phase_index), leaf);
}
std::string Topics::pv(std::string_view leaf) const {
  return join(prefix_ + "/pv", leaf);
}
std::string Topics::peak(std::string_view leaf) const {
  return join(prefix_ + "/peak", leaf);
}
std::string Topics::grid_operator(std::string_view leaf) const {
  return join(prefix_ + "/grid_operator", leaf);
}
std::string Topics::circuit(std::string_view name, std::string_view leaf) const {
  return join(prefix_ + "/circuit/" + topic_segment(name), leaf);
}
std::string Topics::heatpump(std::string_view leaf) const {
  return join(prefix_ + "/heatpump", leaf);
}
std::string Topics::station(std::string_view name, std::string_view leaf) const {
  return join(prefix_ + "/station/" + topic_segment(name), leaf);
}
std::string Topics::socket(int id, std::string_view leaf) const {
  return join(prefix_ + "/socket/" + std::to_string(id), leaf);
}
std::string Topics::socket_phase(int id, int phase_index, std::string_view leaf) const {
  return join(prefix_ + "/socket/" + std::to_string(id) + "/" + phase_level(phase_index), leaf);
}

std::string reply_topic(std::string_view command_topic) {
  std::string t(command_topic);
  if (t.ends_with("/set")) t.resize(t.size() - 4);
  return t + "/reply";
}

}  // namespace emsgw::mqtt
