// ipmikit/bmc/chassis.hpp — the chassis component: power state, restart cause, POH counter, system boot options (Ironic's sequence), and its commands.
#pragma once

#include "dispatcher.hpp"

namespace ipmikit::bmc {}  // namespace ipmikit::bmc
