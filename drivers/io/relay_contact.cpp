#include "drivers/io/relay_contact.hpp"

namespace emsgw::drivers {

Result<RelayContactReading, std::string> RelayContact::read() {
  auto r = bus_.read_discrete_inputs(settings_.unit, settings_.discrete_input, 1);
  const auto where = "I/O module " + bus_.endpoint() + " unit " + std::to_string(settings_.unit) + " discrete input " +
                     std::to_string(settings_.discrete_input);
  if (!r) return Unexpected(where + ": " + r.error().describe());
  if (r->size() != 1) return Unexpected(where + ": reply without the input");
  RelayContactReading out;
  out.closed = r->front();
  out.dim = settings_.active_low ? !out.closed : out.closed;
  return out;
}

}  // namespace emsgw::drivers
