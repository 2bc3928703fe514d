// Typed Chassis commands (NetFn 00h): status, control, restart cause, POH counter, system boot options (include/ipmikit/cmd/chassis.hpp).
#include <doctest/doctest.h>

#include <ipmikit/cmd/chassis.hpp>

#include "cmd_support.hpp"
