#include "drivers/dsmr/p1_meter.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace emsgw::drivers {

namespace {
// Reads until `take` returns a reading (keeping the newest), or the wait runs out. A link that
// closes right after a complete telegram (P1 adapters that hang up) still yields that telegram;
// `closed` counts such closures and `on_close` lets the parser drop a telegram in progress.
template <class Parser, class Take, class OnClose>
Result<MeterReading, MeterError> wait_for(ByteStream& stream, const ems::Clock& clock, ems::Millis wait, Parser& parser,
                                          Take&& take, OnClose&& on_close, const char* what) {
  const auto deadline = clock.mono_now() + wait;
  std::array<char, 2048> buf{};
  std::optional<MeterReading> got;
  int drained = 0;
  for (;;) {
    if (got && ++drained > 16) return std::move(*got);  // a flooding source cannot hold poll() forever
    const auto now = clock.mono_now();
    const auto left = std::chrono::duration_cast<ems::Millis>(deadline - now);
    auto n = stream.read_some(buf, got ? ems::Millis{0} : std::max(left, ems::Millis{0}));
    if (!n) {
      on_close();
      if (got) return std::move(*got);
      return Unexpected(n.error());
    }
    if (*n == 0) {
      if (got) return std::move(*got);
      return Unexpected(
          MeterError{MeterError::Kind::Timeout, true,
                     std::string("no valid ") + what + " within " + std::to_string(wait.count()) + " ms"});
    }
    for (auto& r : parser.feed(std::string_view(buf.data(), *n)))
      if (r) got = take(*r, clock.mono_now(), clock.wall_now());
  }
}
}  // namespace

ems::Millis nominal_p1_interval(const DsmrTelegram& t) {
  if (t.find("0-0:96.1.4") != nullptr) return ems::Millis{1000};  // Fluvius e-MUCS (DSMR 5 based)
  const auto v = t.value("1-3:0.2.8");
  if (v && !v->empty() && (*v)[0] >= '5') return ems::Millis{1000};
  return ems::Millis{10000};
}

void SendIntervalMeter::sample(ems::MonoTime at) {
  if (last_) {
    const auto gap = std::chrono::duration_cast<ems::Millis>(at - *last_);
    if (gap >= ems::Millis{500}) {
      gaps_.push_back(gap);
      if (gaps_.size() > 9) gaps_.pop_front();
    }
  }
  last_ = at;
}

std::optional<ems::Millis> SendIntervalMeter::measured() const {
  if (gaps_.empty()) return std::nullopt;
  std::vector<ems::Millis> v(gaps_.begin(), gaps_.end());
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

Result<MeterReading, MeterError> DsmrP1Meter::poll() {
  return wait_for(
      stream_, clock_, wait_, parser_,
      [this](DsmrTelegram& t, ems::MonoTime mono, ems::WallTime wall) {
        auto r = dsmr_reading(t, mono, wall);
        interval_.sample(mono);
        r.send_interval = interval_.measured().value_or(nominal_p1_interval(t));
        bound_by_connection(r, bound_);
        energy_.apply(r);
        last_ = std::move(t);
        return r;
      },
      [this] {
        ++link_closed_;
        (void)parser_.end_of_stream();
      },
      "DSMR telegram");
}

Result<MeterReading, MeterError> TicMeter::poll() {
  return wait_for(
      stream_, clock_, wait_, parser_,
      [this](TicFrame& f, ems::MonoTime mono, ems::WallTime wall) {
        auto r = tic_reading(f, mono, wall);
        bound_by_connection(r, bound_);
        energy_.apply(r);
        return r;
      },
      [] {}, "TIC frame");
}

}  // namespace emsgw::drivers
