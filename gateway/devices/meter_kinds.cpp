// The built-in meter kinds: one entry each, with the keys it reads, its rules, its driver and its
// probe. Sources: protocols.md §1 (DSMR), §2 (TIC), §3 (Modbus meters), §4 (SunSpec); guide §2.
#include <algorithm>
#include <cmath>
#include <ostream>

#include "drivers/dsmr/byte_stream.hpp"
#include "drivers/dsmr/p1_meter.hpp"
#include "drivers/meters/meter_presets.hpp"
#include "drivers/meters/modbus_meter.hpp"
#include "drivers/modbus/libmodbus_transport.hpp"
#include "drivers/modbus/socket_transport.hpp"
#include "drivers/sunspec/sunspec.hpp"
#include "gateway/config/toml_reader.hpp"
#include "gateway/devices/device_kinds.hpp"

namespace emsgw::gateway {

namespace {

using config_detail::Need;
using config_detail::TableReader;
using drivers::MeterSettings;

/// A meter driver together with the link it reads through (the driver holds a reference to it).
template <class Link>
class OwningMeter final : public drivers::EnergyMeter {
 public:
  OwningMeter(std::unique_ptr<Link> link, std::unique_ptr<drivers::EnergyMeter> meter)
      : link_(std::move(link)), meter_(std::move(meter)) {}
  MeterResult poll() override { return meter_->poll(); }
  [[nodiscard]] std::string describe() const override { return meter_->describe(); }

