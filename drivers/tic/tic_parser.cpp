#include "drivers/tic/tic_parser.hpp"

#include <charconv>

#include "drivers/dsmr/dsmr_parser.hpp"

namespace emsgw::drivers {

namespace {
constexpr char kStx = 0x02;
constexpr char kEtx = 0x03;
constexpr char kEot = 0x04;  // frame interrupted (Enedis-NOI-CPT_54E §5.3.6)
}  // namespace

std::optional<TicMode> parse_tic_mode(std::string_view s) {
  if (s == "historique") return TicMode::Historique;
  if (s == "standard") return TicMode::Standard;
  return std::nullopt;
}

const TicGroup* TicFrame::find(std::string_view label) const {
  for (const auto& g : groups)
    if (g.label == label) return &g;
  return nullptr;
}

char tic_checksum(std::string_view covered) {
  unsigned sum = 0;
  for (char c : covered) sum += static_cast<std::uint8_t>(c);
  return static_cast<char>((sum & 0x3FU) + 0x20U);
}

std::string_view to_string(TicFault f) {
  switch (f) {
    case TicFault::Checksum: return "checksum error";
    case TicFault::Malformed: return "malformed group";
    case TicFault::Oversize: return "frame too long";
    case TicFault::Truncated: return "truncated frame";
  }
  return "?";
}

Result<TicGroup, TicFault> parse_tic_group(std::string_view g, TicMode& mode) {
  // label SEP data SEP checksum: at least 5 bytes. The checksum may itself be a space (§2).
  if (g.size() < 5) return Unexpected(TicFault::Malformed);
  const char cs = g.back();
  const char sep = g[g.size() - 2];
  if (sep != ' ' && sep != '\t') return Unexpected(TicFault::Malformed);
  const TicMode m = sep == '\t' ? TicMode::Standard : TicMode::Historique;
  const std::string_view body = g.substr(0, g.size() - 2);
  const std::string_view covered = m == TicMode::Standard ? g.substr(0, g.size() - 1) : body;
  if (tic_checksum(covered) != cs) return Unexpected(TicFault::Checksum);
  TicGroup out;
  const auto first = body.find(sep);
  if (first == std::string_view::npos || first == 0) return Unexpected(TicFault::Malformed);
  out.label = std::string(body.substr(0, first));
  std::string_view rest = body.substr(first + 1);
  if (m == TicMode::Standard) {
    const auto second = rest.find(sep);
    if (second != std::string_view::npos) {
      out.horodate = std::string(rest.substr(0, second));
      rest = rest.substr(second + 1);
    }
  }
  if (rest.find(sep) != std::string_view::npos) return Unexpected(TicFault::Malformed);
  out.data = std::string(rest);
  for (char c : out.label)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7E)
      return Unexpected(TicFault::Malformed);
  mode = m;
  return out;
}

std::vector<Result<TicFrame, TicFault>> TicStreamParser::feed(std::string_view bytes) {
  std::vector<Result<TicFrame, TicFault>> out;
  for (char c : bytes) {
    if (c == kStx) {
      if (in_frame_) {
        ++stats_.truncated;
        out.emplace_back(Unexpected(TicFault::Truncated));
      }
      in_frame_ = true;
      buf_.clear();
      continue;
    }
    if (!in_frame_) {
      ++stats_.garbage_bytes;
      continue;
    }
    if (c == kEot) {
      ++stats_.truncated;
      out.emplace_back(Unexpected(TicFault::Truncated));
      in_frame_ = false;
      continue;
    }
    if (c != kEtx) {
      buf_.push_back(static_cast<char>(c & 0x7F));  // 7-bit characters (7E1)
      if (buf_.size() > max_) {
        out.emplace_back(Unexpected(TicFault::Oversize));
        in_frame_ = false;
      }
      continue;
    }
    in_frame_ = false;
    TicFrame f;
    bool any_mode = false;
    std::string_view rest(buf_);
    while (!rest.empty()) {
      const auto lf = rest.find('\n');
      if (lf == std::string_view::npos) break;
      const auto cr = rest.find('\r', lf + 1);
      if (cr == std::string_view::npos) break;
      const auto next_lf = rest.find('\n', lf + 1);
      if (next_lf != std::string_view::npos && next_lf < cr) {  // a group without CR: drop it
        ++stats_.bad_groups;
        rest.remove_prefix(next_lf);
        continue;
      }
      TicMode m = TicMode::Historique;
      auto g = parse_tic_group(rest.substr(lf + 1, cr - lf - 1), m);
      if (g) {
        f.groups.push_back(std::move(*g));
        f.mode = m;
        any_mode = true;
      } else {
        ++stats_.bad_groups;
      }
      rest.remove_prefix(cr + 1);
    }
    if (!any_mode) {
      out.emplace_back(Unexpected(TicFault::Malformed));
      continue;
    }
    ++stats_.frames;
    out.emplace_back(std::move(f));
  }
  return out;
}

