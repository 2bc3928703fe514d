// The BMC core's chassis component (include/ipmikit/bmc/chassis.hpp).
#include <doctest/doctest.h>

#include <ipmikit/bmc/chassis.hpp>
