// ipmikit/bmc/users.hpp — users and channels, LAN and SOL configuration parameters (stub: being written).
#pragma once
