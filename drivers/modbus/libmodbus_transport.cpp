#include "drivers/modbus/libmodbus_transport.hpp"

#include <modbus/modbus.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace emsgw::drivers {

namespace {

// The default clock: the only place in this file that reads time.
class SteadyClock final : public ems::Clock {
 public:
  [[nodiscard]] ems::MonoTime mono_now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] ems::WallTime wall_now() const override { return std::chrono::system_clock::now(); }
};

const ems::Clock& default_clock() {
  static const SteadyClock clock;
  return clock;
}

void set_timeout(modbus_t* ctx, int ms, int (*setter)(modbus_t*, uint32_t, uint32_t)) {
  const int clamped = std::max(ms, 1);
  setter(ctx, static_cast<uint32_t>(clamped / 1000), static_cast<uint32_t>((clamped % 1000) * 1000));
}

ModbusError invalid(std::string msg) {
  return ModbusError{ModbusErrorKind::InvalidRequest, 0, std::move(msg)};
}

}  // namespace

ModbusError modbus_error_from_errno(int err, const std::string& context) {
  ModbusError e;
  e.message = context;
  if (err > MODBUS_ENOBASE && err <= EMBXGTAR) {
    e.kind = ModbusErrorKind::Exception;
    e.exception_code = err - MODBUS_ENOBASE;
    return e;
  }
  switch (err) {
    case ETIMEDOUT: e.kind = ModbusErrorKind::Timeout; break;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
    case ENOTCONN:
    case EBADF: e.kind = ModbusErrorKind::ConnectionLost; break;
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EINPROGRESS:
    case ENOENT: e.kind = ModbusErrorKind::NotConnected; break;
    case EMBBADDATA:
    case EMBBADCRC:
    case EMBBADEXC:
    case EMBUNKEXC:
    case EMBMDATA:
    case EMBBADSLAVE: e.kind = ModbusErrorKind::BadReply; break;
    case EINVAL: e.kind = ModbusErrorKind::InvalidRequest; break;
    default: e.kind = ModbusErrorKind::ConnectionLost; break;
  }
  const char* text = modbus_strerror(err);
  e.message += std::string(e.message.empty() ? "" : ": ") + (text != nullptr ? text : "unknown error");
  return e;
}

LibmodbusTransport::LibmodbusTransport(std::string endpoint, LinkTiming timing, const ems::Clock* clock)
    : endpoint_(std::move(endpoint)), timing_(timing), clock_(clock != nullptr ? clock : &default_clock()) {}

LibmodbusTransport::~LibmodbusTransport() {
  // Subclasses call disconnect() in their destructors; this only frees what is left.
  if (ctx_ != nullptr) {
    modbus_close(ctx_);
    modbus_free(ctx_);
    ctx_ = nullptr;
  }
}

void LibmodbusTransport::close_locked() {
  if (ctx_ != nullptr) {
    modbus_close(ctx_);
    modbus_free(ctx_);
    ctx_ = nullptr;
  }
  connected_ = false;
}

ModbusResult<void> LibmodbusTransport::ensure_connected_locked() {
  if (connected_) return {};
  const auto now = clock_->mono_now();
  if (backoff_ms_ > 0 && now < next_attempt_) {
    const auto wait = std::chrono::duration_cast<ems::Millis>(next_attempt_ - now).count();
    return Unexpected(ModbusError{ModbusErrorKind::NotConnected, 0,
                                  endpoint_ + ": reconnect back-off, next attempt in " + std::to_string(wait) + " ms"});
  }
  ctx_ = make_context();
  int err = errno;
  if (ctx_ != nullptr) {
    set_timeout(ctx_, timing_.connect_timeout_ms, &modbus_set_response_timeout);
    if (modbus_connect(ctx_) == 0) {
      set_timeout(ctx_, timing_.response_timeout_ms, &modbus_set_response_timeout);
      connected_ = true;
      backoff_ms_ = 0;
      last_activity_ = clock_->mono_now();
      ++stats_.connects;
      return {};
    }
    err = errno;
    close_locked();
  }
  ++stats_.connect_failures;
  backoff_ms_ = backoff_ms_ == 0 ? timing_.initial_backoff_ms : std::min(backoff_ms_ * 2, timing_.max_backoff_ms);
  next_attempt_ = clock_->mono_now() + ems::Millis(backoff_ms_);
  auto e = modbus_error_from_errno(err, endpoint_ + ": connect failed");
  e.kind = ModbusErrorKind::NotConnected;
  return Unexpected(std::move(e));
}

ModbusResult<void> LibmodbusTransport::connect() {
  std::lock_guard lock(mu_);
  return ensure_connected_locked();
}

