#include "ems/command.hpp"

#include <cstdio>

namespace emsgw::ems {

namespace {
template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;

std::string amps(double a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g A", a);
  return buf;
}

SocketConfig* find_socket(SiteConfig& site, int id, std::string* key) {
  for (std::size_t i = 0; i < site.stations.size(); ++i)
    for (std::size_t j = 0; j < site.stations[i].sockets.size(); ++j)
      if (site.stations[i].sockets[j].id == id) {
        *key = socket_key(i, j);
        return &site.stations[i].sockets[j];
      }
  return nullptr;
}
}  // namespace

std::string describe(const Command& c) {
  return std::visit(
      Overload{
          [](const SetSocketMode& m) {
            return "set socket " + std::to_string(m.socket_id) + " mode to " + std::string(to_string(m.mode));
          },
          [](const SetSocketMaxCurrent& m) {
            return "set socket " + std::to_string(m.socket_id) + " maximum current to " + amps(m.max_current_a);
          },
          [](const SetSiteLimit& m) { return "set the site limit to " + amps(m.grid_max_current_a) + " per phase"; },
          [](const Suspend&) { return std::string("suspend charging"); },
          [](const Resume&) { return std::string("resume charging"); },
      },
      c);
}

std::vector<ConfigIssue> apply_command(SiteConfig& site, const Command& c) {
  SiteConfig copy = site;
  std::string key;
  std::vector<ConfigIssue> issues;
  const auto unknown_socket = [&](int id) {
    issues.push_back({"socket", std::to_string(id), "no socket has this id"});
  };
  std::visit(Overload{
                 [&](const SetSocketMode& m) {
                   if (auto* s = find_socket(copy, m.socket_id, &key))
                     s->mode = m.mode;
                   else
                     unknown_socket(m.socket_id);
                 },
                 [&](const SetSocketMaxCurrent& m) {
                   if (auto* s = find_socket(copy, m.socket_id, &key)) {
                     s->max_current_a = m.max_current_a;
                     // A maximum below the socket's safe current is refused by validate() below.
                   } else {
                     unknown_socket(m.socket_id);
                   }
                 },
                 [&](const SetSiteLimit& m) { copy.grid_max_current_a = m.grid_max_current_a; },
                 [](const Suspend&) {},
                 [](const Resume&) {},
             },
             c);
  if (!issues.empty()) return issues;
  issues = validate(copy);
  if (issues.empty()) site = std::move(copy);
  return issues;
}

}  // namespace emsgw::ems
