#include "gateway/config/installer_limits.hpp"

#include <cstdio>

namespace emsgw::gateway {

namespace {
constexpr std::string_view kRule = "installer-locked limit (safety rule 8): ";

std::string amps(double a) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", a);
  return buf;
}

/// NaN is never "within": a value that is not a number counts as a raise.
void above(std::vector<ems::ConfigIssue>& out, const std::string& key, double value, double file) {
  if (value <= file) return;
  out.push_back({key, amps(value), std::string(kRule) + "above the configuration file's " + amps(file) + " A"});
}
}  // namespace

std::vector<ems::ConfigIssue> installer_raises(const ems::SiteConfig& file, const ems::SiteConfig& site) {
  std::vector<ems::ConfigIssue> out;
  above(out, "site.grid_max_current_a", site.grid_max_current_a, file.grid_max_current_a);
  if (!(site.safety_margin_a >= file.safety_margin_a))
    out.push_back({"site.safety_margin_a", amps(site.safety_margin_a),
                   std::string(kRule) + "below the configuration file's " + amps(file.safety_margin_a) + " A"});
  for (std::size_t i = 0; i < site.stations.size() && i < file.stations.size(); ++i) {
    const auto& st = site.stations[i];
    const auto& fs = file.stations[i];
    above(out, ems::station_key(i) + ".max_current_a", st.max_current_a, fs.max_current_a);
    for (std::size_t j = 0; j < st.sockets.size() && j < fs.sockets.size(); ++j) {
      const auto& so = st.sockets[j];
      const auto& fo = fs.sockets[j];
      const auto key = ems::socket_key(i, j);
      above(out, key + ".max_current_a", so.max_current_a, fo.max_current_a);
      above(out, key + ".safe_current_a", so.safe_current_a, fo.safe_current_a);
      if (!(so.phase_mapping == fo.phase_mapping))
        out.push_back({key + ".phase_mapping", std::string(ems::to_string(so.phase_mapping)),
                       std::string(kRule) + "differs from the configuration file's " +
                           std::string(ems::to_string(fo.phase_mapping))});
    }
  }
  return out;
}

bool installer_locked(std::string_view key) {
  if (key == "site.grid_max_current_a" || key == "site.safety_margin_a") return true;
  if (!key.starts_with("station[") && !key.starts_with("socket[")) return false;
  return key.ends_with(".max_current_a") || key.ends_with(".safe_current_a") || key.ends_with(".phase_mapping");
}

}  // namespace emsgw::gateway
