#include "drivers/alfen/alfen_station_device.hpp"

namespace emsgw::drivers::alfen {

ems::ConnectorState connector_state(Mode3State s) {
  using M = Mode3State;
  switch (s) {
    case M::A: return ems::ConnectorState::Available;
    case M::B1:
    case M::B2: return ems::ConnectorState::Connected;
    case M::C1:
    case M::C2:
    case M::D1:
    case M::D2: return ems::ConnectorState::Charging;
    case M::E:
    case M::F: return ems::ConnectorState::Fault;
  }
  return ems::ConnectorState::Unknown;
}

std::string station_hint(const ModbusError& e) {
  using K = ModbusErrorKind;
  std::string s = e.describe();
  if (e.kind == K::NotConnected || e.kind == K::Timeout || e.kind == K::ConnectionLost)
    s += " (check the address, that the Modbus TCP slave is enabled, and that no second master holds the connection)";
  else if (e.kind == K::Exception && e.exception_code == kIllegalFunction)
    s += " (data source not set to Energy Management System, or the Active Load Balancing licence is missing)";
  return s;
}

AlfenStationDevice::AlfenStationDevice(const TcpLink& link, int sockets, bool read_scn, const ems::Clock& clock,
                                       bool pipelined_cuts)
    : clock_(clock), endpoint_(link.host + ":" + std::to_string(link.port)) {
  transport_ = std::make_unique<SocketModbusTransport>(link, ModbusFraming::Mbap, &clock_);
  transport_->set_pipelining(pipelined_cuts);
  AlfenOptions opts;
  opts.sockets = sockets;
  opts.read_scn = read_scn;
  station_ = std::make_unique<AlfenStation>(*transport_, clock_, opts);
}

StationSample AlfenStationDevice::poll() {
  return poll_interleaved({});
}

StationSample AlfenStationDevice::poll_interleaved(const std::function<void()>& between) {
  StationSample s;
  s.at = clock_.mono_now();
  s.started = s.at;
  s.wall = clock_.wall_now();
  if (!identity_) {
    auto id = station_->identify();
    if (!id) {
      s.error = station_hint(id.error());
      return s;
    }
    identity_ = id.value();
  }
  // While a read waits for its reply, interrupt_poll() runs `between` (the cuts) at once.
  transport_->set_urgent(between);
  const auto r = station_->poll(between);
  transport_->set_urgent({});
  s.ok = r.ok;
  if (r.error) {
    s.error = station_hint(*r.error);
    if (r.error->kind != ModbusErrorKind::Exception) identity_.reset();  // re-identify after reconnect
  }
  s.station_max_a = r.station_max_a;
  s.platform = identity_ ? identity_->platform : "";
  s.firmware = identity_ ? identity_->firmware : "";
  s.serial = identity_ ? identity_->serial : "";
  for (const auto& so : r.socket) {
    SocketSample x;
    x.unit = so.socket;
    x.valid = so.ok;
    if (so.mode3) {
      x.mode3 = std::string(to_string(*so.mode3));
      x.state = connector_state(*so.mode3);
    }
    x.current_a = so.current_a;
    x.voltage_v = so.voltage_v;
    x.power_w = so.power_w;
    x.energy_wh = so.energy_wh;
    x.applied_a = so.applied_max_a;
    x.setpoint_a = so.setpoint_a;
    x.validity_s = so.remaining_validity_s;
    x.safe_current_a = so.safe_current_a;
    x.accounted = so.accounted_for;
    x.phases = so.phases.value_or(0);
    s.sockets.push_back(std::move(x));
  }
  if (r.scn) {
    ScnSample scn;
    scn.consumption_a = r.scn->consumption_a;
    scn.max_current_a = r.scn->max_current_a;
    scn.validity_s = r.scn->remaining_s;
    scn.enabled = r.scn->enabled.value_or(false);
    s.scn = scn;
  }
  return s;
}

namespace {
WriteOutcome outcome(const WriteConfirmation& c) {
  WriteOutcome o;
  o.ok = c.written;
  o.accepted = c.accepted;
  o.validity_s = c.remaining_validity_s;
  o.applied_a = c.applied_a;
  if (c.error) {
    o.error = station_hint(*c.error);
    o.permanent = !c.error->transient();
  } else if (!c.accepted) {
    o.error = c.reason;
  }
  return o;
}
}  // namespace

WriteOutcome AlfenStationDevice::write_current(int unit, double amps) {
  return outcome(station_->write_setpoint(unit, amps));
}

WriteOutcome AlfenStationDevice::write_scn(const std::array<double, 3>& amps) {
  return outcome(station_->write_scn_limits(amps[0], amps[1], amps[2]));
}

WriteOutcome AlfenStationDevice::write_phases(int unit, int phases) {
  WriteOutcome o;
  const auto r = station_->write_phases(unit, phases);
  o.ok = r.has_value();
  o.accepted = o.ok;
  if (!r) {
    const bool not_allowed =
        r.error().kind == ModbusErrorKind::Exception && r.error().exception_code == kIllegalDataValue;
    o.error = not_allowed ? "phase switching not allowed on this station (tick \"Allow 1- and 3-phases charging\")"
                          : station_hint(r.error());
    o.permanent = !r.error().transient();
  }
  return o;
}

void AlfenStationDevice::interrupt_poll() {
  transport_->wake();
}

TransportStats AlfenStationDevice::link_stats() const {
  return transport_->stats();
}

std::string AlfenStationDevice::describe() const {
  return "Alfen station at " + endpoint_;
}

}  // namespace emsgw::drivers::alfen
