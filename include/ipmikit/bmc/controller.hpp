// ipmikit/bmc/controller.hpp — the management controller: device identity, global enables, message flags, the event message buffer and attention (stub: being written).
#pragma once
