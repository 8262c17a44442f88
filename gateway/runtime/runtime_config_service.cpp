#include "gateway/runtime/runtime_config_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>

#include "gateway/config/config_json.hpp"
#include "gateway/config/config_schema.hpp"
#include "gateway/config/installer_limits.hpp"
#include "gateway/control/messages.hpp"
#include "gateway/control/schedule_windows.hpp"

namespace emsgw::gateway {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 3> kSecrets = {"mqtt.password", "influx.password", "influx.token"};

/// The socket a leaf "station[i].socket[j].<field>" names in `c`.
const ems::SocketConfig* socket_of(const Config& c, const std::string& key) {
  std::size_t i = 0, j = 0;
  if (std::sscanf(key.c_str(), "station[%zu].socket[%zu].", &i, &j) != 2) return nullptr;
  if (i >= c.site.stations.size() || j >= c.site.stations[i].sockets.size()) return nullptr;
  return &c.site.stations[i].sockets[j];
}

/// A changed leaf as the command it amounts to, when there is one.
std::optional<ems::Command> as_command(const Config& after, const std::string& key) {
  if (key == "site.grid_max_current_a") return ems::SetSiteLimit{after.site.grid_max_current_a};
  const auto* so = socket_of(after, key);
  if (so == nullptr) return std::nullopt;
  if (key.ends_with(".mode")) return ems::SetSocketMode{so->id, so->mode};
  if (key.ends_with(".max_current_a")) return ems::SetSocketMaxCurrent{so->id, so->max_current_a};
  return std::nullopt;
}

bool is_secret(const std::string& key) {
  return std::find(kSecrets.begin(), kSecrets.end(), key) != kSecrets.end();
}

/// A leaf's value as people read it: text without quotes, numbers and booleans as JSON writes them.
std::string value_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  }
  return v.dump();
}

/// What a change from the dashboard did, in words for the event list: the setting by its label
/// where the schema has one ("Start delay (surplus.start_delay_s)", or the socket it belongs to),
/// its old and new value with the unit; a secret only as changed. A setting with a label has the
/// text as a message too (the values with their unit as parameters).
storage::Event change_event(const Config& after, const std::string& key, const json* old_value, const json* new_value,
                            ems::WallTime at) {
  std::string what = key;
  std::string unit;
  std::string label;
  if (const auto* f = schema_field(key); f != nullptr) {
    label = std::string(f->label);
    if (!f->label.empty()) what = label + " (" + key + ")";
    if (!f->unit.empty()) unit = " " + std::string(f->unit);
  } else if (const auto* so = socket_of(after, key)) {
    what = "socket " + std::to_string(so->id) + ": " + key.substr(key.rfind('.') + 1);
    if (key.ends_with("_a")) unit = " A";
  }
  storage::Event e{0, at, storage::EventKind::ConfigChange, key, {}, {}};
  if (is_secret(key)) {
    e.text = what + ": changed (set from the dashboard)";
    if (!label.empty()) e.message = msg::dashboard_secret_changed(label, key);
    return e;
  }
  const std::string now = new_value ? value_text(*new_value) + unit : "(none)";
  if (old_value == nullptr) {
    e.text = what + ": set to " + now + " (set from the dashboard)";
    if (!label.empty()) e.message = msg::dashboard_setting_set(label, key, now);
    return e;
  }
  const std::string old = value_text(*old_value) + unit;
  e.text = what + ": " + old + " → " + now + " (set from the dashboard)";
  if (!label.empty()) e.message = msg::dashboard_setting_changed(label, key, old, now);
  return e;
}

json overrides_json(const std::vector<storage::SettingOverride>& items) {
  json out = json::array();
  for (const auto& o : items)
    out.push_back({{"key", o.key},
                   {"value", is_secret(o.key) ? std::string("(hidden)") : o.value},
                   {"source", o.source},
                   {"time_ms", storage::to_unix_ms(o.time)}});
  return out;
}

}  // namespace

std::vector<storage::SettingOverride> overrides_between(const Config& before, const Config& after, const json& patch,
                                                        const std::string& source, ems::WallTime at) {
  std::vector<storage::SettingOverride> out;
  const auto old_leaves = config_leaves(config_to_json(before));
  for (const auto& [key, value] : config_leaves(config_to_json(after))) {
    if (key.starts_with("meter_presets")) continue;
    const auto it = old_leaves.find(key);
    if (it != old_leaves.end() && it->second == value) continue;
    if (const auto command = as_command(after, key)) {
      if (auto o = override_from_command(*command, source, at)) out.push_back(std::move(*o));
      continue;
    }
    out.push_back({key, value.dump(), source, at});
  }
  for (const auto key : kSecrets) {
    const auto ptr = config_pointer(std::string(key));
    const json::json_pointer p(ptr);
    if (patch.contains(p) && patch[p].is_string()) out.push_back({std::string(key), patch[p].dump(), source, at});
  }
  return out;
}

