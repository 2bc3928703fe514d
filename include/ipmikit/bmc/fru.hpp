// ipmikit/bmc/fru.hpp — the FRU inventory component (an image built from configured fields, Read/Write FRU Data within the area) with the System and Device GUIDs, and their commands.
#pragma once

#include "dispatcher.hpp"

namespace ipmikit::bmc {}  // namespace ipmikit::bmc
