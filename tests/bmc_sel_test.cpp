// The BMC core's sel component (include/ipmikit/bmc/sel.hpp).
#include <doctest/doctest.h>

#include <ipmikit/bmc/sel.hpp>
