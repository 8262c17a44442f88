#include "mqtt/mqtt_bridge.hpp"

#include <mqtt/async_client.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "mqtt/command_parser.hpp"
#include "mqtt/telemetry.hpp"

namespace emsgw::mqtt {

namespace {
struct Outgoing {
  std::string topic;
  std::string payload;
  bool retain = false;
};

struct Incoming {
  std::string topic;
  std::string payload;
  bool retained = false;
};

/// The newest command on one …/set topic that is not handed to the sink yet (last writer wins).
struct CommandSlot {
  std::optional<Incoming> pending;
  std::uint64_t replaced = 0;   ///< older commands on this topic the pending one superseded
  bool in_flight = false;       ///< submitted, reply not back yet
  ems::MonoTime last_submit{};  ///< when the last one was handed to the sink
  bool submitted_once = false;
};

constexpr auto kShutdownWait = std::chrono::seconds(2);
constexpr auto kBackpressureWait = std::chrono::milliseconds(20);
/// At most one command per topic in flight, and at least this long between two on the same topic:
/// a flood collapses into a few commands, each the newest at its time.
constexpr auto kCommandSpacing = std::chrono::milliseconds(100);
/// Distinct command topics waiting at once; more are dropped (and counted).
constexpr std::size_t kMaxCommandTopics = 256;
/// Refusals the bridge answers itself (unknown topic, bad payload, disabled, retained): at most
/// this many replies per second; the rest are counted, not answered.
constexpr int kRefusalRepliesPerSecond = 20;
}  // namespace

MqttSettings resolve_settings(MqttSettings s, std::string_view site_name) {
  if (s.topic_prefix.empty()) s.topic_prefix = default_topic_prefix(site_name);
  while (s.topic_prefix.ends_with('/')) s.topic_prefix.pop_back();
  if (s.client_id.empty()) s.client_id = "emsgw-" + topic_segment(site_name);
  if (!valid_publish_topic(s.topic_prefix) || s.topic_prefix.empty())
    throw std::invalid_argument("mqtt.topic_prefix \"" + s.topic_prefix + "\": must be a topic without + or #");
  if (!valid_publish_topic(s.discovery_prefix))
    throw std::invalid_argument("mqtt.discovery_prefix \"" + s.discovery_prefix + "\": must be a topic without + or #");
  if (!(s.url.starts_with("tcp://") || s.url.starts_with("ssl://") || s.url.starts_with("mqtt://") ||
        s.url.starts_with("mqtts://")))
    throw std::invalid_argument("mqtt.url \"" + s.url + "\": must start with tcp:// or ssl://");
  if (s.qos < 0 || s.qos > 1) throw std::invalid_argument("mqtt.qos: must be 0 or 1");
  s.queue_max_messages = std::max(s.queue_max_messages, 1);
  s.reconnect_min_s = std::max(s.reconnect_min_s, 1);
  s.reconnect_max_s = std::max(s.reconnect_max_s, s.reconnect_min_s);
  return s;
}

class MqttBridge::Impl : public std::enable_shared_from_this<MqttBridge::Impl> {
 public:
  Impl(MqttSettings settings, SiteDescription description, ems::CommandSink& sink, const ems::Clock& clock)
      : settings_(resolve_settings(std::move(settings), description.site.name)),
        description_(std::move(description)),
        topics_(settings_.topic_prefix),
        sink_(sink),
        clock_(clock),
        filter_(ems::Millis(std::max(settings_.measurement_interval_ms, 0))),
        client_(std::make_unique<::mqtt::async_client>(settings_.url, settings_.client_id)) {
    birth_topic_ = settings_.discovery_prefix + "/status";
    client_->set_connection_lost_handler([this](const std::string&) {
      {
        std::lock_guard lock(m_);
        connection_lost_ = true;
      }
      cv_.notify_one();
    });
    client_->set_message_callback([this](::mqtt::const_message_ptr msg) {
      if (!msg) return;
      {
        std::lock_guard lock(m_);
        if (msg->get_topic() == birth_topic_) {
          if (inbox_.size() >= 16) return;  // repeated births: one re-publish is enough
          inbox_.push_back({msg->get_topic(), msg->to_string(), msg->is_retained()});
        } else {
          // Last writer wins per topic: a newer command replaces the one still waiting, so a flood
          // never drops the newest and never grows without bound.
          ++stats_.commands;
          auto it = slots_.find(msg->get_topic());
          if (it == slots_.end()) {
            if (slots_.size() >= kMaxCommandTopics) {
              ++stats_.commands_dropped;
              return;
            }
            it = slots_.emplace(msg->get_topic(), CommandSlot{}).first;
          }
          auto& slot = it->second;
          if (slot.pending) {
            ++slot.replaced;
            ++stats_.commands_coalesced;
          }
          slot.pending = Incoming{msg->get_topic(), msg->to_string(), msg->is_retained()};
        }
      }
      cv_.notify_one();
    });
  }