std::vector<OverrideOutcome> apply_config_overrides(Config& config,
                                                    const std::vector<storage::SettingOverride>& items) {
  const ems::SiteConfig file = config.site;  // the installer's limits (safety rule 8)
  const auto refuse_raise = [](const storage::SettingOverride& o, const ems::ConfigIssue& i) {
    OverrideOutcome r{o, false, "refused: " + i.key + " = " + i.value + ": " + i.rule};
    spdlog::warn("override {} = {} (set by {}) skipped: {}", o.key, o.value, o.source, r.message);
    return r;
  };
  std::vector<OverrideOutcome> out;
  for (const auto& o : items) {
    const bool confirmed = o.source == kConfirmedWebSource;
    if (const auto command = command_from_override(o)) {
      if (const auto raise = ems::check_installer_limits(file, *command); !raise.empty() && !confirmed) {
        out.push_back(refuse_raise(o, raise.front()));
        continue;
      }
      auto r = apply_overrides(config.site, {o});  // judged by ems::apply_command; logs itself
      out.push_back(std::move(r.front()));
      continue;
    }
    OverrideOutcome r{o, false, {}};
    if (o.key == kSchedulesOverride) {
      // The whole list of windows; a window only ever lowers a limit, so no installer limit applies.
      auto list = schedules_from_json(json::parse(o.value, nullptr, false));
      std::vector<ems::ConfigIssue> issues = list ? validate_schedules(*list, config.site) : list.error();
      if (issues.empty()) {
        config.schedules = std::move(*list);
        r.applied = true;
        r.message = o.key + " = " + o.value;
        spdlog::info("override {} (set by {}) applied on top of the configuration file", r.message, o.source);
      } else {
        r.message = "refused: " + issues.front().key + " = " + issues.front().value + ": " + issues.front().rule;
        spdlog::warn("override {} (set by {}) skipped: {}", o.key, o.source, r.message);
      }
      out.push_back(std::move(r));
      continue;
    }
    const auto ptr = config_pointer(o.key);
    const auto value = json::parse(o.value, nullptr, false);
    json doc = config_to_json(config);
    if (ptr.empty() || value.is_discarded() || (!is_secret(o.key) && !doc.contains(json::json_pointer(ptr)))) {
      r.message = "names no setting of this configuration, or its value is unreadable";
    } else {
      doc[json::json_pointer(ptr)] = value;
      auto c = apply_config_patch(config, doc);
      if (c && !confirmed && installer_locked(o.key)) {
        for (const auto& raise : installer_raises(file, c->site))
          if (raise.key == o.key) {
            c = Unexpected(std::vector<ems::ConfigIssue>{raise});
            break;
          }
      }
      if (!c) {
        const auto& i = c.error().front();
        r.message = "refused: " + i.key + " = " + i.value + ": " + i.rule;
      } else {
        config = std::move(*c);
        r.applied = true;
        r.message = o.key + " = " + (is_secret(o.key) ? "(hidden)" : o.value);
      }
    }
    if (r.applied)
      spdlog::info("override {} (set by {}) applied on top of the configuration file", r.message, o.source);
    else
      spdlog::warn("override {} (set by {}) skipped: {}", o.key, o.source, r.message);
    out.push_back(std::move(r));
  }
  return out;
}

RuntimeConfigService::RuntimeConfigService(Config file, Config started, ControlLoop& loop, StorageRecorder* recorder,
                                           const ems::Clock& clock)
    : file_(std::move(file)),
      started_(std::move(started)),
      desired_(started_),
      loop_(loop),
      recorder_(recorder),
      clock_(clock) {}

Config RuntimeConfigService::shown_locked() const {
  Config c = loop_.config();
  c.meters = desired_.meters;
  c.mqtt = desired_.mqtt;
  c.influx = desired_.influx;
  for (std::size_t i = 0; i < c.station_links.size() && i < desired_.station_links.size(); ++i)
    c.station_links[i] = desired_.station_links[i];
  return c;
}

Config RuntimeConfigService::saved_config() const {
  std::lock_guard lock(mutex_);
  return shown_locked();
}

Config RuntimeConfigService::live_from(const Config& c) const {
  Config live = started_;
  live.site = c.site;
  live.schedules = c.schedules;
  live.source = "the dashboard";
  return live;
}

