#include "gateway/storage/sqlite_db.hpp"

namespace emsgw::gateway::storage {

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::int64_t v) {
  sqlite3_bind_int64(stmt_, index, v);
  return *this;
}

Statement& Statement::bind(int index, double v) {
  sqlite3_bind_double(stmt_, index, v);
  return *this;
}

Statement& Statement::bind(int index, std::string_view v) {
  sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind(int index, const std::optional<double>& v) {
  if (v) return bind(index, *v);
  return bind_null(index);
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

StorageResult<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  return Unexpected(StorageError{rc, std::string("step: ") + sqlite3_errmsg(db)});
}

StorageStatus Statement::run() {
  for (;;) {
    auto r = step();
    if (!r) return Unexpected(r.error());
    if (!*r) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}
double Statement::column_double(int col) const {
  return sqlite3_column_double(stmt_, col);
}
std::optional<double> Statement::column_optional_double(int col) const {
  if (column_is_null(col)) return std::nullopt;
  return column_double(col);
}
std::string Statement::column_text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}
bool Statement::column_is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Database& Database::operator=(Database&& o) noexcept {
  if (this != &o) {
    sqlite3_close_v2(db_);
    db_ = o.db_;
    o.db_ = nullptr;
  }
  return *this;
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

StorageResult<Database> Database::open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    StorageError e{rc, "open " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc))};
    sqlite3_close_v2(db);
    return Unexpected(std::move(e));
  }
  sqlite3_extended_result_codes(db, 0);
  sqlite3_busy_timeout(db, 5000);
  return Database(db);
}

StorageError Database::last_error(std::string_view context) const {
  return {sqlite3_errcode(db_), std::string(context) + ": " + sqlite3_errmsg(db_)};
}

StorageStatus Database::exec(const std::string& sql) {
  char* msg = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) {
    StorageError e{rc, std::string(msg ? msg : sqlite3_errstr(rc)) + " (in: " + sql.substr(0, 80) + ")"};
    sqlite3_free(msg);
    return Unexpected(std::move(e));
  }
  return {};
}

StorageResult<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return Unexpected(last_error("prepare " + std::string(sql.substr(0, 80))));
  return Statement(stmt);
}

StorageResult<std::int64_t> Database::query_int(const std::string& sql) {
  auto st = prepare(sql);
  if (!st) return Unexpected(st.error());
  auto row = st->step();
  if (!row) return Unexpected(row.error());
  return *row ? st->column_int64(0) : 0;
}

StorageResult<std::string> Database::query_text(const std::string& sql) {
  auto st = prepare(sql);
  if (!st) return Unexpected(st.error());
  auto row = st->step();
  if (!row) return Unexpected(row.error());
  return *row ? st->column_text(0) : std::string();
}

int Database::user_version() {
  auto v = query_int("PRAGMA user_version");
  return v ? static_cast<int>(*v) : -1;
}

Transaction::~Transaction() {
  if (open_) (void)db_.exec("ROLLBACK");
}

StorageStatus Transaction::begin() {
  auto r = db_.exec("BEGIN IMMEDIATE");
  if (r) open_ = true;
  return r;
}

StorageStatus Transaction::commit() {
  auto r = db_.exec("COMMIT");
  if (r) open_ = false;
  return r;
}

}  // namespace emsgw::gateway::storage
