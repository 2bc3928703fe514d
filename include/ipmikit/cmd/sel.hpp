// ipmikit/cmd/sel.hpp — typed the System Event Log: the 16-byte SEL record and the SEL commands (Storage NetFn 0Ah).
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's.
#pragma once

#include "codec.hpp"

namespace ipmikit::cmd {}  // namespace ipmikit::cmd
