// ipmikit/bmc/sdr.hpp — the SDR repository and sensors (stub: being written).
#pragma once
