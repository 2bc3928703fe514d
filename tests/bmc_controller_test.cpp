// The BMC core's controller component (include/ipmikit/bmc/controller.hpp) (stub: being written).
#include <doctest/doctest.h>

#include <ipmikit/bmc/controller.hpp>
