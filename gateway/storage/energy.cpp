// Energy per quarter hour, and per local day or month for the dashboard (SqliteStore::energy).
#include <algorithm>
#include <cstdio>
#include <ctime>

#include "gateway/storage/sqlite_store.hpp"

namespace emsgw::gateway::storage {

namespace {
constexpr std::int64_t kQuarterMs = 15 * 60 * 1000;
constexpr double kBucketS = 10.0;

std::int64_t quarter_of(std::int64_t t_ms) {
  const std::int64_t q = t_ms / kQuarterMs;
  return (t_ms % kQuarterMs < 0 ? q - 1 : q) * kQuarterMs;
}

LocalDate of_tm(const std::tm& tm) {
  return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

std::string period_name(const LocalDate& d, EnergyPeriodKind kind) {
  char buf[16];
  if (kind == EnergyPeriodKind::Day)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  else
    std::snprintf(buf, sizeof buf, "%04d-%02d", d.year, d.month);
  return buf;
}

void add(std::optional<double>& to, std::optional<double> v) {
  if (v) to = to.value_or(0) + *v;
}
}  // namespace

LocalDate local_date(WallTime t) {
  const std::time_t s = static_cast<std::time_t>(to_unix_ms(t) / 1000);
  std::tm tm{};
  localtime_r(&s, &tm);
  return of_tm(tm);
}

LocalDate utc_date(WallTime t) {
  const std::time_t s = static_cast<std::time_t>(to_unix_ms(t) / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return of_tm(tm);
}

StorageStatus SqliteStore::write_energy(const Bucket& b) {
  // Net grid power over the phases that reported (positive = import), as the meter bills it.
  std::optional<double> grid_w;
  for (const auto& m : b.grid_w) add(grid_w, m.value());
  if (!grid_w) return {};
  const double h = kBucketS / 3600.0;
  auto st = db_.prepare(
      "INSERT INTO energy_quarter (t_ms, grid_import_wh, grid_export_wh, pv_wh, heatpump_wh, covered_s) "
      "VALUES (?1,?2,?3,?4,?5,?6) ON CONFLICT (t_ms) DO UPDATE SET "
      "grid_import_wh = grid_import_wh + excluded.grid_import_wh, "
      "grid_export_wh = grid_export_wh + excluded.grid_export_wh, "
      "pv_wh = CASE WHEN excluded.pv_wh IS NULL THEN pv_wh ELSE COALESCE(pv_wh, 0) + excluded.pv_wh END, "
      "heatpump_wh = CASE WHEN excluded.heatpump_wh IS NULL THEN heatpump_wh "
      "ELSE COALESCE(heatpump_wh, 0) + excluded.heatpump_wh END, "
      "covered_s = covered_s + excluded.covered_s");
  if (!st) return Unexpected(st.error());
  const auto pv = b.pv_w.value();
  const auto hp = b.heatpump_w.value();
  st->bind(1, quarter_of(b.t_ms)).bind(2, std::max(0.0, *grid_w) * h).bind(3, std::max(0.0, -*grid_w) * h);
  st->bind(4, pv ? std::optional<double>(std::max(0.0, *pv) * h) : std::nullopt);
  st->bind(5, hp ? std::optional<double>(std::max(0.0, *hp) * h) : std::nullopt);
  st->bind(6, static_cast<std::int64_t>(kBucketS));
  return st->run();
}

StorageResult<std::vector<EnergyPeriod>> SqliteStore::energy(WallTime from, WallTime to, EnergyPeriodKind kind,
                                                             const LocalDateFn& date_of) {
  const std::int64_t from_ms = quarter_of(to_unix_ms(from));
  const std::int64_t to_ms = to_unix_ms(to);
  std::vector<EnergyPeriod> out;
  std::map<std::int64_t, std::string> name_of_quarter;  // cache: one date_of call per quarter
  const auto period_of = [&](std::int64_t quarter_ms) -> EnergyPeriod& {
    auto [it, fresh] = name_of_quarter.try_emplace(quarter_ms);
    if (fresh) it->second = period_name(date_of(from_unix_ms(quarter_ms)), kind);
    const auto p = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.period == it->second; });
    if (p != out.end()) return *p;
    out.push_back({});
    out.back().period = it->second;
    return out.back();
  };

  auto q = db_.prepare(
      "SELECT t_ms, grid_import_wh, grid_export_wh, pv_wh, heatpump_wh, covered_s FROM energy_quarter "
      "WHERE t_ms >= ? AND t_ms < ? ORDER BY t_ms");
  if (!q) return Unexpected(q.error());
  q->bind(1, from_ms).bind(2, to_ms);
  while (true) {
    auto row = q->step();
    if (!row) return Unexpected(row.error());
    if (!*row) break;
    auto& p = period_of(q->column_int64(0));
    p.grid_import_wh += q->column_double(1);
    p.grid_export_wh += q->column_double(2);
    add(p.pv_wh, q->column_optional_double(3));
    add(p.heatpump_wh, q->column_optional_double(4));
    p.covered_s += q->column_int64(5);
  }

  auto s = db_.prepare(
      "SELECT sl.t_ms, s.socket, sl.energy_wh, sl.pv_energy_wh FROM session_slice sl "
      "JOIN session s ON s.id = sl.session_id WHERE sl.t_ms >= ? AND sl.t_ms < ? ORDER BY sl.t_ms");
  if (!s) return Unexpected(s.error());
  s->bind(1, from_ms).bind(2, to_ms);
  while (true) {
    auto row = s->step();
    if (!row) return Unexpected(row.error());
    if (!*row) break;
    auto& p = period_of(s->column_int64(0));
    const double wh = s->column_double(2);
    p.ev_wh += wh;
    p.socket_wh[static_cast<int>(s->column_int64(1))] += wh;
    add(p.ev_pv_wh, s->column_optional_double(3));
  }

  for (auto& p : out) {
    const double net = p.grid_import_wh - p.grid_export_wh;
    if (p.pv_wh) {
      p.home_wh = std::max(0.0, net + *p.pv_wh - p.ev_wh);
      p.self_consumed_wh = std::max(0.0, *p.pv_wh - p.grid_export_wh);
    } else if (p.grid_export_wh == 0) {
      p.home_wh = std::max(0.0, net - p.ev_wh);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.period < b.period; });
  return out;
}

}  // namespace emsgw::gateway::storage
