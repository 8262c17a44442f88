#pragma once
// The control loop lives in gateway/control/; this header keeps the older include path working.
#include "gateway/control/control_loop.hpp"
