#include "gateway/influx/outbox.hpp"

namespace emsgw::gateway::influx {

using storage::StorageError;
using storage::Transaction;

StorageStatus Outbox::append(const std::vector<std::string>& lines) {
  if (lines.empty()) return {};
  Transaction tx(db_);
  if (auto r = tx.begin(); !r) return r;
  auto st = db_.prepare("INSERT INTO influx_outbox (line) VALUES (?)");
  if (!st) return Unexpected(st.error());
  for (const auto& l : lines) {
    st->reset();
    st->bind(1, l);
    if (auto r = st->run(); !r) return r;
  }
  auto count = db_.query_int("SELECT COUNT(*) FROM influx_outbox");
  if (!count) return Unexpected(count.error());
  const auto excess = *count - static_cast<std::int64_t>(max_lines_);
  if (excess > 0) {
    auto del = db_.prepare("DELETE FROM influx_outbox WHERE id IN (SELECT id FROM influx_outbox ORDER BY id LIMIT ?)");
    if (!del) return Unexpected(del.error());
    del->bind(1, excess);
    if (auto r = del->run(); !r) return r;
    if (auto r = add_counter(kDroppedCounter, excess); !r) return r;
  }
  return tx.commit();
}

StorageResult<OutboxBatch> Outbox::peek(std::size_t max_lines) {
  auto st = db_.prepare("SELECT id, line FROM influx_outbox ORDER BY id LIMIT ?");
  if (!st) return Unexpected(st.error());
  st->bind(1, static_cast<std::int64_t>(max_lines));
  OutboxBatch b;
  for (;;) {
    auto row = st->step();
    if (!row) return Unexpected(row.error());
    if (!*row) break;
    if (b.lines > 0) b.body += '\n';
    b.body += st->column_text(1);
    b.last_id = st->column_int64(0);
    ++b.lines;
  }
  return b;
}

StorageStatus Outbox::remove_through(std::int64_t last_id) {
  auto st = db_.prepare("DELETE FROM influx_outbox WHERE id <= ?");
  if (!st) return Unexpected(st.error());
  st->bind(1, last_id);
  return st->run();
}

StorageResult<std::size_t> Outbox::size() {
  auto n = db_.query_int("SELECT COUNT(*) FROM influx_outbox");
  if (!n) return Unexpected(n.error());
  return static_cast<std::size_t>(*n);
}

StorageStatus Outbox::add_counter(const std::string& name, std::int64_t delta) {
  auto st = db_.prepare(
      "INSERT INTO counter (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = value + ?2");
  if (!st) return Unexpected(st.error());
  st->bind(1, name).bind(2, delta);
  return st->run();
}

StorageResult<std::int64_t> Outbox::counter(const std::string& name) {
  auto st = db_.prepare("SELECT value FROM counter WHERE name = ?");
  if (!st) return Unexpected(st.error());
  st->bind(1, name);
  auto row = st->step();
  if (!row) return Unexpected(row.error());
  return *row ? st->column_int64(0) : std::int64_t{0};
}

}  // namespace emsgw::gateway::influx
