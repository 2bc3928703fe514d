// Typed Transport commands (NetFn 0Ch): Get/Set LAN Configuration Parameters, Get/Set SOL Configuration Parameters (include/ipmikit/cmd/transport.hpp).
#include <doctest/doctest.h>

#include <ipmikit/cmd/transport.hpp>

#include "cmd_support.hpp"