  ~Impl() {
    stop();
    client_.reset();  // before the mutex and queues its callbacks use
  }

  void start() {
    std::lock_guard lock(m_);
    if (worker_.joinable() || stopping_) return;
    worker_ = std::thread([this] { run(); });
  }

  void stop() {
    {
      std::lock_guard lock(m_);
      if (stopping_) {
        if (!worker_.joinable()) return;
      }
      stopping_ = true;
    }
    cv_.notify_one();
    if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
  }

  void publish(std::shared_ptr<const ems::SiteStatus> status) noexcept {
    if (!status) return;
    std::shared_ptr<const ems::SiteStatus> old;
    {
      std::lock_guard lock(m_);
      old = std::exchange(latest_, std::move(status));
      status_pending_ = true;
      ++stats_.statuses;
    }
    cv_.notify_one();
    // `old` is released here, outside the lock.
  }

  void publish_session(const FinishedSession& f) noexcept {
    {
      std::lock_guard lock(m_);
      for (auto& [topic, payload] : session_messages(f, topics_)) push_locked({topic, payload, true});
    }
    cv_.notify_one();
  }

  /// Called by the sink's reply callback, possibly from another thread.
  void enqueue_reply(std::string topic, std::string payload) {
    {
      std::lock_guard lock(m_);
      push_locked({std::move(topic), std::move(payload), false});
    }
    cv_.notify_one();
  }

  BridgeStats stats() const {
    std::lock_guard lock(m_);
    BridgeStats s = stats_;
    s.queued = queue_.size();
    return s;
  }

  const MqttSettings& settings() const { return settings_; }
  const Topics& topics() const { return topics_; }

 private:
  void push_locked(Outgoing msg) {
    while (queue_.size() >= static_cast<std::size_t>(settings_.queue_max_messages)) {
      queue_.pop_front();
      ++stats_.dropped;
    }
    queue_.push_back(std::move(msg));
  }

  ::mqtt::connect_options connect_options() const {
    auto b = ::mqtt::connect_options_builder()
                 .clean_session(true)
                 .keep_alive_interval(std::chrono::seconds(std::max(settings_.keepalive_s, 1)))
                 .connect_timeout(std::chrono::seconds(std::max(settings_.connect_timeout_s, 1)))
                 .will(::mqtt::message(topics_.status(), "offline", 1, true))
                 .automatic_reconnect(false);
    if (!settings_.username.empty()) b.user_name(settings_.username);
    if (!settings_.password.empty()) b.password(settings_.password);
    if (settings_.url.starts_with("ssl://") || settings_.url.starts_with("mqtts://")) {
      auto ssl = ::mqtt::ssl_options_builder();
      if (!settings_.ca_file.empty()) ssl.trust_store(settings_.ca_file);
      if (!settings_.cert_file.empty()) ssl.key_store(settings_.cert_file);
      if (!settings_.key_file.empty()) ssl.private_key(settings_.key_file);
      if (!settings_.key_password.empty()) ssl.private_keypassword(settings_.key_password);
      ssl.enable_server_cert_auth(settings_.tls_verify);
      ssl.verify(settings_.tls_verify);
      b.ssl(ssl.finalize());
    }
    return b.finalize();
  }

