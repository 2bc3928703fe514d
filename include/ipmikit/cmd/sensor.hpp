// ipmikit/cmd/sensor.hpp — typed Sensor/Event commands (NetFn 04h): Get Sensor Reading, Get Sensor Thresholds, Platform Event Message.
//
// The conventions (encode/parse/min_size/max_size, what the data bytes are) are codec.hpp's.
#pragma once

#include "codec.hpp"

namespace ipmikit::cmd {}  // namespace ipmikit::cmd
