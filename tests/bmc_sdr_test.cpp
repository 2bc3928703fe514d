// The BMC core's sdr component (include/ipmikit/bmc/sdr.hpp) (stub: being written).
#include <doctest/doctest.h>

#include <ipmikit/bmc/sdr.hpp>