  /// Publishes directly (worker thread only). False when the client refused it.
  bool send(const std::string& topic, const std::string& payload, bool retain, int qos) {
    try {
      client_->publish(topic, payload.data(), payload.size(), qos, retain);
      std::lock_guard lock(m_);
      ++stats_.published;
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  bool try_connect() {
    try {
      auto tok = client_->connect(connect_options());
      if (!tok->wait_for(std::chrono::seconds(settings_.connect_timeout_s + 2)) || !client_->is_connected()) {
        try {
          client_->disconnect()->wait_for(std::chrono::seconds(1));
        } catch (const std::exception&) {
        }
        return false;
      }
      std::vector<std::string> filters{topics_.socket_command_filter(), topics_.site_command_filter(),
                                       topics_.grid_operator_command_filter()};
      if (settings_.ha_discovery) filters.push_back(birth_topic_);
      for (const auto& f : filters) client_->subscribe(f, 1);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  void publish_discovery() {
    if (!settings_.ha_discovery) return;
    for (const auto& m : discovery_messages(description_, topics_, settings_.discovery_prefix))
      send(m.topic, m.payload.dump(), settings_.discovery_retain, 1);
    std::lock_guard lock(m_);
    ++stats_.discovery_sent;
  }

  void handle_incoming(const Incoming& in) {
    if (in.topic == birth_topic_ && in.payload == "online") {
      publish_discovery();
      filter_.resend_all();
      resend_due_ = true;
    }
  }

  /// Hands every waiting command whose topic is free (no command in flight, spacing passed) to
  /// the sink, or refuses it. Returns when the next waiting one becomes due (or max when none).
  ems::MonoTime dispatch_commands(ems::MonoTime now) {
    std::vector<std::pair<Incoming, std::uint64_t>> due;
    ems::MonoTime next = ems::MonoTime::max();
    {
      std::lock_guard lock(m_);
      for (auto it = slots_.begin(); it != slots_.end();) {
        auto& slot = it->second;
        const auto free_at = slot.last_submit + kCommandSpacing;
        if (!slot.pending) {
          // Forget idle topics once their spacing has passed, so garbage topics cannot fill the map.
          if (!slot.in_flight && (!slot.submitted_once || now >= free_at)) {
            it = slots_.erase(it);
            continue;
          }
        } else if (!slot.in_flight && (!slot.submitted_once || now >= free_at)) {
          due.emplace_back(std::move(*slot.pending), std::exchange(slot.replaced, 0));
          slot.pending.reset();
          slot.in_flight = true;
          slot.submitted_once = true;
          slot.last_submit = now;
        } else if (now < free_at) {
          next = std::min(next, free_at);  // a reply before then still waits for the spacing
        }
        ++it;
      }
    }
    for (auto& [in, replaced] : due) handle_command(in, replaced);
    return next;
  }

  /// The reply to a command is out: its topic may take the next one.
  void command_done(const std::string& topic) {
    {
      std::lock_guard lock(m_);
      if (const auto it = slots_.find(topic); it != slots_.end()) it->second.in_flight = false;
    }
    cv_.notify_one();
  }

  void handle_command(const Incoming& in, std::uint64_t replaced) {
    const std::string reply_to = reply_topic(in.topic);
    auto refuse = [&](std::string why) {
      {
        std::lock_guard lock(m_);
        ++stats_.commands_refused;
        const auto now = clock_.mono_now();
        if (now - refusal_window_ >= std::chrono::seconds(1)) {
          refusal_window_ = now;
          refusals_in_window_ = 0;
        }
        if (refusals_in_window_ < kRefusalRepliesPerSecond) {
          ++refusals_in_window_;
          push_locked({reply_to, reply_payload({false, std::move(why), {}}, in.payload, replaced), false});
        } else {
          ++stats_.replies_suppressed;
        }
      }
      command_done(in.topic);
    };
    if (in.retained) {
      refuse("retained commands are ignored: publish commands without the retain flag");
      return;
    }
    auto cmd = parse_command(topics_, in.topic, in.payload);
    if (!cmd) {
      refuse(cmd.error());
      return;
    }
    const auto name = command_name(*cmd);
    if (std::find(settings_.commands.begin(), settings_.commands.end(), name) == settings_.commands.end()) {
      refuse("the " + std::string(name) + " command is not enabled (mqtt.commands)");
      return;
    }
    std::weak_ptr<Impl> self = weak_from_this();
    sink_.submit(std::move(cmd).value(),
                 [self, topic = in.topic, reply_to, payload = in.payload, replaced](ems::CommandReply reply) {
                   auto impl = self.lock();
                   if (!impl) return;
                   if (!reply.accepted) {
                     std::lock_guard lock(impl->m_);
                     ++impl->stats_.commands_refused;
                   }
                   impl->enqueue_reply(reply_to, reply_payload(reply, payload, replaced));
                   impl->command_done(topic);
                 });
  }

  void publish_status(const ems::SiteStatus& status) {
    const auto items = filter_.select(telemetry_items(status, topics_), clock_.mono_now());
    std::lock_guard lock(m_);
    for (const auto& item : items) push_locked({item.topic, item.payload, settings_.retain_state});
    stats_.energy_regressions = filter_.energy_regressions();
  }

  /// Sends queued messages while connected. Stops at the first refusal: when the connection went
  /// down, the worker reconnects; when the client is only full (too many in flight), it waits a
  /// moment and goes on. The refused message stays first in the queue.
  void drain() {
    for (;;) {
      Outgoing msg;
      {
        std::lock_guard lock(m_);
        if (queue_.empty()) return;
        msg = std::move(queue_.front());
        queue_.pop_front();
      }
      if (send(msg.topic, msg.payload, msg.retain, settings_.qos)) continue;
      const bool still_connected = client_->is_connected();
      std::unique_lock lock(m_);
      if (queue_.size() < static_cast<std::size_t>(settings_.queue_max_messages))
        queue_.push_front(std::move(msg));
      else
        ++stats_.dropped;
      if (!still_connected) {
        connection_lost_ = true;
      } else {
        cv_.wait_for(lock, kBackpressureWait, [&] { return stopping_; });
      }
      return;
    }
  }

  void run() {
    using Clock = ems::MonoTime::clock;
    const auto interval = ems::Millis(std::max(settings_.measurement_interval_ms, 50));
    auto backoff = std::chrono::seconds(settings_.reconnect_min_s);
    ems::MonoTime next_attempt = clock_.mono_now();
    ems::MonoTime last_eval{};
    bool connected = false;
    ems::MonoTime next_command = ems::MonoTime::max();
    std::shared_ptr<const ems::SiteStatus> status;
    for (;;) {
      std::deque<Incoming> inbox;
      bool lost = false;
      bool fresh = false;
      {
        std::unique_lock lock(m_);
        const auto before = clock_.mono_now();
        auto wait = connected ? Clock::duration(interval) : std::min<Clock::duration>(interval, next_attempt - before);
        if (next_command != ems::MonoTime::max()) wait = std::min<Clock::duration>(wait, next_command - before);
        cv_.wait_for(lock, std::max<Clock::duration>(wait, ems::Millis(1)), [&] {
          return stopping_ || status_pending_ || !inbox_.empty() || connection_lost_ ||
                 (connected && !queue_.empty()) || commands_ready_locked();
        });
        if (stopping_) break;
        inbox.swap(inbox_);
        lost = std::exchange(connection_lost_, false);
        if (status_pending_) {
          status = latest_;
          status_pending_ = false;
          fresh = true;
        }
      }
      const auto now = clock_.mono_now();
      if (lost && connected) {
        connected = false;
        set_connected(false);
        next_attempt = now + backoff;
      }
      if (!connected && now >= next_attempt) {
        if (try_connect()) {
          connected = true;
          backoff = std::chrono::seconds(settings_.reconnect_min_s);
          {
            std::lock_guard lock(m_);
            ++stats_.connects;
            connection_lost_ = false;
          }
          set_connected(true);
          send(topics_.status(), "online", true, 1);
          publish_discovery();
          filter_.resend_all();
          resend_due_ = true;
        } else {
          {
            std::lock_guard lock(m_);
            ++stats_.connect_failures;
          }
          next_attempt = clock_.mono_now() + backoff;
          backoff = std::min(backoff * 2, std::chrono::seconds(settings_.reconnect_max_s));
        }
      }
      for (const auto& in : inbox) handle_incoming(in);
      next_command = dispatch_commands(now);
      if (status && (fresh || resend_due_ || now - last_eval >= interval)) {
        publish_status(*status);
        last_eval = now;
        resend_due_ = false;
      }
      if (connected) drain();
    }
    if (connected) {
      drain();
      send(topics_.status(), "offline", true, 1);
      try {
        client_->disconnect(std::chrono::milliseconds(500))->wait_for(kShutdownWait);
      } catch (const std::exception&) {
      }
      set_connected(false);
    }
  }

  /// A waiting command on a topic with nothing in flight whose spacing has passed: due now.
  bool commands_ready_locked() const {
    const auto now = clock_.mono_now();
    return std::any_of(slots_.begin(), slots_.end(), [&](const auto& kv) {
      const auto& slot = kv.second;
      return slot.pending && !slot.in_flight && (!slot.submitted_once || now >= slot.last_submit + kCommandSpacing);
    });
  }

  void set_connected(bool c) {
    std::lock_guard lock(m_);
    stats_.connected = c;
  }

  const MqttSettings settings_;
  const SiteDescription description_;
  const Topics topics_;
  ems::CommandSink& sink_;
  const ems::Clock& clock_;
  std::string birth_topic_;
  TelemetryFilter filter_;   // worker thread only
  bool resend_due_ = false;  // worker thread only
  std::unique_ptr<::mqtt::async_client> client_;

  mutable std::mutex m_;
  std::condition_variable cv_;
  std::shared_ptr<const ems::SiteStatus> latest_;
  bool status_pending_ = false;
  bool connection_lost_ = false;
  bool stopping_ = false;
  std::deque<Outgoing> queue_;
  std::deque<Incoming> inbox_;                ///< Home Assistant births
  std::map<std::string, CommandSlot> slots_;  ///< commands by topic, newest only
  ems::MonoTime refusal_window_{};            ///< start of the current one-second reply window
  int refusals_in_window_ = 0;
  BridgeStats stats_;
  std::thread worker_;
};

MqttBridge::MqttBridge(MqttSettings settings, SiteDescription description, ems::CommandSink& sink,
                       const ems::Clock& clock)
    : impl_(std::make_shared<Impl>(std::move(settings), std::move(description), sink, clock)) {}

MqttBridge::~MqttBridge() {
  impl_->stop();
}

void MqttBridge::start() {
  impl_->start();
}
void MqttBridge::stop() {
  impl_->stop();
}
void MqttBridge::publish(std::shared_ptr<const ems::SiteStatus> status) noexcept {
  impl_->publish(std::move(status));
}
void MqttBridge::publish_session(const FinishedSession& session) noexcept {
  impl_->publish_session(session);
}
BridgeStats MqttBridge::stats() const {
  return impl_->stats();
}
const MqttSettings& MqttBridge::settings() const {
  return impl_->settings();
}
const Topics& MqttBridge::topics() const {
  return impl_->topics();
}

}  // namespace emsgw::mqtt
