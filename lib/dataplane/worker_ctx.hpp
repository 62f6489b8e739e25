#pragma once
// Private to lib/dataplane: one worker's context.

#include <rte_mbuf.h>

#include "dataplane/dataplane.hpp"
#include "dataplane/frame_tag.hpp"
#include "lb/engine.hpp"

#include <array>
#include <atomic>
#include <optional>

namespace vipgate::dataplane {

// The frame_tag of a frame on a punt or hand-off ring (frame_tag.hpp).
inline void set_tag(rte_mbuf* m, const frame_tag& t) noexcept {
    m->hash.usr = pack(t);
}
inline frame_tag tag_of(const rte_mbuf* m) noexcept {
    return unpack(m->hash.usr);
}

// `show flows`: one request at a time per worker, as the phase in
// worker_ctx::dump_state. Each transition has one writer:
//   idle      -> requested  control core: dump_req filled, dump_out cleared
//   requested -> copying    worker (compare-exchange): it took the request
//   copying   -> done       worker: dump_out filled
//   requested -> idle       control core (compare-exchange): withdrawn, the
//                           worker did not take it in time
//   done      -> idle       control core: dump_out read
// The control core never touches dump_req / dump_out while the worker is
// copying, so they need no lock.
enum class dump_phase : int { idle, requested, copying, done };

// Bulk export of a worker's tables for a peer's resync (docs/ha.md). Each
// transition has one writer:
//   idle/running/done -> requested  control core: start (or restart) a walk
//   requested -> running            worker (compare-exchange): cursor reset
//   running   -> done               worker (compare-exchange, so a new
//                                   request in between is not lost)
// The cursor is the worker's alone.
enum class export_phase : int { idle, requested, running, done };

// Events one worker loop may produce (bursts, expiry, refresh sweep): the
// engine's buffer is drained into the event ring after each of them.
inline constexpr std::size_t sync_buffer_events = 4096;
// Export records per loop step (and so per ring enqueue).
inline constexpr std::size_t export_step_events = 256;

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

    // `show flows` (see dump_phase for who moves it when).
    std::atomic<dump_phase> dump_state{dump_phase::idle};
    flow_dump_request dump_req;
    std::vector<flow_record> dump_out; // capacity reserved by the control core

    // Flow-state sync (only with a `sync:` section; rings null otherwise).
    rte_ring* sync_events = nullptr;          // worker -> control: lb::flow_event (SP/SC)
    rte_ring* sync_installs = nullptr;        // control -> worker: lb::flow_event (SP/SC)
    rte_ring* sync_export = nullptr;          // worker -> control: export records (SP/SC)
    std::vector<lb::flow_event> sync_storage; // the engine's event buffer, sized at create
    lb::flow_event_buffer sync_buf;
    std::atomic<export_phase> export_state{export_phase::idle};
    lb::export_cursor export_cursor; // worker only
};

} // namespace vipgate::dataplane