 private:
  std::unique_ptr<Link> link_;
  std::unique_ptr<drivers::EnergyMeter> meter_;
};
using OwningModbusMeter = OwningMeter<drivers::ModbusTransport>;
using OwningStreamMeter = OwningMeter<drivers::ByteStream>;

drivers::LinkTiming timing(const MeterSettings& s) {
  drivers::LinkTiming t;
  t.response_timeout_ms = s.timeout_ms;
  t.connect_timeout_ms = std::max(1000, s.timeout_ms);
  return t;
}

// ---- Modbus TCP / RTU and SunSpec ----------------------------------------------------------------

std::unique_ptr<drivers::ModbusTransport> modbus_tcp_link(const MeterSettings& s, const ems::Clock* clock) {
  // Modbus meters on TCP: emsgw's own framing, which checks every reply's unit id (libmodbus
  // checks it on RTU only); RTU over TCP for RS-485-to-Ethernet converters.
  return std::make_unique<drivers::SocketModbusTransport>(
      drivers::TcpLink{s.host, s.port, timing(s)},
      s.rtu_over_tcp ? drivers::ModbusFraming::Rtu : drivers::ModbusFraming::Mbap, clock);
}

std::unique_ptr<drivers::ModbusTransport> modbus_rtu_link(const MeterSettings& s, const ems::Clock* clock) {
  return std::make_unique<drivers::LibmodbusRtuTransport>(
      drivers::RtuLink{s.serial.device, s.serial.baud, s.serial.parity, s.serial.data_bits, s.serial.stop_bits,
                       timing(s)},
      clock);
}

std::unique_ptr<drivers::ModbusTransport> libmodbus_tcp_link(const MeterSettings& s, const ems::Clock* clock) {
  return std::make_unique<drivers::LibmodbusTcpTransport>(drivers::TcpLink{s.host, s.port, timing(s)}, clock);
}

using ModbusLink = std::unique_ptr<drivers::ModbusTransport> (*)(const MeterSettings&, const ems::Clock*);

void parse_register(TableReader& r, drivers::RegisterSpec& spec) {
  r.read("register", spec.address, Need::Required);
  r.read("function", spec.function);
  r.choice("type", spec.type, drivers::parse_value_type, "u16, s16, u32, s32, u64, s64, float32, float64",
           Need::Required);
  r.choice("word_order", spec.order, drivers::parse_word_order, "high-first, low-first");
  r.read("scale", spec.scale);
}

void parse_preset(TableReader& r, MeterSettings& m) {
  r.read("preset", m.preset, Need::Required);
  if (const auto* map = r.table("map", m.preset == "custom" ? Need::Required : Need::Optional)) {
    TableReader mr(*map, r.full("map"), r.diag());
    for (auto&& [k, v] : *map) {
      const auto q = drivers::parse_quantity(k.str());
      if (!q) continue;  // left unclaimed: reported as an unknown key with the quantity list below
      mr.claim(k.str());
      if (const auto* t = v.as_table()) {
        TableReader qr(*t, mr.full(k.str()), r.diag());
        parse_register(qr, m.custom[*q]);
      } else {
        r.diag().error(mr.line(k.str()), mr.full(k.str()), config_detail::render(v),
                       "must be a table { register = …, type = … }");
      }
    }
  }
}

void parse_framing(TableReader& r, MeterSettings& m) {
  std::string framing = "tcp";
  r.read("framing", framing);
  if (framing == "rtu")
    m.rtu_over_tcp = true;
  else if (framing != "tcp")
    r.diag().error(r.line("framing"), r.full("framing"), TableReader::quote(framing),
                   "must be one of: tcp (Modbus TCP), rtu (RTU frames over TCP, for RS-485-to-Ethernet converters)");
}

void range(ConfigIssues& out, const std::string& key, int v, int lo, int hi) {
  if (v >= lo && v <= hi) return;
  out.push_back({key, std::to_string(v), "must be between " + std::to_string(lo) + " and " + std::to_string(hi)});
}

void check_preset(ConfigIssues& out, const std::string& k, const MeterSettings& m) {
  const auto& names = drivers::meter_preset_names();
  if (std::find(names.begin(), names.end(), m.preset) == names.end()) {
    std::string list;
    for (auto n : names) list += (list.empty() ? "" : ", ") + std::string(n);
    out.push_back({k + ".preset", "\"" + m.preset + "\"", "must be one of: " + list});
  }
  if (m.preset != "custom" && !m.custom.empty())
    out.push_back({k + ".map", "{…}", "is only used with preset = \"custom\""});
  for (const auto& [q, spec] : m.custom) {
    const std::string qk = k + ".map." + std::string(drivers::to_string(q));
    range(out, qk + ".register", spec.address, 0, 65535);
    if (spec.function != 3 && spec.function != 4)
      out.push_back({qk + ".function", std::to_string(spec.function), "must be 3 (holding) or 4 (input registers)"});
    if (!(spec.scale != 0 && std::isfinite(spec.scale)))
      out.push_back({qk + ".scale", std::to_string(spec.scale), "must be a finite number other than 0"});
  }
  if (m.preset == "custom" && !m.custom.contains(drivers::Quantity::CurrentL1))
    out.push_back(
        {k + ".map.current_l1", "(missing)", "a custom map needs at least current_l1 (and l2, l3 on a 3-phase grid)"});
}

std::unique_ptr<drivers::ModbusMeter> modbus_meter(drivers::ModbusTransport& link, const MeterSettings& s,
                                                   const ems::Clock& clock) {
  const auto resolved = drivers::resolve_meter_map(s);
  drivers::ModbusMeterOptions o;
  o.unit = s.unit;
  o.map = resolved.map;
  o.limits = resolved.limits;
  o.invert = s.invert;
  return std::make_unique<drivers::ModbusMeter>(link, clock, o);
}

MeterKindTraits modbus_kind(std::string_view name, MeterLink link, ModbusLink make_link) {
  MeterKindTraits k;
  k.name = name;
  k.link = link;
  k.default_serial = {"", 19200, 'E', 8, 1};  // guide §2: RTU 19200 8E1
  k.unit_range = link == MeterLink::Serial ? std::pair{1, 247} : std::pair{0, 255};
  k.uses_preset = true;
  k.exclusive_link = link == MeterLink::Serial;
  if (link == MeterLink::Tcp)
    k.parse_keys = [](TableReader& r, MeterSettings& m) {
      parse_framing(r, m);  // RTU frames over TCP, for RS-485-to-Ethernet converters
      parse_preset(r, m);
    };
  else
    k.parse_keys = parse_preset;
  k.validate = check_preset;
  k.make = [make_link](const MeterSettings& s, const ems::Clock& clock) -> std::unique_ptr<drivers::EnergyMeter> {
    auto bus = make_link(s, &clock);
    auto meter = modbus_meter(*bus, s, clock);
    return std::make_unique<OwningModbusMeter>(std::move(bus), std::move(meter));
  };
  k.probe = [make_link](const MeterSettings& s, const ems::Clock& clock, ems::Millis) {
    auto bus = make_link(s, nullptr);
    auto map = drivers::resolve_meter_map(s);
    auto mm = std::make_unique<drivers::ModbusMeter>(
        *bus, clock, drivers::ModbusMeterOptions{s.unit, std::move(map.map), map.limits, s.invert, true});
    const auto* raw = mm.get();
    MeterProbe p;
    p.meter = std::make_unique<OwningModbusMeter>(std::move(bus), std::move(mm));
    p.hints = [raw](const MeterResult& r) { return drivers::modbus_meter_hints(*raw, r ? &*r : nullptr); };
    return p;
  };
  return k;
}

MeterKindTraits sunspec_kind() {
  MeterKindTraits k;
  k.name = "sunspec-tcp";
  k.link = MeterLink::Tcp;
  k.unit_range = std::pair{0, 255};
  const auto make = [](const MeterSettings& s, const ems::Clock& clock, const ems::Clock* link_clock) {
    auto bus = libmodbus_tcp_link(s, link_clock);
    auto meter = std::make_unique<drivers::SunspecMeter>(
        *bus, clock, s.unit, s.role == "pv" ? drivers::SunspecRole::Inverter : drivers::SunspecRole::Meter);
    return std::make_unique<OwningModbusMeter>(std::move(bus), std::move(meter));
  };
  k.make = [make](const MeterSettings& s, const ems::Clock& clock) -> std::unique_ptr<drivers::EnergyMeter> {
    return make(s, clock, &clock);
  };
  k.probe = [make](const MeterSettings& s, const ems::Clock& clock, ems::Millis) {
    MeterProbe p;
    p.meter = make(s, clock, nullptr);
    return p;
  };
  return k;
}

// ---- DSMR P1 and TIC: meters that send telegrams ---------------------------------------------------

std::unique_ptr<drivers::ByteStream> stream_of(const MeterSettings& s, MeterLink link) {
  if (link == MeterLink::Tcp)
    return std::make_unique<drivers::TcpByteStream>(s.host, s.port, ems::Millis(std::max(1000, s.timeout_ms)));
  return std::make_unique<drivers::SerialByteStream>(s.serial);
}

std::vector<std::string> p1_hints(const drivers::DsmrP1Meter& p1, const MeterResult& r) {
  std::vector<std::string> hints;
  if (r && p1.link_closed() > 0)
    hints.push_back("the P1 adapter closed the connection " + std::to_string(p1.link_closed()) +
                    " time(s); telegrams received before each close were kept");
  if (!r && p1.link_closed() > 0 && p1.stats().telegrams == 0) {
    hints.push_back(
        "the connection was closed or refused: check host and port of the P1 adapter, and that no "
        "other client holds it");
  } else if (!r) {
    const auto& st = p1.stats();
    if (st.crc_errors > 0)
      hints.push_back(
          "telegrams arrive but fail their CRC: check the serial settings (DSMR 4/5: 115200 8N1; "
          "DSMR 2.2/3: 9600 7E1)");
    else if (st.garbage_bytes > 0)
      hints.push_back(
          "bytes arrive but no telegram: wrong baud rate or parity, or the P1 signal is not inverted "
          "(use an inverting P1 cable)");
    else
      hints.push_back(
          "nothing received: is the P1 port enabled (Fluvius: open it in the customer portal) and the "
          "Data Request line powered?");
  }
  return hints;
}

MeterKindTraits dsmr_kind(std::string_view name, MeterLink link) {
  MeterKindTraits k;
  k.name = name;
  k.link = link;
  k.default_port = 2000;
  k.default_serial = {"", 115200, 'N', 8, 1};  // protocols.md §1.1: DSMR 4/5
  k.paced_by_meter = true;
  k.exclusive_link = true;
  k.sends_every = "DSMR 5: every 1 s; DSMR 2.2-4: every 10 s";
  k.make = [link](const MeterSettings& s, const ems::Clock& clock) -> std::unique_ptr<drivers::EnergyMeter> {
    auto stream = stream_of(s, link);
    auto meter = std::make_unique<drivers::DsmrP1Meter>(
        *stream, clock, ems::Millis{12000}, drivers::ConnectionBound{s.connection_max_current_a, s.connection_phases});
    return std::make_unique<OwningStreamMeter>(std::move(stream), std::move(meter));
  };
  k.probe = [link](const MeterSettings& s, const ems::Clock& clock, ems::Millis listen) {
    auto stream = stream_of(s, link);
    auto meter = std::make_unique<drivers::DsmrP1Meter>(*stream, clock, listen);
    auto* p1 = meter.get();
    MeterProbe p;
    p.meter = std::make_unique<OwningStreamMeter>(std::move(stream), std::move(meter));
    // A second telegram measures how often the meter sends (DSMR 5: 1 s; DSMR 2.2-4: 10 s).
    p.settle = [p1](MeterResult& r, std::ostream& out) {
      if (!r) return;
      if (auto again = p1->poll(); again) r = std::move(again);
      if (const auto every = p1->measured_interval()) {
        out << "telegram interval " << static_cast<double>(every->count()) / 1000.0 << " s (measured)\n";
      } else if (r->send_interval) {
        out << "telegram interval " << static_cast<double>(r->send_interval->count()) / 1000.0 << " s (nominal for "
            << (r->protocol_version.empty() ? "a meter without version line" : "P1 version " + r->protocol_version)
            << "; only one telegram arrived)\n";
      }
    };
    p.hints = [p1](const MeterResult& r) { return p1_hints(*p1, r); };
    p.not_sensible =
        "the telegram carries no current or power lines: check that the meter's P1 port sends the electricity values";
    return p;
  };
  return k;
}

MeterKindTraits tic_kind() {
  MeterKindTraits k;
  k.name = "tic-serial";
  k.link = MeterLink::Serial;
  k.default_serial = {"", 1200, 'E', 7, 1};  // protocols.md §2: historique
  k.paced_by_meter = true;
  k.exclusive_link = true;
  k.parse_keys = [](TableReader& r, MeterSettings& m) {
    r.read("tic_mode", m.tic_mode);
    // Linky standard mode sends at 9600 baud, historique at 1200 (protocols.md §2); an explicit
    // `baud` wins.
    if (m.tic_mode == "standard" && !r.has("baud")) m.serial.baud = 9600;
  };
  k.validate = [](ConfigIssues& out, const std::string& key, const MeterSettings& m) {
    if (m.tic_mode != "historique" && m.tic_mode != "standard")
      out.push_back({key + ".tic_mode", "\"" + m.tic_mode + "\"", "must be one of: historique, standard"});
  };
  k.make = [](const MeterSettings& s, const ems::Clock& clock) -> std::unique_ptr<drivers::EnergyMeter> {
    auto stream = stream_of(s, MeterLink::Serial);
    auto meter = std::make_unique<drivers::TicMeter>(
        *stream, clock, ems::Millis{5000}, drivers::ConnectionBound{s.connection_max_current_a, s.connection_phases});
    return std::make_unique<OwningStreamMeter>(std::move(stream), std::move(meter));
  };
  k.probe = [](const MeterSettings& s, const ems::Clock& clock, ems::Millis listen) {
    auto stream = stream_of(s, MeterLink::Serial);
    auto meter = std::make_unique<drivers::TicMeter>(*stream, clock, listen);
    const auto* tic = meter.get();
    MeterProbe p;
    p.meter = std::make_unique<OwningStreamMeter>(std::move(stream), std::move(meter));
    p.hints = [tic](const MeterResult& r) {
      std::vector<std::string> hints;
      if (r) return hints;
      const auto& st = tic->stats();
      if (st.bad_groups > 0)
        hints.push_back(
            "TIC frames arrive but their groups fail the checksum: check tic_mode (historique: 1200 "
            "baud, standard: 9600 baud, both 7E1)");
      else if (st.garbage_bytes > 0)
        hints.push_back(
            "bytes arrive but no TIC frame: wrong baud rate for the mode (historique 1200, standard "
            "9600) or parity (TIC is 7E1)");
      else
        hints.push_back(
            "nothing received from the TIC output: check the wiring to I1/I2 and that the Linky's TIC "
            "is powered");
      return hints;
    };
    p.not_sensible =
        "the TIC frame carries no current or power: check tic_mode (historique or standard) and that the meter's TIC "
        "output is enabled";
    return p;
  };
  return k;
}

}  // namespace

std::vector<MeterKindTraits> builtin_meter_kinds() {
  return {
      modbus_kind("modbus-tcp", MeterLink::Tcp, modbus_tcp_link),
      modbus_kind("modbus-rtu", MeterLink::Serial, modbus_rtu_link),
      dsmr_kind("dsmr-serial", MeterLink::Serial),
      dsmr_kind("dsmr-tcp", MeterLink::Tcp),
      tic_kind(),
      sunspec_kind(),
  };
}

}  // namespace emsgw::gateway
