#include "drivers/dsmr/dsmr_parser.hpp"

#include <charconv>
#include <cmath>

namespace emsgw::drivers {

std::uint16_t dsmr_crc16(std::string_view bytes) {
  std::uint16_t crc = 0x0000;
  for (char ch : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ static_cast<std::uint8_t>(ch));
    for (int i = 0; i < 8; ++i)
      crc = (crc & 1U) != 0 ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001U) : static_cast<std::uint16_t>(crc >> 1);
  }
  return crc;
}

const DsmrObject* DsmrTelegram::find(std::string_view obis) const {
  for (const auto& o : objects)
    if (o.obis == obis) return &o;
  return nullptr;
}

std::optional<std::string_view> DsmrTelegram::value(std::string_view obis) const {
  const auto* o = find(obis);
  if (o == nullptr || o->values.empty()) return std::nullopt;
  return std::string_view(o->values.back());
}

std::string_view to_string(DsmrFault f) {
  switch (f) {
    case DsmrFault::CrcMismatch: return "CRC mismatch";
    case DsmrFault::MissingCrc: return "missing CRC";
    case DsmrFault::Truncated: return "truncated telegram";
    case DsmrFault::Oversize: return "telegram too long";
    case DsmrFault::Malformed: return "malformed telegram";
    case DsmrFault::LayoutChanged: return "telegram layout changed without CRC";
  }
  return "?";
}

std::optional<DsmrValue> parse_dsmr_value(std::string_view text) {
  const auto star = text.find('*');
  const std::string_view num = text.substr(0, star);
  if (num.empty()) return std::nullopt;
  DsmrValue v;
  const char* first = num.data();
  const char* last = num.data() + num.size();
  if (*first == '+') ++first;
  const auto [p, ec] = std::from_chars(first, last, v.number);
  if (ec != std::errc{} || p != last || !std::isfinite(v.number)) return std::nullopt;
  if (star != std::string_view::npos) v.unit = std::string(text.substr(star + 1));
  return v;
}

namespace {
bool digits(std::string_view s, std::size_t pos, int& out) {
  if (pos + 2 > s.size()) return false;
  const char a = s[pos];
  const char b = s[pos + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return false;
  out = (a - '0') * 10 + (b - '0');
  return true;
}

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's days_from_civil).
long long days_from_civil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<long long>(era) * 146097LL + static_cast<long long>(doe) - 719468LL;
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}
}  // namespace

std::optional<ems::WallTime> parse_dsmr_timestamp(std::string_view tst) {
  if (tst.size() != 13) return std::nullopt;
  int yy = 0, mo = 0, dd = 0, hh = 0, mi = 0, ss = 0;
  if (!digits(tst, 0, yy) || !digits(tst, 2, mo) || !digits(tst, 4, dd) || !digits(tst, 6, hh) || !digits(tst, 8, mi) ||
      !digits(tst, 10, ss))
    return std::nullopt;
  const char dst = tst[12];
  if (dst != 'S' && dst != 'W') return std::nullopt;
  const int year = 2000 + yy;
  if (mo < 1 || mo > 12 || dd < 1 || dd > days_in_month(year, mo) || hh > 23 || mi > 59 || ss > 59) return std::nullopt;
  const int offset_h = dst == 'S' ? 2 : 1;  // CEST / CET
  const long long secs = days_from_civil(year, mo, dd) * 86400LL + (hh - offset_h) * 3600LL + mi * 60LL + ss;
  return ems::WallTime{std::chrono::seconds{secs}};
}

