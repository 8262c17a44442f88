#pragma once
// Told about each record once the transaction that stored it has committed: history buckets (10 s
// tier, as written), decisions and events (with their ids), and finished sessions. Called on the
// store's owner thread, so an implementation must only queue (the InfluxDB export does).

#include "gateway/storage/records.hpp"

namespace emsgw::gateway::storage {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  /// A 10 s bucket as stored. A bucket written early (a session ended in it) comes again,
  /// complete, when it closes: same time, the later values win.
  virtual void on_history(const HistorySample& bucket) = 0;
  virtual void on_decision(const Decision& d) = 0;
  virtual void on_event(const Event& e) = 0;
  virtual void on_session_end(const Session& s) = 0;
};

}  // namespace emsgw::gateway::storage
