#pragma once
// Numbered schema migrations. PRAGMA user_version holds the number of the last one applied; each
// migration runs in its own transaction together with the user_version update, so a crash leaves
// the schema at a whole version. Append new migrations; never edit a released one.

#include <span>
#include <string_view>

#include "gateway/storage/sqlite_db.hpp"

namespace emsgw::gateway::storage {

struct Migration {
  int version;  ///< 1, 2, 3, … without gaps
  std::string_view description;
  std::string_view sql;
};

/// Every migration, in order.
[[nodiscard]] std::span<const Migration> migrations();
/// The schema version a fully migrated database has.
[[nodiscard]] int latest_schema_version();

/// Applies the migrations above the database's user_version up to `target` (default: all).
/// A database newer than this build (user_version > latest) is refused, not touched.
[[nodiscard]] StorageStatus migrate(Database& db, int target = -1);

}  // namespace emsgw::gateway::storage
