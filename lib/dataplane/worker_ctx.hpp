#pragma once
// Private to lib/dataplane: one worker's context.

#include "dataplane/dataplane.hpp"
#include "lb/engine.hpp"

#include <array>
#include <atomic>
#include <optional>

namespace vipgate::dataplane {

// A notice from a worker to the control core (16-byte ring element).
struct notice {
    enum kind_t : std::uint8_t { learn = 1, resolve = 2 } kind;
    std::uint8_t pad = 0;
    std::uint16_t port = 0;
    std::uint32_t ip = 0; // host order
    std::array<std::uint8_t, 6> mac{};
    std::uint16_t pad2 = 0;
};
static_assert(sizeof(notice) == 16);

struct dataplane::worker_ctx {
    unsigned index = 0;          // worker number = RX/TX queue index on every port
    unsigned lcore = 0;          // EAL lcore it runs on
    dataplane* dp = nullptr;     // read-only for the worker except through rings
    rte_ring* punt = nullptr;    // worker -> control (SP/SC)
    rte_ring* notices = nullptr; // worker -> control: learn/resolve (SP/SC, 16-byte elements)
    // handoff[w]: frames from worker w for this worker (SP: w, SC: this one).
    std::array<rte_ring*, max_workers> handoff{};
    std::optional<lb::engine> engine; // this worker's flows (written only by it)
    worker_stats stats;               // written by this worker only

    // `show flows`: the control core fills the request and sets dump_state
    // to 1; the worker copies matching flows and sets it to 2.
    std::atomic<int> dump_state{0};
    flow_dump_request dump_req;
    std::vector<flow_record> dump_out; // capacity reserved by the control core
};

} // namespace vipgate::dataplane
