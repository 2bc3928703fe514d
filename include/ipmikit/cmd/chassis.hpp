// ipmikit/cmd/chassis.hpp — typed Chassis commands (NetFn 00h): status, control, restart cause, POH counter, system boot options.
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's.
#pragma once

#include "codec.hpp"

namespace ipmikit::cmd {}  // namespace ipmikit::cmd
