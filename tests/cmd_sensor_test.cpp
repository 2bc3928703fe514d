// Typed Sensor/Event commands (NetFn 04h): Get Sensor Reading, Get Sensor Thresholds, Platform Event Message (include/ipmikit/cmd/sensor.hpp).
#include <doctest/doctest.h>

#include <ipmikit/cmd/sensor.hpp>

#include "cmd_support.hpp"