void LibmodbusTransport::disconnect() {
  std::lock_guard lock(mu_);
  close_locked();
  backoff_ms_ = 0;
}

bool LibmodbusTransport::connected() const {
  std::lock_guard lock(mu_);
  return connected_;
}

std::optional<ems::Millis> LibmodbusTransport::idle_for() const {
  std::lock_guard lock(mu_);
  if (!connected_) return std::nullopt;
  return std::chrono::duration_cast<ems::Millis>(clock_->mono_now() - last_activity_);
}

TransportStats LibmodbusTransport::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

ModbusError LibmodbusTransport::error_from_errno_locked(int err, const char* what) {
  auto e = modbus_error_from_errno(err, endpoint_ + " " + what);
  switch (e.kind) {
    case ModbusErrorKind::Exception: break;
    case ModbusErrorKind::Timeout:
      // A late reply would be taken for the answer to the next request: drop what arrives.
      // After kTimeoutsBeforeReconnect in a row the link is presumed dead (peer gone silently).
      if (ctx_ != nullptr) modbus_flush(ctx_);
      if (++consecutive_timeouts_ >= kTimeoutsBeforeReconnect && is_stream()) close_locked();
      break;
    case ModbusErrorKind::InvalidRequest: break;
    case ModbusErrorKind::BadReply:
    case ModbusErrorKind::ConnectionLost:
    case ModbusErrorKind::NotConnected:
      if (is_stream()) {
        close_locked();
      } else if (ctx_ != nullptr) {
        modbus_flush(ctx_);
      }
      break;
  }
  return e;
}

template <class F>
auto LibmodbusTransport::run(int unit, F&& op) -> decltype(op(static_cast<_modbus*>(nullptr))) {
  using R = decltype(op(static_cast<_modbus*>(nullptr)));
  std::lock_guard lock(mu_);
  ++stats_.requests;
  if (unit < 0 || unit > 255) {
    ++stats_.failures;
    return R(Unexpected(invalid("unit id " + std::to_string(unit) + " out of range 0..255")));
  }
  const bool reused = connected_;
  if (auto c = ensure_connected_locked(); !c) {
    ++stats_.failures;
    return R(Unexpected(c.error()));
  }
  modbus_set_slave(ctx_, unit);
  R r = op(ctx_);
  // A link that had been open may have been closed by the peer meanwhile (Alfen: 60 s idle, a
  // reboot). Reopen once and repeat: every request emsgw sends is idempotent (reads, and writes of
  // absolute values).
  if (!r && reused && is_stream() && r.error().kind == ModbusErrorKind::ConnectionLost) {
    if (auto c = ensure_connected_locked(); c) {
      modbus_set_slave(ctx_, unit);
      r = op(ctx_);
    }
  }
  if (!r) ++stats_.failures;
  if (r || r.error().kind == ModbusErrorKind::Exception) {  // an exception reply proves the link alive
    consecutive_timeouts_ = 0;
    last_activity_ = clock_->mono_now();
  }
  return r;
}

ModbusResult<std::vector<std::uint16_t>> LibmodbusTransport::read_holding(int unit, int address, int count) {
  using R = ModbusResult<std::vector<std::uint16_t>>;
  if (count < 1 || count > MODBUS_MAX_READ_REGISTERS || address < 0 || address + count > 0x10000)
    return Unexpected(invalid("read of " + std::to_string(count) + " registers at " + std::to_string(address)));
  return run(unit, [&](modbus_t* ctx) -> R {
    std::vector<std::uint16_t> regs(static_cast<std::size_t>(count));
    const int rc = modbus_read_registers(ctx, address, count, regs.data());
    if (rc != count) return Unexpected(error_from_errno_locked(rc < 0 ? errno : EMBBADDATA, "read holding"));
    return regs;
  });
}

ModbusResult<std::vector<std::uint16_t>> LibmodbusTransport::read_input(int unit, int address, int count) {
  using R = ModbusResult<std::vector<std::uint16_t>>;
  if (count < 1 || count > MODBUS_MAX_READ_REGISTERS || address < 0 || address + count > 0x10000)
    return Unexpected(invalid("read of " + std::to_string(count) + " registers at " + std::to_string(address)));
  return run(unit, [&](modbus_t* ctx) -> R {
    std::vector<std::uint16_t> regs(static_cast<std::size_t>(count));
    const int rc = modbus_read_input_registers(ctx, address, count, regs.data());
    if (rc != count) return Unexpected(error_from_errno_locked(rc < 0 ? errno : EMBBADDATA, "read input"));
    return regs;
  });
}

