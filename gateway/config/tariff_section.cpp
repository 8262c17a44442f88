// [tariff] and its [[tariff.window]]s (gateway/storage/tariff.hpp): the prices that cost each
// charging session. Checked here, where each key's line is known.
#include <algorithm>
#include <cmath>

#include "gateway/config/toml_reader.hpp"
#include "gateway/storage/tariff.hpp"

namespace emsgw::gateway::config_detail {

namespace {
constexpr double kMaxPrice = 10;  // per kWh, in any currency unit: beyond this it is a typo

void check_price(TableReader& r, std::string_view key, double out) {
  if (!r.has(key)) return;
  if (!std::isfinite(out) || std::abs(out) > kMaxPrice)
    r.diag().error(r.line(key), r.full(key), std::to_string(out),
                   "must be a price per kWh between -10 and 10 (negative for dynamic tariffs that pay for use)");
}

void read_price(TableReader& r, std::string_view key, double& out) {
  if (!r.has(key)) return;
  r.read(key, out);
  check_price(r, key, out);
}

/// "all", "weekdays", "weekend" or a comma list of mon,tue,wed,thu,fri,sat,sun → bit mask (bit 0 Monday).
std::optional<std::uint8_t> parse_days(std::string_view text) {
  if (text == "all") return std::uint8_t{0x7f};
  if (text == "weekdays") return std::uint8_t{0x1f};
  if (text == "weekend") return std::uint8_t{0x60};
  static constexpr std::string_view kNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  std::uint8_t mask = 0;
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto part = text.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    bool found = false;
    for (std::size_t i = 0; i < 7; ++i)
      if (part == kNames[i]) {
        mask = static_cast<std::uint8_t>(mask | (1U << i));
        found = true;
      }
    if (!found) return std::nullopt;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return mask == 0 ? std::nullopt : std::optional<std::uint8_t>(mask);
}

void read_clock(TableReader& r, std::string_view key, int& out) {
  std::string text;
  r.read(key, text, Need::Required);
  if (text.empty() && !r.has(key)) return;
  const auto m = storage::parse_clock(text);
  if (!m || *m % 15 != 0)
    r.diag().error(r.line(key), r.full(key), TableReader::quote(text),
                   "must be a local time \"HH:MM\" on a quarter hour (sessions are metered per quarter hour)");
  else
    out = *m;
}
}  // namespace

void parse_tariff_section(TableReader& root, Config& cfg) {
  const auto* t = root.table("tariff");
  if (!t) return;
  TableReader r(*t, "tariff", root.diag());
  auto& tariff = cfg.tariff;
  tariff.configured = true;
  read_field(r, *schema_field("tariff.currency"), cfg);
  if (tariff.currency.size() != 3 ||
      !std::all_of(tariff.currency.begin(), tariff.currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    r.diag().error(r.line("currency"), r.full("currency"), TableReader::quote(tariff.currency),
                   "must be an ISO 4217 currency code such as \"EUR\"");
  for (const char* key : {"import_price_per_kwh", "export_price_per_kwh"}) {
    const auto& f = *schema_field("tariff." + std::string(key));
    read_field(r, f, cfg);
    check_price(r, key, *static_cast<double*>(f.at(cfg)));
  }
  const auto windows = r.tables("window");
  for (std::size_t i = 0; i < windows.size(); ++i) {
    TableReader w(*windows[i], "tariff.window[" + std::to_string(i) + "]", root.diag());
    storage::TariffWindow win;
    w.read("name", win.name);
    if (win.name.empty()) win.name = "window " + std::to_string(i + 1);
    read_clock(w, "start", win.start_min);
    read_clock(w, "end", win.end_min);
    if (win.start_min == win.end_min && w.has("start") && w.has("end"))
      w.diag().error(w.line("end"), w.full("end"),
                     std::to_string(win.end_min / 60) + ":" + std::to_string(win.end_min % 60),
                     "must differ from start (a window of the whole day is the flat price)");
    std::string days = "all";
    w.read("days", days);
    if (const auto mask = parse_days(days))
      win.days = *mask;
    else
      w.diag().error(w.line("days"), w.full("days"), TableReader::quote(days),
                     "must be \"all\", \"weekdays\", \"weekend\" or a list such as \"mon,tue,sat\"");
    read_price(w, "import_price_per_kwh", win.import_price_per_kwh);
    if (w.has("export_price_per_kwh")) {
      double v = 0;
      read_price(w, "export_price_per_kwh", v);
      win.export_price_per_kwh = v;
    }
    tariff.windows.push_back(std::move(win));
  }
  // Each quarter hour of the week belongs to one window at most: overlapping windows would make
  // the price depend on their order.
  for (int day = 0; day < 7; ++day)
    for (int m = 0; m < 24 * 60; m += 15) {
      std::vector<std::size_t> hits;
      for (std::size_t i = 0; i < tariff.windows.size(); ++i) {
        storage::Tariff one;
        one.windows = {tariff.windows[i]};
        one.import_price_per_kwh = std::nan("");
        if (!std::isnan(storage::price_at(one, {m, day}).import_per_kwh)) hits.push_back(i);
      }
      if (hits.size() > 1) {
        const std::string key = "tariff.window[" + std::to_string(hits[1]) + "]";
        root.diag().error(root.diag().line_of(key), key, tariff.windows[hits[1]].name,
                          "overlaps tariff.window[" + std::to_string(hits[0]) + "] (" + tariff.windows[hits[0]].name +
                              "): each time may fall in one window only");
        return;
      }
    }
}

}  // namespace emsgw::gateway::config_detail
