// ipmikit/ipmikit.hpp — umbrella header: everything in ipmikit.
#pragma once

#include "version.hpp"
#include "checksum.hpp"
#include "message.hpp"
#include "vm/decoder.hpp"
#include "vm/encoder.hpp"
#include "vm/protocol.hpp"
#include "vm/session.hpp"
#include "si/interface.hpp"
#include "si/bridge.hpp"
#include "kcs/device.hpp"
#include "kcs/host.hpp"
#include "kcs/registers.hpp"
#include "bt/device.hpp"
#include "bt/host.hpp"
#include "bt/registers.hpp"
