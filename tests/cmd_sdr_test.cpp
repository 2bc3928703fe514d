// Typed the Sensor Data Record repository: SDR records and the SDR repository commands (Storage NetFn 0Ah) (include/ipmikit/cmd/sdr.hpp).
#include <doctest/doctest.h>

#include <ipmikit/cmd/sdr.hpp>

#include "cmd_support.hpp"