ModbusResult<void> LibmodbusTransport::write_single(int unit, int address, std::uint16_t value) {
  using R = ModbusResult<void>;
  if (address < 0 || address > 0xFFFF) return Unexpected(invalid("address " + std::to_string(address)));
  return run(unit, [&](modbus_t* ctx) -> R {
    if (modbus_write_register(ctx, address, value) != 1)
      return Unexpected(error_from_errno_locked(errno, "write single"));
    return {};
  });
}

ModbusResult<void> LibmodbusTransport::write_multiple(int unit, int address, std::span<const std::uint16_t> values) {
  using R = ModbusResult<void>;
  const auto n = static_cast<int>(values.size());
  if (n < 1 || n > MODBUS_MAX_WRITE_REGISTERS || address < 0 || address + n > 0x10000)
    return Unexpected(invalid("write of " + std::to_string(n) + " registers at " + std::to_string(address)));
  return run(unit, [&](modbus_t* ctx) -> R {
    if (modbus_write_registers(ctx, address, n, values.data()) != n)
      return Unexpected(error_from_errno_locked(errno, "write multiple"));
    return {};
  });
}

ModbusResult<std::vector<bool>> LibmodbusTransport::read_coils(int unit, int address, int count) {
  using R = ModbusResult<std::vector<bool>>;
  if (count < 1 || count > MODBUS_MAX_READ_BITS || address < 0 || address + count > 0x10000)
    return Unexpected(invalid("read of " + std::to_string(count) + " coils at " + std::to_string(address)));
  return run(unit, [&](modbus_t* ctx) -> R {
    std::vector<std::uint8_t> bits(static_cast<std::size_t>(count));
    const int rc = modbus_read_bits(ctx, address, count, bits.data());
    if (rc != count) return Unexpected(error_from_errno_locked(rc < 0 ? errno : EMBBADDATA, "read coils"));
    std::vector<bool> out;
    out.reserve(bits.size());
    for (const auto b : bits) out.push_back(b != 0);
    return out;
  });
}

ModbusResult<std::vector<bool>> LibmodbusTransport::read_discrete_inputs(int unit, int address, int count) {
  using R = ModbusResult<std::vector<bool>>;
  if (count < 1 || count > MODBUS_MAX_READ_BITS || address < 0 || address + count > 0x10000)
    return Unexpected(invalid("read of " + std::to_string(count) + " discrete inputs at " + std::to_string(address)));
  return run(unit, [&](modbus_t* ctx) -> R {
    std::vector<std::uint8_t> bits(static_cast<std::size_t>(count));
    const int rc = modbus_read_input_bits(ctx, address, count, bits.data());
    if (rc != count) return Unexpected(error_from_errno_locked(rc < 0 ? errno : EMBBADDATA, "read discrete inputs"));
    std::vector<bool> out;
    out.reserve(bits.size());
    for (const auto b : bits) out.push_back(b != 0);
    return out;
  });
}

ModbusResult<void> LibmodbusTransport::write_coil(int unit, int address, bool value) {
  using R = ModbusResult<void>;
  if (address < 0 || address > 0xFFFF) return Unexpected(invalid("address " + std::to_string(address)));
  return run(unit, [&](modbus_t* ctx) -> R {
    if (modbus_write_bit(ctx, address, value ? 1 : 0) != 1)
      return Unexpected(error_from_errno_locked(errno, "write coil"));
    return {};
  });
}

// --- TCP ---

LibmodbusTcpTransport::LibmodbusTcpTransport(TcpLink link, const ems::Clock* clock)
    : LibmodbusTransport(link.host + ":" + std::to_string(link.port), link.timing, clock), link_(std::move(link)) {}

LibmodbusTcpTransport::~LibmodbusTcpTransport() {
  disconnect();
}

_modbus* LibmodbusTcpTransport::make_context() {
  // modbus_new_tcp_pi resolves names ("station.local") as well as IPv4/IPv6 literals.
  const std::string port = std::to_string(link_.port);
  return modbus_new_tcp_pi(link_.host.c_str(), port.c_str());
}

// --- RTU ---

LibmodbusRtuTransport::LibmodbusRtuTransport(RtuLink link, const ems::Clock* clock)
    : LibmodbusTransport(link.device + "@" + std::to_string(link.baud) + " " + std::to_string(link.data_bits) +
                             std::string(1, link.parity) + std::to_string(link.stop_bits),
                         link.timing, clock),
      link_(std::move(link)) {}

LibmodbusRtuTransport::~LibmodbusRtuTransport() {
  disconnect();
}

_modbus* LibmodbusRtuTransport::make_context() {
  return modbus_new_rtu(link_.device.c_str(), link_.baud, link_.parity, link_.data_bits, link_.stop_bits);
}

}  // namespace emsgw::drivers
