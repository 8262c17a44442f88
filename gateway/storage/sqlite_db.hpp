#pragma once
// A small RAII layer over the SQLite C API. Runtime calls return Result and never throw
// (style.md "Errors"). One Database is used by one thread at a time.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ems/result.hpp"

namespace emsgw::gateway::storage {

struct StorageError {
  int code = 0;  ///< SQLite result code (SQLITE_BUSY, SQLITE_IOERR, …); 0 for errors of emsgw's own
  std::string message;
  /// Worth retrying later (the database was locked or busy).
  [[nodiscard]] bool transient() const { return code == SQLITE_BUSY || code == SQLITE_LOCKED; }
};

template <class T>
using StorageResult = Result<T, StorageError>;
using StorageStatus = Result<void, StorageError>;

/// A prepared statement. Bind indexes start at 1, column indexes at 0 (SQLite's convention).
class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(Statement&& o) noexcept : stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t v);
  Statement& bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
  Statement& bind(int index, double v);
  Statement& bind(int index, std::string_view v);
  Statement& bind(int index, const std::optional<double>& v);
  Statement& bind_null(int index);

  /// Runs one step: true when a row is available, false when done.
  [[nodiscard]] StorageResult<bool> step();
  /// Steps until done (for statements that return no rows).
  [[nodiscard]] StorageStatus run();
  /// Resets for re-use and clears the bindings.
  void reset();

  [[nodiscard]] std::int64_t column_int64(int col) const;
  [[nodiscard]] double column_double(int col) const;
  [[nodiscard]] std::optional<double> column_optional_double(int col) const;
  [[nodiscard]] std::string column_text(int col) const;
  [[nodiscard]] bool column_is_null(int col) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  Database() = default;
  Database(Database&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Database& operator=(Database&& o) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  /// Opens (creating if needed) `path`; ":memory:" gives a private in-memory database.
  [[nodiscard]] static StorageResult<Database> open(const std::string& path);

  [[nodiscard]] StorageStatus exec(const std::string& sql);
  [[nodiscard]] StorageResult<Statement> prepare(std::string_view sql);
  /// First column of the first row as an integer (e.g. PRAGMA user_version); 0 when no row.
  [[nodiscard]] StorageResult<std::int64_t> query_int(const std::string& sql);
  /// First column of the first row as text; empty when no row.
  [[nodiscard]] StorageResult<std::string> query_text(const std::string& sql);

  [[nodiscard]] int user_version();
  [[nodiscard]] std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  [[nodiscard]] int changes() const { return sqlite3_changes(db_); }
  [[nodiscard]] sqlite3* handle() const { return db_; }
  [[nodiscard]] bool is_open() const { return db_ != nullptr; }

  [[nodiscard]] StorageError last_error(std::string_view context) const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

/// BEGIN IMMEDIATE … COMMIT; rolls back on destruction unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  [[nodiscard]] StorageStatus begin();
  [[nodiscard]] StorageStatus commit();

 private:
  Database& db_;
  bool open_ = false;
};

}  // namespace emsgw::gateway::storage
