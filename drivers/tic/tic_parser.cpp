#include "drivers/tic/tic_parser.hpp"

#include <algorithm>
#include <charconv>
#include <span>

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
  for (const std::string* text : {&out.data, &out.horodate})
    for (char c : *text)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E)
        return Unexpected(TicFault::Malformed);
  mode = m;
  return out;
}

void TicStreamParser::finish_frame(std::vector<Result<TicFrame, TicFault>>& out) {
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
      // A label twice (two frames run together when an ETX was lost): the later one is newer.
      auto same =
          std::find_if(f.groups.begin(), f.groups.end(), [&](const TicGroup& x) { return x.label == g->label; });
      if (same != f.groups.end())
        *same = std::move(*g);
      else
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
    return;
  }
  ++stats_.frames;
  out.emplace_back(std::move(f));
}

std::vector<Result<TicFrame, TicFault>> TicStreamParser::feed(std::string_view bytes) {
  // A frame starts at STX and ends at ETX (Enedis-NOI-CPT_54E §5.3). Inside a frame an STX is the
  // start of a new frame only when a group follows it (LF); otherwise it is a damaged byte, which
  // breaks the one group it sits in, not the frame.
  std::vector<Result<TicFrame, TicFault>> out;
  for (char raw : bytes) {
    const char c = static_cast<char>(raw & 0x7F);  // 7-bit characters (7E1)
    if (pending_stx_) {
      pending_stx_ = false;
      if (c == '\n') {
        ++stats_.truncated;
        out.emplace_back(Unexpected(TicFault::Truncated));
        buf_.clear();
      } else {
        buf_.push_back(kStx);
      }
    }
    if (c == kStx) {
      if (in_frame_)
        pending_stx_ = true;
      else
        buf_.clear();
      in_frame_ = true;
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
      buf_.push_back(c);
      if (buf_.size() > max_) {
        out.emplace_back(Unexpected(TicFault::Oversize));
        in_frame_ = false;
      }
      continue;
    }
    finish_frame(out);
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
  r.current_step_a = 1;  // IINST, IRMS: whole amperes
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
    // Index options (OPTARIF): BASE, HC (HCHC+HCHP), EJP (EJPHN+EJPHPM), Tempo (BBRHC/HP × JB/JW/JR),
    // all Wh. The total is the sum of every index of the tariff, and only valid when each of them
    // arrived intact: a dropped group must not make the total the sum of the rest.
    static constexpr std::array<std::string_view, 1> kBase{"BASE"};
    static constexpr std::array<std::string_view, 2> kHc{"HCHC", "HCHP"};
    static constexpr std::array<std::string_view, 2> kEjp{"EJPHN", "EJPHPM"};
    static constexpr std::array<std::string_view, 6> kTempo{"BBRHCJB", "BBRHPJB", "BBRHCJW",
                                                            "BBRHPJW", "BBRHCJR", "BBRHPJR"};
    std::span<const std::string_view> tariff;
    const auto* opt = f.find("OPTARIF");
    const std::string_view o = opt != nullptr ? std::string_view(opt->data) : std::string_view();
    auto any_of = [&f](std::span<const std::string_view> labels) {
      return std::any_of(labels.begin(), labels.end(), [&f](std::string_view l) { return f.find(l) != nullptr; });
    };
    if (o.starts_with("BASE") || (o.empty() && any_of(kBase)))
      tariff = kBase;
    else if (o.starts_with("HC") || (o.empty() && any_of(kHc)))
      tariff = kHc;
    else if (o.starts_with("EJP") || (o.empty() && any_of(kEjp)))
      tariff = kEjp;
    else if (o.starts_with("BBR") || (o.empty() && any_of(kTempo)))
      tariff = kTempo;
    if (!tariff.empty()) {
      double total = 0.0;
      Invalid why = Invalid::None;
      for (std::string_view l : tariff) {
        const auto m = number(f, l, Quantity::EnergyImport);
        if (m.valid())
          total += *m.value();
        else if (why == Invalid::None || m.why() != Invalid::Missing)
          why = m.why() == Invalid::Missing ? Invalid::Missing : m.why();
      }
      if (why == Invalid::None)
        set_quantity(r, Quantity::EnergyImport, checked(Quantity::EnergyImport, total));
      else if (any_of(tariff) || opt != nullptr)
        // Some index of the tariff is absent or broken: no total rather than a partial one.
        set_quantity(r, Quantity::EnergyImport,
                     Measurement::invalid(why == Invalid::Missing ? Invalid::Implausible : why));
    }
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
    // Direction (Enedis-NOI-CPT_54E: SINSTS = apparent power drawn, SINSTI = injected, producer
    // meters only). With no injection every current is drawn. With injection a phase whose drawn
    // power SINSTSn is zero injects, one with SINSTSn > 0 draws; where that cannot be told (no
    // per-phase SINSTSn, a single-phase meter drawing and injecting) the current stays a magnitude
    // and current_signed says so.
    const auto inj = number(f, "SINSTI", Quantity::PowerTotal);
    const auto drawn = r.apparent_power_total_va;
    const bool three = f.find("IRMS2") != nullptr || f.find("IRMS3") != nullptr;
    r.current_signed = false;
    if (inj.valid()) {
      if (drawn.valid()) {
        // Linky gives apparent power only: drawn − injected VA stands for the net power (+ import).
        set_quantity(r, Quantity::PowerTotal, checked(Quantity::PowerTotal, *drawn.value() - *inj.value()));
      }
      if (*inj.value() == 0.0) {
        r.current_signed = true;
      } else {
        bool all_known = true;
        for (std::size_t i = 0; i < 3; ++i) {
          const auto a = r.current_a[i].value();
          if (!a) continue;
          if (*a == 0.0) continue;
          const auto phase_drawn = (three ? r.apparent_power_va[i] : drawn).value();
          if (phase_drawn && *phase_drawn == 0.0) {
            r.current_a[i] = Measurement::of(-*a);  // injecting
          } else if (!(three && phase_drawn)) {
            all_known = false;  // single phase drawing and injecting at once, or no per-phase figure
            r.current_sign_known[i] = false;
          }
        }
        r.current_signed = all_known;
      }
    }
  }
  if (!r.current_signed)
    for (std::size_t i = 0; i < 3; ++i)
      if (r.current_sign_known[i] &&
          (f.mode == TicMode::Historique || !number(f, "SINSTI", Quantity::PowerTotal).valid()))
        r.current_sign_known[i] = false;  // no injection figure at all: no phase's direction is known
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
