#include "gateway/storage/migrations.hpp"

#include <array>

namespace emsgw::gateway::storage {

namespace {
// Times are Unix milliseconds (UTC); currents in A, powers in W, energies in Wh.
constexpr std::array<Migration, 8> kMigrations{{
    {1, "settings overrides, sessions, decisions, events, counters", R"sql(
CREATE TABLE settings_override (
  key TEXT PRIMARY KEY,          -- config key path, e.g. "socket[0].mode"
  value TEXT NOT NULL,           -- the value as text, validated by validate_config before it is stored
  source TEXT NOT NULL,          -- "web", "mqtt", …
  t_ms INTEGER NOT NULL
);
CREATE TABLE session (
  id INTEGER PRIMARY KEY,
  socket INTEGER NOT NULL,
  start_ms INTEGER NOT NULL,
  start_energy_wh REAL NOT NULL,
  end_ms INTEGER,
  end_energy_wh REAL,
  max_current_a REAL,
  avg_current_a REAL,
  pv_energy_wh REAL
);
CREATE INDEX session_socket ON session(socket, start_ms);
CREATE TABLE decision (
  id INTEGER PRIMARY KEY,
  t_ms INTEGER NOT NULL,
  socket INTEGER NOT NULL,
  old_a REAL NOT NULL,
  new_a REAL NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX decision_t ON decision(t_ms);
CREATE TABLE event (
  id INTEGER PRIMARY KEY,
  t_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,            -- "fault_raised", "fault_cleared", "config_change"
  subject TEXT NOT NULL,         -- what it concerns, e.g. "meter.grid", "station[1]"
  text TEXT NOT NULL
);
CREATE INDEX event_t ON event(t_ms);
CREATE TABLE counter (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
)sql"},
    {2, "history with downsampling tiers", R"sql(
CREATE TABLE history (
  tier_s INTEGER NOT NULL,       -- bucket width: 10, 60 or 900 s
  t_ms INTEGER NOT NULL,         -- bucket start
  grid_l1_a REAL, grid_l2_a REAL, grid_l3_a REAL,
  grid_l1_w REAL, grid_l2_w REAL, grid_l3_w REAL,
  pv_w REAL,
  heatpump_w REAL,
  PRIMARY KEY (tier_s, t_ms)
) WITHOUT ROWID;
CREATE TABLE socket_history (
  tier_s INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  socket INTEGER NOT NULL,
  l1_a REAL, l2_a REAL, l3_a REAL,
  setpoint_a REAL,
  applied_a REAL,
  PRIMARY KEY (tier_s, t_ms, socket)
) WITHOUT ROWID;
CREATE TABLE rollup_state (
  tier_s INTEGER PRIMARY KEY,
  done_until_ms INTEGER NOT NULL -- buckets of this tier before this time are final
);
)sql"},
    {3, "InfluxDB outbox", R"sql(
CREATE TABLE influx_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids never reused, so order is insertion order
  line TEXT NOT NULL
);
)sql"},
    {4, "grid limit in the history", R"sql(
ALTER TABLE history ADD COLUMN grid_limit_a REAL;  -- per-phase limit after margin; NULL before migration 4
)sql"},
    {5, "session end readings, end reason, cost and quarter-hour energy", R"sql(
ALTER TABLE session ADD COLUMN end_reason TEXT;       -- "unplugged", "unplugged_during_restart", "socket_removed", "replaced"
ALTER TABLE session ADD COLUMN last_seen_ms INTEGER;  -- last time the register was metered in the session
ALTER TABLE session ADD COLUMN last_energy_wh REAL;   -- that reading
ALTER TABLE session ADD COLUMN cost REAL;             -- priced at the end with the [tariff] in force
ALTER TABLE session ADD COLUMN currency TEXT;
UPDATE session SET end_reason = 'unplugged' WHERE end_ms IS NOT NULL;
CREATE INDEX session_start ON session(start_ms);
CREATE TABLE session_slice (
  session_id INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,         -- quarter-hour start
  energy_wh REAL NOT NULL,       -- register increase within the quarter hour
  pv_energy_wh REAL,             -- part covered by solar surplus; NULL when unknown
  PRIMARY KEY (session_id, t_ms)
) WITHOUT ROWID;
)sql"},
    {6, "energy per quarter hour", R"sql(
CREATE TABLE energy_quarter (
  t_ms INTEGER PRIMARY KEY,          -- quarter-hour start (UTC, :00/:15/:30/:45)
  grid_import_wh REAL NOT NULL,      -- from the 10 s means of the grid power (sum of the phases)
  grid_export_wh REAL NOT NULL,
  pv_wh REAL,                        -- NULL: no PV reading in this quarter
  heatpump_wh REAL,
  covered_s INTEGER NOT NULL         -- seconds of the quarter with a grid reading
) WITHOUT ROWID;
)sql"},
    {7, "quarter-hour peak record", R"sql(
CREATE TABLE peak_quarter (
  t_ms INTEGER PRIMARY KEY,          -- quarter-hour start (UTC, :00/:15/:30/:45)
  average_w REAL NOT NULL,           -- average import over the quarter (the capacity tariff's figure)
  energy_wh REAL NOT NULL,           -- imported in the quarter
  covered_s REAL NOT NULL            -- seconds of the quarter with a grid reading
) WITHOUT ROWID;
)sql"},
    {8, "event texts as message code and parameters", R"sql(
ALTER TABLE event ADD COLUMN code TEXT NOT NULL DEFAULT '';    -- message code, e.g. "plug_in"; '' before migration 8 or without one
ALTER TABLE event ADD COLUMN params TEXT NOT NULL DEFAULT '';  -- its parameters as a JSON object of strings; '' = none
)sql"},
}};
}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

int latest_schema_version() {
  return kMigrations.back().version;
}

StorageStatus migrate(Database& db, int target) {
  if (target < 0) target = latest_schema_version();
  const int current = db.user_version();
  if (current < 0) return Unexpected(db.last_error("read user_version"));
  if (current > latest_schema_version())
    return Unexpected(StorageError{0, "database schema version " + std::to_string(current) +
                                          " is newer than this emsgw (" + std::to_string(latest_schema_version()) +
                                          "); refusing to touch it"});
  for (const auto& m : kMigrations) {
    if (m.version <= current || m.version > target) continue;
    Transaction tx(db);
    if (auto r = tx.begin(); !r) return r;
    if (auto r = db.exec(std::string(m.sql)); !r)
      return Unexpected(
          StorageError{r.error().code, "migration " + std::to_string(m.version) + ": " + r.error().message});
    if (auto r = db.exec("PRAGMA user_version = " + std::to_string(m.version)); !r) return r;
    if (auto r = tx.commit(); !r) return r;
  }
  return {};
}

}  // namespace emsgw::gateway::storage