namespace {
bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

// Splits "(a)(b*u)" into {"a", "b*u"}; false when parentheses do not balance.
bool split_groups(std::string_view rest, std::vector<std::string>& out) {
  while (!rest.empty()) {
    if (rest.front() != '(') return false;
    const auto close = rest.find(')');
    if (close == std::string_view::npos) return false;
    out.emplace_back(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
  }
  return true;
}
}  // namespace

namespace {
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// "A-B:C.D.E" with an optional "*F" (EasyMeter Q3D prints "1-0:1.8.0*255"); returns the reduced
// id without the F group, or an empty string when the text is no OBIS code.
std::string reduced_obis(std::string_view id) {
  std::size_t i = 0;
  auto number = [&] {
    const std::size_t from = i;
    while (i < id.size() && is_digit(id[i])) ++i;
    return i > from && i - from <= 3;
  };
  auto sep = [&](char c) {
    if (i >= id.size() || id[i] != c) return false;
    ++i;
    return true;
  };
  if (!(number() && sep('-') && number() && sep(':') && number() && sep('.') && number() && sep('.') && number()))
    return {};
  const std::size_t end = i;
  if (i < id.size() && !(sep('*') && number() && i == id.size())) return {};
  return std::string(id.substr(0, end));
}

// Header "/XXXZ…": three manufacturer letters and the baud-rate digit (protocols.md §1.2).
bool plausible_header(std::string_view h) {
  if (h.size() < 5) return false;
  for (std::size_t i = 0; i < 3; ++i)
    if (!((h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= 'a' && h[i] <= 'z'))) return false;
  return is_digit(h[3]);
}
}  // namespace

Result<DsmrTelegram, DsmrFault> parse_dsmr_frame(std::string_view frame) {
  if (frame.empty() || frame.front() != '/') return Unexpected(DsmrFault::Malformed);
  const auto bang = frame.rfind('!');
  if (bang == std::string_view::npos) return Unexpected(DsmrFault::Truncated);
  DsmrTelegram t;
  // CRC digits: 1–4 hex characters after '!', compared numerically (§1.3 "unpadded CRC"). A
  // telegram without CRC must end in exactly "!" CR LF (§1.2): a '!' anywhere else (a changed
  // byte) does not end a telegram.
  std::string_view tail = frame.substr(bang + 1);
  if (tail.empty() || tail.front() == '\r' || tail.front() == '\n') {
    if (tail != "\r\n") return Unexpected(DsmrFault::Malformed);
    tail = {};
  }
  while (!tail.empty() && (tail.back() == '\r' || tail.back() == '\n')) tail.remove_suffix(1);
  if (tail.size() > 4) return Unexpected(DsmrFault::Malformed);
  for (char c : tail)
    if (!is_hex(c)) return Unexpected(DsmrFault::Malformed);
  if (!tail.empty()) {
    unsigned v = 0;
    std::from_chars(tail.data(), tail.data() + tail.size(), v, 16);
    t.has_crc = true;
    t.crc = static_cast<std::uint16_t>(v);
    if (dsmr_crc16(frame.substr(0, bang + 1)) != t.crc) return Unexpected(DsmrFault::CrcMismatch);
  }
  // Without a CRC nothing vouches for the bytes: every line must be a well-formed COSEM line.
  const bool strict = !t.has_crc;
  std::string_view body = frame.substr(1, bang - 1);
  bool first = true;
  while (!body.empty()) {
    const auto nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    if (strict && (nl == std::string_view::npos || line.empty() || line.back() != '\r'))
      return Unexpected(DsmrFault::Malformed);  // every line ends in CR LF (§1.2)
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (first) {
      t.header = std::string(line);
      if (strict && !plausible_header(t.header)) return Unexpected(DsmrFault::Malformed);
      first = false;
      continue;
    }
    if (line.empty()) continue;
    if (line.front() == '(') {  // DSMR ≤ 3 two-line gas object: values continue the previous line (§1.2)
      if (!t.objects.empty() && split_groups(line, t.objects.back().values)) continue;
      if (strict) return Unexpected(DsmrFault::Malformed);
      continue;
    }
    const auto open = line.find('(');
    DsmrObject o;
    if (open != std::string_view::npos) o.obis = reduced_obis(line.substr(0, open));
    if (o.obis.empty() || !split_groups(line.substr(open), o.values)) {
      if (strict) return Unexpected(DsmrFault::Malformed);
      continue;  // unknown line in a CRC-checked telegram: tolerated, ignored
    }
    t.objects.push_back(std::move(o));
  }
  if (t.header.empty() || t.objects.empty()) return Unexpected(DsmrFault::Malformed);
  if (!t.has_crc) {
    // DSMR ≥ 4 always sends a CRC (§1.1): a version line marks such a telegram.
    const auto v = t.value("1-3:0.2.8");
    if (t.find("0-0:96.1.4") != nullptr || (v && !v->empty() && (*v)[0] >= '4'))
      return Unexpected(DsmrFault::MissingCrc);
  }
  return t;
}

void DsmrStreamParser::finish(std::vector<Result<DsmrTelegram, DsmrFault>>& out) {
  auto r = parse_dsmr_frame(buf_);
  if (r && !r->has_crc && crc_seen_) r = Unexpected(DsmrFault::MissingCrc);  // this meter sends CRCs
  if (r && !r->has_crc) {
    std::string layout;
    for (const auto& o : r->objects) layout += o.obis + "/" + std::to_string(o.values.size()) + " ";
    if (layout_.empty() || layout == layout_ || layout == candidate_) {
      layout_ = std::move(layout);
      candidate_.clear();
    } else {
      candidate_ = std::move(layout);
      r = Unexpected(DsmrFault::LayoutChanged);
    }
  }
  if (r) {
    ++stats_.telegrams;
    if (r->has_crc) crc_seen_ = true;
  } else if (r.error() == DsmrFault::CrcMismatch || r.error() == DsmrFault::MissingCrc) {
    ++stats_.crc_errors;
  } else {
    ++stats_.malformed;
  }
  out.push_back(std::move(r));
  buf_.clear();
  crc_digits_ = 0;
  state_ = State::Hunt;
}

void DsmrStreamParser::flush(std::vector<Result<DsmrTelegram, DsmrFault>>& out) {
  // A CRC shorter than four digits is complete only at its CR; at the end of the stream it is cut.
  if (state_ != State::Hunt) {
    ++stats_.truncated;
    out.emplace_back(Unexpected(DsmrFault::Truncated));
  }
  buf_.clear();
  crc_digits_ = 0;
  state_ = State::Hunt;
}

std::vector<Result<DsmrTelegram, DsmrFault>> DsmrStreamParser::end_of_stream() {
  std::vector<Result<DsmrTelegram, DsmrFault>> out;
  flush(out);
  return out;
}

std::vector<Result<DsmrTelegram, DsmrFault>> DsmrStreamParser::feed(std::string_view bytes) {
  std::vector<Result<DsmrTelegram, DsmrFault>> out;
  for (char c : bytes) {
    switch (state_) {
      case State::Hunt:
        if (c == '/') {
          buf_.assign(1, c);
          state_ = State::Body;
        } else {
          ++stats_.garbage_bytes;
        }
        break;
      case State::Body:
        if (c == '/') {  // a new telegram starts before this one ended
          ++stats_.truncated;
          out.emplace_back(Unexpected(DsmrFault::Truncated));
          buf_.assign(1, c);
          break;
        }
        buf_.push_back(c);
        if (c == '!') {
          state_ = State::Crc;
          crc_digits_ = 0;
        } else if (buf_.size() > max_) {
          ++stats_.oversize;
          out.emplace_back(Unexpected(DsmrFault::Oversize));
          buf_.clear();
          state_ = State::Hunt;
        }
        break;
      case State::Crc:
        if (is_hex(c) && crc_digits_ < 4) {
          buf_.push_back(c);
          if (++crc_digits_ == 4) finish(out);
        } else if (c == '\r') {
          buf_.push_back(c);
          if (crc_digits_ > 0)
            finish(out);  // an unpadded CRC ends at its CR
          else
            state_ = State::Lf;
        } else {
          buf_.push_back(c);
          finish(out);  // refused: a '!' followed by neither CRC digits nor CR LF
          if (c == '/') {
            buf_.assign(1, c);
            state_ = State::Body;
          }
        }
        break;
      case State::Lf:
        buf_.push_back(c);
        finish(out);  // accepted only as "!" CR LF (parse_dsmr_frame checks)
        if (c == '/') {
          buf_.assign(1, c);
          state_ = State::Body;
        }
        break;
    }
  }
  return out;
}

namespace {
// Value of an object in a base unit: power W, energy Wh, voltage V, current A.
Measurement in_unit(const DsmrTelegram& t, std::string_view obis, std::string_view base, Quantity q) {
  const auto text = t.value(obis);
  if (!text) return {};
  const auto v = parse_dsmr_value(*text);
  if (!v) return Measurement::invalid(Invalid::NotANumber);
  double factor = 0.0;
  if (v->unit == base) {
    factor = 1.0;
  } else if (v->unit == "k" + std::string(base)) {
    factor = 1000.0;
  } else if (v->unit.empty()) {  // units omitted: the DSMR 5 table's units (kW, kWh, V, A)
    factor = (base == "W" || base == "Wh") ? 1000.0 : 1.0;
  } else {
    return Measurement::invalid(Invalid::Implausible);  // a unit that does not fit the quantity
  }
  return checked(q, v->number * factor);
}

Measurement diff(const Measurement& a, const Measurement& b, Quantity q) {
  if (a.valid() && b.valid()) return checked(q, *a.value() - *b.value());
  if (a.valid() && b.why() == Invalid::Missing) return a;  // no export line: import only
  return a.valid() ? b : a;
}
}  // namespace

MeterReading dsmr_reading(const DsmrTelegram& t, ems::MonoTime mono, ems::WallTime wall) {
  MeterReading r;
  r.mono = mono;
  r.wall = wall;
  if (auto ts = t.value("0-0:1.0.0")) r.device_time = parse_dsmr_timestamp(*ts);
  static constexpr std::array<std::string_view, 3> kImport{"1-0:21.7.0", "1-0:41.7.0", "1-0:61.7.0"};
  static constexpr std::array<std::string_view, 3> kExport{"1-0:22.7.0", "1-0:42.7.0", "1-0:62.7.0"};
  static constexpr std::array<std::string_view, 3> kVolt{"1-0:32.7.0", "1-0:52.7.0", "1-0:72.7.0"};
  static constexpr std::array<std::string_view, 3> kAmp{"1-0:31.7.0", "1-0:51.7.0", "1-0:71.7.0"};
  static constexpr std::array<Quantity, 3> kP{Quantity::PowerL1, Quantity::PowerL2, Quantity::PowerL3};
  static constexpr std::array<Quantity, 3> kU{Quantity::VoltageL1, Quantity::VoltageL2, Quantity::VoltageL3};
  static constexpr std::array<Quantity, 3> kI{Quantity::CurrentL1, Quantity::CurrentL2, Quantity::CurrentL3};
  for (std::size_t i = 0; i < 3; ++i) {
    set_quantity(r, kP[i], diff(in_unit(t, kImport[i], "W", kP[i]), in_unit(t, kExport[i], "W", kP[i]), kP[i]));
    set_quantity(r, kU[i], in_unit(t, kVolt[i], "V", kU[i]));
    set_quantity(r, kI[i], in_unit(t, kAmp[i], "A", kI[i]));
    // F3(0,0) A (DSMR 4, NL DSMR 5): whole amperes; Fluvius sends two decimals.
    if (const auto text = t.value(kAmp[i]);
        text && r.current_a[i].valid() && text->substr(0, text->find('*')).find('.') == std::string_view::npos)
      r.current_step_a = 1;
  }
  if (t.find("1-0:1.7.0") != nullptr || t.find("1-0:2.7.0") != nullptr) {
    set_quantity(r, Quantity::PowerTotal,
                 diff(in_unit(t, "1-0:1.7.0", "W", Quantity::PowerTotal),
                      in_unit(t, "1-0:2.7.0", "W", Quantity::PowerTotal), Quantity::PowerTotal));
  } else {
    // No total lines: the sum of the phases the meter reports, when none of them is invalid.
    double sum = 0.0;
    int present = 0;
    bool bad = false;
    for (const auto& m : r.power_w) {
      if (auto v = m.value()) {
        sum += *v;
        ++present;
      } else if (m.why() != Invalid::Missing) {
        bad = true;
      }
    }
    if (bad)
      r.power_total_w = Measurement::invalid(Invalid::Implausible);
    else if (present > 0)
      set_quantity(r, Quantity::PowerTotal, checked(Quantity::PowerTotal, sum));
  }
  auto demand = [&](std::string_view obis) {
    const auto m = in_unit(t, obis, "W", Quantity::PowerTotal);
    if (!m.valid() && m.why() != Invalid::Missing) ++r.rejected;
    if (m.valid() && *m.value() < 0.0) return Measurement::invalid(Invalid::OutOfRange);
    return m;
  };
  r.demand_quarter_hour_w = demand("1-0:1.4.0");
  r.demand_month_peak_w = demand("1-0:1.6.0");
  if (auto v = t.value("1-3:0.2.8")) r.protocol_version = std::string(*v);
  auto energy = [&](std::string_view total, std::string_view t1, std::string_view t2, Quantity q) {
    if (t.find(total) != nullptr) return in_unit(t, total, "Wh", q);
    const auto a = in_unit(t, t1, "Wh", q);
    const auto b = in_unit(t, t2, "Wh", q);
    if (a.valid() && b.valid()) return checked(q, *a.value() + *b.value());
    return a.valid() ? b : a;
  };
  set_quantity(r, Quantity::EnergyImport, energy("1-0:1.8.0", "1-0:1.8.1", "1-0:1.8.2", Quantity::EnergyImport));
  set_quantity(r, Quantity::EnergyExport, energy("1-0:2.8.0", "1-0:2.8.1", "1-0:2.8.2", Quantity::EnergyExport));
  sign_currents_from_power(r);
  return r;
}

}  // namespace emsgw::drivers
