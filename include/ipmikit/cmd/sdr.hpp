// ipmikit/cmd/sdr.hpp — typed the Sensor Data Record repository: SDR records and the SDR repository commands (Storage NetFn 0Ah).
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's.
#pragma once

#include "codec.hpp"

namespace ipmikit::cmd {}  // namespace ipmikit::cmd
