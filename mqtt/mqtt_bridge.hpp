#pragma once
// The MQTT side of emsgw: telemetry out, Home Assistant discovery, commands in (protocols.md §6).
//
//   MqttBridge bridge(settings, description, sink, clock);
//   bridge.start();                 // connects in the background; reconnects with backoff
//   bridge.publish(status);         // once per control step; never blocks
//   bridge.stop();                  // "offline", then disconnect
//
// Threads: publish() only swaps a pointer under a short lock. One worker thread owns the Paho
// async client: it maps the latest status to topics (mqtt/telemetry.hpp), keeps a bounded queue
// of outgoing messages that drops the oldest while the broker is away, connects and reconnects
// (backoff reconnect_min_s … reconnect_max_s), and after every connect publishes "online"
// (retained; the last will says "offline"), the discovery configs and the full state. Commands
// arriving on …/set are parsed (mqtt/command_parser.hpp), checked against the enable list
// (mqtt.commands) and handed to the CommandSink; its reply is published on …/reply. Per topic the
// last writer wins: while a command is in flight (and for 100 ms after the previous one) a newer
// one replaces the waiting one, so a flood ends with the newest value applied, and replies, log
// lines and stored settings stay bounded. A "online" on <discovery prefix>/status re-publishes
// discovery and state.

#include <cstdint>
#include <memory>
#include <optional>

#include "ems/command.hpp"
#include "ems/site_status.hpp"
#include "ems/time.hpp"
#include "mqtt/discovery.hpp"
#include "mqtt/mqtt_settings.hpp"
#include "mqtt/telemetry.hpp"
#include "mqtt/topics.hpp"

namespace emsgw::mqtt {

struct BridgeStats {
  bool connected = false;
  std::uint64_t connects = 0;  ///< successful connects, the first included
  std::uint64_t connect_failures = 0;
  std::uint64_t statuses = 0;            ///< publish() calls
  std::uint64_t published = 0;           ///< messages handed to the broker connection
  std::uint64_t dropped = 0;             ///< messages dropped from the full queue (oldest first)
  std::uint64_t queued = 0;              ///< messages waiting now
  std::uint64_t commands = 0;            ///< command messages received
  std::uint64_t commands_refused = 0;    ///< refused by the parser, the enable list or the sink
  std::uint64_t commands_coalesced = 0;  ///< replaced by a newer command on the same topic before they were handled
  std::uint64_t commands_dropped = 0;    ///< dropped: too many distinct command topics waiting at once
  std::uint64_t replies_suppressed = 0;  ///< refusals not answered (more than 20 a second)
  std::uint64_t discovery_sent = 0;      ///< discovery rounds published
  std::uint64_t energy_regressions = 0;  ///< energy samples dropped for being lower than what was published
};

/// Settings with the defaults that depend on the site filled in (prefix, client id). Throws
/// std::invalid_argument naming the setting when the result cannot work (bad URL, bad prefix).
[[nodiscard]] MqttSettings resolve_settings(MqttSettings settings, std::string_view site_name);

class MqttBridge {
 public:
  /// `sink` and `clock` must outlive the bridge. Throws std::invalid_argument for unusable settings.
  MqttBridge(MqttSettings settings, SiteDescription description, ems::CommandSink& sink, const ems::Clock& clock);
  ~MqttBridge();
  MqttBridge(const MqttBridge&) = delete;
  MqttBridge& operator=(const MqttBridge&) = delete;

  /// Starts the worker thread; connecting happens there. Idempotent.
  void start();
  /// Publishes "offline", disconnects and joins the worker. Idempotent; the destructor calls it.
  void stop();
  /// Hands the latest status to the worker. Never blocks on the network; a status not yet taken
  /// by the worker is replaced by the newer one.
  void publish(std::shared_ptr<const ems::SiteStatus> status) noexcept;
  /// Publishes (retained) the energy and cost of a session that ended on socket/<id>/last_session_*.
  /// Never blocks on the network.
  void publish_session(const FinishedSession& session) noexcept;

  [[nodiscard]] BridgeStats stats() const;
  [[nodiscard]] const MqttSettings& settings() const;
  [[nodiscard]] const Topics& topics() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace emsgw::mqtt
