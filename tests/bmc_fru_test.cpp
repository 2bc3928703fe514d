// The BMC core's fru component (include/ipmikit/bmc/fru.hpp).
#include <doctest/doctest.h>

#include <ipmikit/bmc/fru.hpp>
