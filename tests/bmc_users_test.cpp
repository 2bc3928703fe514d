// The BMC core's users component (include/ipmikit/bmc/users.hpp) (stub: being written).
#include <doctest/doctest.h>

#include <ipmikit/bmc/users.hpp>