std::vector<storage::SettingOverride> RuntimeConfigService::stored_overrides() const {
  if (!recorder_) return memory_overrides_;
  recorder_->wait_idle();  // overrides from commands are written by the recorder's thread
  auto items = recorder_->with_store([](storage::SqliteStore& s) { return s.overrides(); });
  if (!items) {
    spdlog::error("configuration: cannot read the stored overrides: {}", items.error().message);
    return {};
  }
  return *items;
}

json RuntimeConfigService::get_config() const {
  std::lock_guard lock(mutex_);
  const Config shown = shown_locked();
  json doc = config_to_json(shown);
  json restart = json::array();
  const auto running = config_leaves(config_to_json(started_));
  for (const auto& [key, value] : config_leaves(doc)) {
    if (!needs_restart(key)) continue;
    const auto it = running.find(key);
    if (it == running.end() || it->second != value) restart.push_back(key);
  }
  doc["restart_required"] = restart;
  doc["overrides"] = overrides_json(stored_overrides());
  doc["storage"] = {{"keeps_overrides", recorder_ != nullptr}};
  return doc;
}

std::vector<ems::ConfigIssue> RuntimeConfigService::hand_to_loop(const Config& c) {
  auto done = std::make_shared<std::promise<std::vector<ems::ConfigIssue>>>();
  auto applied = done->get_future();
  loop_.post(ReloadEvent{live_from(c), [done](std::vector<ems::ConfigIssue> issues) { done->set_value(issues); }});
  if (applied.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    return {{"(control)", "", "the control loop did not take the change within 5 s; it applies at its next step"}};
  return applied.get();
}

std::vector<ems::ConfigIssue> RuntimeConfigService::put_config(const json& patch, bool confirmed) {
  std::lock_guard lock(mutex_);
  const Config before = shown_locked();
  auto after = apply_config_patch(before, patch);
  if (!after) return std::move(after).error();
  // Safety rule 8: going beyond the file's installer limits needs the explicit confirmation; only
  // the settings this change touches are asked about.
  std::vector<ems::ConfigIssue> unconfirmed;
  const auto old_leaves = config_leaves(config_to_json(before));
  const auto new_leaves = config_leaves(config_to_json(*after));
  for (auto& raise : installer_raises(file_.site, after->site)) {
    const auto was = old_leaves.find(raise.key);
    const auto now = new_leaves.find(raise.key);
    if (was != old_leaves.end() && now != new_leaves.end() && was->second == now->second) continue;
    raise.rule += "; ";
    raise.rule += webui::kConfirmationRule;
    unconfirmed.push_back(std::move(raise));
  }
  if (!unconfirmed.empty() && !confirmed) return unconfirmed;
  auto changes = overrides_between(before, *after, patch, "web", clock_.wall_now());
  if (changes.empty()) return {};
  // One event per changed setting, with its old and new value (the overrides keep only the new).
  std::vector<storage::Event> events;
  for (const auto& [key, value] : new_leaves) {
    if (key.starts_with("meter_presets")) continue;
    const auto was = old_leaves.find(key);
    if (was != old_leaves.end() && was->second == value) continue;
    events.push_back(
        change_event(*after, key, was != old_leaves.end() ? &was->second : nullptr, &value, changes.front().time));
  }
  for (const auto& o : changes)
    if (is_secret(o.key)) events.push_back(change_event(*after, o.key, nullptr, nullptr, o.time));
  for (auto& o : changes)
    if (confirmed && installer_locked(o.key)) o.source = std::string(kConfirmedWebSource);
  if (auto issues = hand_to_loop(*after); !issues.empty()) return issues;
  desired_ = *after;
  for (const auto& o : changes) {
    spdlog::info("configuration: {} = {} set from the dashboard{}", o.key, is_secret(o.key) ? "(hidden)" : o.value,
                 needs_restart(o.key) ? " (applies at the next start)" : "");
    if (!recorder_) {
      std::erase_if(memory_overrides_, [&](const auto& m) { return m.key == o.key; });
      memory_overrides_.push_back(o);
      continue;
    }
    recorder_->wait_idle();
    if (const auto s = recorder_->with_store([&](storage::SqliteStore& st) { return st.set_override(o); }); !s)
      spdlog::error("configuration: {} applies now but could not be kept: {}", o.key, s.error().message);
  }
  if (recorder_)
    for (auto& e : events) recorder_->record_event(std::move(e));
  return {};
}

std::vector<ems::ConfigIssue> RuntimeConfigService::clear_overrides(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto items = stored_overrides();
  const bool all = key.empty();
  if (!all && std::none_of(items.begin(), items.end(), [&](const auto& o) { return o.key == key; }))
    return {{key, "", "is not an override (GET /api/config lists them under \"overrides\")"}};
  for (const auto& o : items) {
    if (!all && o.key != key) continue;
    if (recorder_) {
      if (const auto s = recorder_->with_store([&](storage::SqliteStore& st) { return st.clear_override(o.key); }); !s)
        return {{o.key, "", "could not be cleared: " + s.error().message}};
    }
    spdlog::info("configuration: override {} cleared; the configuration file's value applies again", o.key);
  }
  std::erase_if(items, [&](const auto& o) { return all || o.key == key; });
  if (!recorder_) memory_overrides_ = items;
  Config c = file_;
  (void)apply_config_overrides(c, items);
  if (auto issues = hand_to_loop(c); !issues.empty()) return issues;
  desired_ = c;
  return {};
}

json RuntimeConfigService::get_schedules() const {
  std::lock_guard lock(mutex_);
  const Config shown = shown_locked();
  const auto now = clock_.wall_now();
  const auto at = local_(now);
  json list = schedules_to_json(shown.schedules);
  for (std::size_t i = 0; i < shown.schedules.size(); ++i) {
    const auto& w = shown.schedules[i];
    auto& item = list[i];
    item["active"] = window_open(w, at);
    item["limit"] = window_limit_text(w);
    const auto next = window_next_change(w, now, local_);
    item["next_change_ms"] = next ? json(storage::to_unix_ms(*next)) : json(nullptr);
  }
  const auto items = stored_overrides();
  const bool from_web =
      std::any_of(items.begin(), items.end(), [](const auto& o) { return o.key == kSchedulesOverride; });
  return {{"schedules", std::move(list)},
          {"time_ms", storage::to_unix_ms(now)},
          {"source", from_web ? "web" : "file"},
          {"storage", {{"keeps_overrides", recorder_ != nullptr}}}};
}

namespace {
/// A window in words for the event list: "grid connection mon,tue 22:00–06:00 10 A".
std::string window_text(const ScheduleWindow& w) {
  std::string days;
  for (const auto& d : w.days) days += (days.empty() ? "" : ",") + d;
  return (w.node.empty() ? std::string("grid connection") : "circuit " + w.node) + " " + days + " " + w.from + "–" +
         w.until + " " + window_limit_text(w);
}
}  // namespace

void RuntimeConfigService::keep_override(const storage::SettingOverride& o) {
  if (!recorder_) {
    std::erase_if(memory_overrides_, [&](const auto& m) { return m.key == o.key; });
    memory_overrides_.push_back(o);
    return;
  }
  recorder_->wait_idle();
  if (const auto s = recorder_->with_store([&](storage::SqliteStore& st) { return st.set_override(o); }); !s)
    spdlog::error("configuration: {} applies now but could not be kept: {}", o.key, s.error().message);
}

std::vector<ems::ConfigIssue> RuntimeConfigService::put_schedules(const json& list) {
  std::lock_guard lock(mutex_);
  auto windows = schedules_from_json(list);
  if (!windows) return std::move(windows).error();
  Config after = shown_locked();
  if (auto issues = validate_schedules(*windows, after.site); !issues.empty()) return issues;
  const auto before = after.schedules;
  if (before == *windows) return {};
  after.schedules = *windows;
  if (auto issues = hand_to_loop(after); !issues.empty()) return issues;
  desired_.schedules = after.schedules;
  const auto at = clock_.wall_now();
  const auto value = schedules_to_json(after.schedules).dump();
  spdlog::info("configuration: schedules = {} set from the dashboard", value);
  keep_override({std::string(kSchedulesOverride), value, "web", at});
  if (!recorder_) return {};
  // One event per window added, changed or removed, with its old and new form.
  const auto find = [](const std::vector<ScheduleWindow>& v, const std::string& name) {
    const auto it = std::find_if(v.begin(), v.end(), [&](const auto& w) { return w.name == name; });
    return it == v.end() ? nullptr : &*it;
  };
  const auto event = [&](const std::string& name, const ScheduleWindow* was, const ScheduleWindow* now) {
    const auto old_text = was ? window_text(*was) : "(none)";
    const auto new_text = now ? window_text(*now) : "(none)";
    const std::string text = "schedule " + name + ": " + old_text + " → " + new_text + " (set from the dashboard)";
    recorder_->record_event({0, at, storage::EventKind::ConfigChange, "schedule." + name, text,
                             msg::schedule_changed(name, old_text, new_text)});
  };
  for (const auto& w : before)
    if (const auto* now = find(after.schedules, w.name); now == nullptr || !(*now == w)) event(w.name, &w, now);
  for (const auto& w : after.schedules)
    if (find(before, w.name) == nullptr) event(w.name, nullptr, &w);
  return {};
}

void RuntimeConfigService::file_reloaded(Config file, const Config& with_overrides) {
  std::lock_guard lock(mutex_);
  file_ = std::move(file);
  desired_ = with_overrides;
}

}  // namespace emsgw::gateway
