#pragma once
// A scripted site behind the real web server, for the API tests, the browser tests and the load
// bench: its status moves over time like a real one, commands change it through ems::apply_command,
// and configuration changes go through gateway::validate_config — the same rules as the gateway.

#include <nlohmann/json.hpp>

#include <chrono>
#include <mutex>
#include <vector>

#include "ems/command.hpp"
#include "gateway/config/config.hpp"
#include "webui/config_service.hpp"
#include "webui/history_source.hpp"
#include "webui/probe_service.hpp"
#include "webui/status_source.hpp"

namespace emsgw::test {

class ScriptedSite final : public ems::CommandSink,
                           public webui::ConfigService,
                           public webui::HistorySource,
                           public webui::ProbeService {
 public:
  /// `config` is a loaded configuration (tests/config/data/issue-example.toml); `start` anchors the
  /// generated history.
  ScriptedSite(gateway::Config config, ems::WallTime start);

  /// One control step: `t_s` seconds since start; publishes a new snapshot to board().
  void step(ems::WallTime now, double t_s);
  [[nodiscard]] webui::StatusBoard& board() { return board_; }
  [[nodiscard]] gateway::Config config() const;
  [[nodiscard]] int commands_seen() const;

  void submit(ems::Command command, std::function<void(ems::CommandReply)> reply) override;
  [[nodiscard]] nlohmann::json get_config() const override;
  [[nodiscard]] nlohmann::json get_schema() const override;
  [[nodiscard]] std::vector<ems::ConfigIssue> put_config(const nlohmann::json& patch, bool confirmed = false) override;
  [[nodiscard]] std::vector<ems::ConfigIssue> clear_overrides(const std::string& key) override;
  [[nodiscard]] std::vector<webui::HistorySample> history(const webui::HistoryQuery& query) const override;
  [[nodiscard]] std::vector<webui::Event> events(const webui::EventQuery& query) const override;
  [[nodiscard]] webui::ProbeResult run(webui::ProbeKind kind, const std::string& target) override;

 private:
  mutable std::mutex mutex_;
  gateway::Config config_;
  ems::SiteConfig file_site_;  ///< the installer's limits: the configuration as constructed
  ems::WallTime start_;
  bool suspended_ = false;
  std::uint64_t sequence_ = 0;
  int commands_seen_ = 0;
  std::vector<webui::Event> events_;
  ems::SiteStatus last_;
  webui::StatusBoard board_;
};

}  // namespace emsgw::test
