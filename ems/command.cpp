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

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

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
          [](const GridOperatorLimit& m) {
            if (!m.limit_w) return std::string("lift the grid operator limit");
            char buf[64];
            std::snprintf(buf, sizeof buf, "%g", *m.limit_w);
            std::string text = "grid operator limit " + std::string(buf) + " W";
            if (m.duration_s > 0) {
              std::snprintf(buf, sizeof buf, "%g", m.duration_s);
              text += " for " + std::string(buf) + " s";
            }
            return text;
          },
          [](const GridOperatorHeartbeat&) { return std::string("grid operator heartbeat"); },
      },
      c);
}

std::vector<ConfigIssue> check_installer_limits(const SiteConfig& installer, const Command& c) {
  std::vector<ConfigIssue> issues;
  const auto above = [&](const std::string& key, double value, double ceiling) {
    // NaN compares false: it is refused here too, never taken as "not above".
    if (value <= ceiling) return;
    issues.push_back({key, amps(value), std::string(kInstallerLimitRule) + " " + amps(ceiling)});
  };
  if (const auto* m = std::get_if<SetSiteLimit>(&c)) {
    above("site.grid_max_current_a", m->grid_max_current_a, installer.grid_max_current_a);
  } else if (const auto* x = std::get_if<SetSocketMaxCurrent>(&c)) {
    for (std::size_t i = 0; i < installer.stations.size(); ++i)
      for (std::size_t j = 0; j < installer.stations[i].sockets.size(); ++j)
        if (const auto& so = installer.stations[i].sockets[j]; so.id == x->socket_id)
          above(socket_key(i, j) + ".max_current_a", x->max_current_a, so.max_current_a);
  }
  return issues;
}

std::vector<ConfigIssue> apply_command(SiteConfig& site, const Command& c, const SiteConfig& installer) {
  if (auto issues = check_installer_limits(installer, c); !issues.empty()) return issues;
  return apply_command(site, c);
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
                 [&](const GridOperatorLimit& m) {
                   // NaN and infinities fail both tests: refused, never taken as a limit.
                   if (m.limit_w && !(*m.limit_w >= 0 && *m.limit_w <= 1e9))
                     issues.push_back({"grid_operator.limit_w", number(*m.limit_w),
                                       "must be a number of watts from 0 to 1e9 (omit it to lift the limit)"});
                   if (!(m.duration_s >= 0 && m.duration_s <= 1e7))
                     issues.push_back({"grid_operator.duration_s", number(m.duration_s),
                                       "must be a number of seconds from 0 to 1e7 (0: until changed)"});
                 },
                 [](const GridOperatorHeartbeat&) {},
             },
             c);
  if (!issues.empty()) return issues;
  issues = validate(copy);
  if (issues.empty()) site = std::move(copy);
  return issues;
}

}  // namespace emsgw::ems
