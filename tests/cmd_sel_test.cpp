// Typed the System Event Log: the 16-byte SEL record and the SEL commands (Storage NetFn 0Ah) (include/ipmikit/cmd/sel.hpp).
#include <doctest/doctest.h>

#include <ipmikit/cmd/sel.hpp>

#include "cmd_support.hpp"
