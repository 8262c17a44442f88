// Runs an MqttBridge against a broker and publishes a status every 100 ms until killed. The
// last-will test SIGKILLs it. Usage: mqtt_bridge_runner <broker url> <topic prefix>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "mqtt/mqtt_bridge.hpp"
#include "tests/mqtt/mqtt_test_support.hpp"

namespace {
class AcceptingSink : public emsgw::ems::CommandSink {
 public:
  void submit(emsgw::ems::Command c, std::function<void(emsgw::ems::CommandReply)> reply) override {
    reply({true, emsgw::ems::describe(c), {}});
  }
};
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <broker url> <topic prefix>\n", argv[0]);
    return 2;
  }
  namespace ems = emsgw::ems;
  namespace mqtt = emsgw::mqtt;
  mqtt::MqttSettings s;
  s.enabled = true;
  s.url = argv[1];
  s.topic_prefix = argv[2];
  s.reconnect_min_s = 1;
  s.keepalive_s = 5;
  AcceptingSink sink;
  mqtt::test::SteadyClock clock;
  mqtt::MqttBridge bridge(s, mqtt::test::sample_site(), sink, clock);
  bridge.start();
  std::printf("started\n");
  std::fflush(stdout);
  for (std::uint64_t step = 0;; ++step) {
    bridge.publish(std::make_shared<const ems::SiteStatus>(mqtt::test::sample_status(step)));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}