namespace {
Measurement number(const TicFrame& f, std::string_view label, Quantity q, double factor = 1.0) {
  const auto* g = f.find(label);
  if (g == nullptr) return {};
  long long v = 0;
  const char* b = g->data.data();
  const char* e = b + g->data.size();
  const auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc{} || p != e || g->data.empty()) return Measurement::invalid(Invalid::NotANumber);
  return checked(q, static_cast<double>(v) * factor);
}

Measurement apparent(const TicFrame& f, std::string_view label) {
  // VA shares the plausibility range of active power.
  return number(f, label, Quantity::PowerTotal);
}

// Horodate SAAMMJJhhmmss, S = H (winter, UTC+1) / E (summer, UTC+2), lower case when degraded.
std::optional<ems::WallTime> horodate(std::string_view h) {
  if (h.size() != 13) return std::nullopt;
  const char s = h[0];
  if (s != 'H' && s != 'E' && s != 'h' && s != 'e') return std::nullopt;
  std::string tst(h.substr(1));
  tst.push_back(s == 'E' || s == 'e' ? 'S' : 'W');
  return parse_dsmr_timestamp(tst);  // same layout and zone rule as the DSMR TST
}
}  // namespace

MeterReading tic_reading(const TicFrame& f, ems::MonoTime mono, ems::WallTime wall) {
  MeterReading r;
  r.mono = mono;
  r.wall = wall;
  r.current_signed = false;
  static constexpr std::array<Quantity, 3> kI{Quantity::CurrentL1, Quantity::CurrentL2, Quantity::CurrentL3};
  static constexpr std::array<Quantity, 3> kU{Quantity::VoltageL1, Quantity::VoltageL2, Quantity::VoltageL3};
  auto count = [&r](const Measurement& m) {
    if (!m.valid() && m.why() != Invalid::Missing) ++r.rejected;
    return m;
  };
  if (f.mode == TicMode::Historique) {
    if (f.find("IINST") != nullptr) {
      set_quantity(r, Quantity::CurrentL1, number(f, "IINST", Quantity::CurrentL1));
    } else {
      for (std::size_t i = 0; i < 3; ++i) set_quantity(r, kI[i], number(f, "IINST" + std::to_string(i + 1), kI[i]));
    }
    r.apparent_power_total_va = count(apparent(f, "PAPP"));
    // Index options: BASE, HC (HCHC+HCHP), EJP (EJPHN+EJPHPM), Tempo (BBRHC/HPJB/JW/JR) — all Wh.
    double total = 0.0;
    bool any = false;
    bool bad = false;
    for (std::string_view l : {"BASE", "HCHC", "HCHP", "EJPHN", "EJPHPM", "BBRHCJB", "BBRHPJB", "BBRHCJW", "BBRHPJW",
                               "BBRHCJR", "BBRHPJR"}) {
      const auto m = number(f, l, Quantity::EnergyImport);
      if (m.valid()) {
        total += *m.value();
        any = true;
      } else if (m.why() != Invalid::Missing) {
        bad = true;
      }
    }
    if (bad)
      set_quantity(r, Quantity::EnergyImport, Measurement::invalid(Invalid::NotANumber));
    else if (any)
      set_quantity(r, Quantity::EnergyImport, checked(Quantity::EnergyImport, total));
  } else {
    for (std::size_t i = 0; i < 3; ++i) {
      const std::string n = std::to_string(i + 1);
      set_quantity(r, kI[i], number(f, "IRMS" + n, kI[i]));
      set_quantity(r, kU[i], number(f, "URMS" + n, kU[i]));
      r.apparent_power_va[i] = count(apparent(f, "SINSTS" + n));
    }
    r.apparent_power_total_va = count(apparent(f, "SINSTS"));
    set_quantity(r, Quantity::EnergyImport, number(f, "EAST", Quantity::EnergyImport));
    set_quantity(r, Quantity::EnergyExport, number(f, "EAIT", Quantity::EnergyExport));
    if (const auto* d = f.find("DATE")) r.device_time = horodate(d->horodate);
    // With no injection at all every current is drawn from the grid, so the magnitudes are signed.
    const auto inj = number(f, "SINSTI", Quantity::PowerTotal);
    if (inj.valid() && *inj.value() == 0.0) r.current_signed = true;
  }
  if (f.mode == TicMode::Historique) r.current_signed = false;
  return r;
}

std::string tic_group(TicMode mode, std::string_view label, std::string_view data, std::string_view horodate_text) {
  const char sep = mode == TicMode::Standard ? '\t' : ' ';
  std::string body(label);
  body.push_back(sep);
  if (mode == TicMode::Standard && !horodate_text.empty()) {
    body += horodate_text;
    body.push_back(sep);
  }
  body += data;
  const char cs = mode == TicMode::Standard ? tic_checksum(body + sep) : tic_checksum(body);
  std::string out = "\n" + body;
  out.push_back(sep);
  out.push_back(cs);
  out.push_back('\r');
  return out;
}

}  // namespace emsgw::drivers
