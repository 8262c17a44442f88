#pragma once
// The dashboard's history and events (/api/history, /api/events) answered from the SQLite store
// that the StorageRecorder writes. Queries run on the web server's threads under the recorder's
// lock; they see what has been flushed plus nothing of the open 10 s bucket.

#include "gateway/runtime/storage_recorder.hpp"
#include "webui/history_source.hpp"

namespace emsgw::gateway {

class StoreHistorySource final : public webui::HistorySource {
 public:
  explicit StoreHistorySource(StorageRecorder& recorder) : recorder_(recorder) {}
  [[nodiscard]] std::vector<webui::HistorySample> history(const webui::HistoryQuery& query) const override;
  [[nodiscard]] std::vector<webui::Event> events(const webui::EventQuery& query) const override;

 private:
  StorageRecorder& recorder_;
};

}  // namespace emsgw::gateway
