// Typed FRU inventory: the FRU information storage format and the FRU commands (Storage NetFn 0Ah) (include/ipmikit/cmd/fru.hpp).
#include <doctest/doctest.h>

#include <ipmikit/cmd/fru.hpp>

#include "cmd_support.hpp"
