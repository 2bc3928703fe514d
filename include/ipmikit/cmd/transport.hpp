// ipmikit/cmd/transport.hpp — typed Transport commands (NetFn 0Ch): Get/Set LAN Configuration Parameters, Get/Set SOL Configuration Parameters.
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's.
#pragma once

#include "codec.hpp"

namespace ipmikit::cmd {}  // namespace ipmikit::cmd
