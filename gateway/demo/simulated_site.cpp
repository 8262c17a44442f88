#include "gateway/demo/simulated_site.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "drivers/meters/meter_presets.hpp"

namespace emsgw::gateway {

namespace alfen = drivers::alfen;
namespace sim = drivers::sim;

SimulatedSite::SimulatedSite(SimulatedSiteOptions options) : options_(std::move(options)) {
  household_a_ = options_.household_a;
  meter_ = std::make_unique<sim::MeterSimulator>(*drivers::find_meter_preset("eastron-sdm630"), 1);
  sim::TcpServerOptions mo;
  mo.max_clients = 4;
  meter_server_ = std::make_unique<sim::ModbusTcpServer>(*meter_, mo);
  if (options_.with_pv) {
    pv_ = std::make_unique<sim::SunspecSimulator>(sim::SunspecSimOptions{});
    sim::SunspecInverterState s;
    s.ac_power_w = 0;
    s.phase_current_a = {0, 0, 0};
    pv_->set_inverter(s);
    pv_server_ = std::make_unique<sim::ModbusTcpServer>(*pv_, mo);
  }
  for (std::size_t i = 0; i < options_.stations.size(); ++i) {
    const auto& spec = options_.stations[i];
    alfen::AlfenSimConfig c;
    c.name = spec.name;
    c.serial = "ACE00" + std::to_string(1000 + i);
    c.sockets = static_cast<int>(spec.sockets.size());
    c.station_max_a = spec.max_current_a;
    c.validity_s = spec.validity_s;
    c.phase_switching_allowed = spec.phase_switching;
    c.modbus_response_delay = ems::Millis(spec.modbus_response_delay_ms);
    c.modbus_pipelined = spec.modbus_pipelined;
    c.scn_mode = options_.control == "scn" && i == 0;
    c.scn_name = options_.control == "scn" ? "DEMO" : "";
    c.ev_response_delay = ems::Millis(static_cast<long>(options_.ev_response_delay_s * 1000));
    for (std::size_t j = 0; j < spec.sockets.size() && j < 2; ++j) {
      c.socket[j].max_current_a = spec.sockets[j].max_current_a;
      c.socket[j].safe_current_a = spec.sockets[j].safe_current_a;
      const auto m = ems::parse_phase_mapping(spec.sockets[j].phase_mapping);
      if (!m) throw std::invalid_argument("simulated site: bad phase mapping " + spec.sockets[j].phase_mapping);
      c.socket[j].wiring = *m;
    }
    stations_.push_back(std::make_unique<alfen::AlfenSimRunner>(c));
  }
}

SimulatedSite::~SimulatedSite() {
  stop();
}

void SimulatedSite::start() {
  auto port = meter_server_->start();
  if (!port) throw std::runtime_error("grid meter simulator: " + port.error());
  meter_port_ = *port;
  if (pv_server_) {
    auto p = pv_server_->start();
    if (!p) throw std::runtime_error("PV simulator: " + p.error());
    pv_port_ = *p;
  }
  for (auto& s : stations_) {
    auto p = s->start(0);
    if (!p) throw std::runtime_error("station simulator: " + p.error());
    station_ports_.push_back(*p);
    auto c = s->start_control(0);
    control_ports_.push_back(c ? *c : 0);
  }
  running_ = true;
  physics_thread_ = std::thread([this] { physics(); });
}

void SimulatedSite::stop() {
  if (running_.exchange(false) && physics_thread_.joinable()) physics_thread_.join();
  for (auto& s : stations_) s->stop();
  if (pv_server_) pv_server_->stop();
  if (meter_server_) meter_server_->stop();
}

void SimulatedSite::physics() {
  while (running_) {
    std::array<double, 3> ev{};
    for (auto& s : stations_) {
      const auto g = s->station().grid_currents_a();
      for (std::size_t p = 0; p < 3; ++p) ev[p] += g[p];
    }
    std::array<double, 3> grid{};
    double pv_w = 0;
    {
      std::lock_guard lock(mutex_);
      pv_w = pv_w_;
      for (std::size_t p = 0; p < 3; ++p) grid[p] = household_a_[p] + ev[p] - pv_w / (3 * 230.0);
      grid_a_ = grid;
      ev_a_ = ev;
    }
    meter_->set_phase_currents(grid);
    meter_->advance_energy(std::chrono::duration<double>(options_.physics_period).count());
    if (pv_) {
      auto inv = pv_->inverter();
      inv.ac_power_w = pv_w;
      for (auto& a : inv.phase_current_a) a = pv_w / (3 * 230.0);
      pv_->set_inverter(inv);
    }
    std::this_thread::sleep_for(options_.physics_period);
  }
}

void SimulatedSite::set_household(const std::array<double, 3>& amps) {
  std::lock_guard lock(mutex_);
  household_a_ = amps;
}

void SimulatedSite::set_pv_power(double watts) {
  std::lock_guard lock(mutex_);
  pv_w_ = watts;
}

void SimulatedSite::set_meter_silent(bool silent) {
  meter_->set_fault(silent ? sim::MeterFault::Silent : sim::MeterFault::None);
}

std::array<double, 3> SimulatedSite::grid_current() const {
  std::lock_guard lock(mutex_);
  return grid_a_;
}

std::array<double, 3> SimulatedSite::ev_current() const {
  std::lock_guard lock(mutex_);
  return ev_a_;
}

std::string SimulatedSite::config_toml(const std::string& extra) const {
  std::ostringstream o;
  o << "# Generated for the simulated site: every device below is a simulator on 127.0.0.1.\n"
    << "[site]\nname = \"" << options_.site_name << "\"\ngrid_max_current_a = " << options_.grid_max_current_a
    << "\ngrid_phases = 3\nmeter_includes_chargers = true\nsafety_margin_a = " << options_.safety_margin_a
    << "\ncontrol = \"" << options_.control << "\"\nalternating_period_s = " << options_.alternating_period_s
    << "\nmeter_stale_after_s = " << options_.meter_stale_after_s << "\n"
    << options_.site_extra << (options_.site_extra.empty() ? "" : "\n");
  if (options_.control == "scn" && !options_.stations.empty())
    o << "scn_name = \"DEMO\"\nscn_station = \"" << options_.stations[0].name << "\"\n";
  o << "\n[meter.grid]\nkind = \"modbus-tcp\"\nhost = \"127.0.0.1\"\nport = " << meter_port_
    << "\nunit = 1\npreset = \"eastron-sdm630\"\npoll_interval_ms = " << options_.meter_poll_interval_ms
    << "\ntimeout_ms = 300\n";
  if (pv_server_)
    o << "\n[meter.pv]\nkind = \"sunspec-tcp\"\nhost = \"127.0.0.1\"\nport = " << pv_port_
      << "\nunit = 1\npoll_interval_ms = 1000\ntimeout_ms = 300\n";
  for (std::size_t i = 0; i < options_.stations.size(); ++i) {
    const auto& st = options_.stations[i];
    o << "\n[[station]]\nname = \"" << st.name << "\"\nhost = \"127.0.0.1\"\nport = " << station_ports_.at(i)
      << "\nmax_current_a = " << st.max_current_a << "\nphase_switching = " << (st.phase_switching ? "true" : "false")
      << "\nresponse_timeout_ms = " << std::max(300, st.modbus_response_delay_ms + 700)
      << "\nconnect_timeout_ms = 500\npoll_interval_ms = " << options_.station_poll_interval_ms
      << "\npipelined_cuts = " << (options_.pipelined_cuts ? "true" : "false")
      << "\nrefresh_margin_s = " << std::max(2.0, std::min(20.0, st.validity_s / 3)) << "\n";
    for (std::size_t j = 0; j < st.sockets.size(); ++j) {
      const auto& so = st.sockets[j];
      o << "\n[[station.socket]]\nid = " << so.id << "\nunit = " << j + 1 << "\nmax_current_a = " << so.max_current_a
        << "\nsafe_current_a = " << so.safe_current_a << "\nphase_mapping = \"" << so.phase_mapping << "\"\nmode = \""
        << so.mode << "\"\n";
    }
  }
  o << extra;
  return o.str();
}

}  // namespace emsgw::gateway
