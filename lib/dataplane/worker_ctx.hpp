#pragma once
// Private to lib/dataplane: one worker's context.

#include "dataplane/dataplane.hpp"

namespace vipgate::dataplane {

struct dataplane::worker_ctx {
    unsigned index = 0;       // worker number = RX/TX queue index on every port
    unsigned lcore = 0;       // EAL lcore it runs on
    dataplane* dp = nullptr;  // read-only for the worker except through rings
    rte_ring* punt = nullptr; // worker -> control (SP/SC)
    worker_stats stats;       // written by this worker only
};

} // namespace vipgate::dataplane
