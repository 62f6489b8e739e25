#pragma once
// The worker's per-packet logic as a pure function: a frame in, a verdict out
// (and possibly the frame rewritten in place). The DPDK shell
// (lib/dataplane/worker.cpp) only moves mbufs around this call, so every rule
// here is unit-tested and fuzzed on plain byte arrays.
//
// Fast path: noexcept, no allocation, no logging, no locks.

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/types.hpp"
#include "pipeline/drop_reason.hpp"

namespace vipgate::pipeline {

// What one port looks like to a worker. Part of an immutable snapshot:
// written by the control core before publication, read-only for workers.
struct port_view {
    net::mac_addr mac;
    net::ipv4_addr address; // the port's primary address
    // Addresses this port answers ARP and ICMP echo for: the primary address
    // first, then (later) the VIPs of VRRP instances that are MASTER here.
    std::span<const net::ipv4_addr> owned;
};

struct context {
    std::span<const port_view> ports; // indexed by vipgate's port index (config order)
};

enum class action : std::uint8_t {
    drop,  // count `reason`, free the frame
    reply, // frame was rewritten in place: transmit it on the port it came in on
    punt,  // hand the untouched frame to the control core (see punt_kind)
};

enum class punt_kind : std::uint8_t {
    none,
    arp,  // ARP reply or gratuitous ARP: feeds the neighbour table
    vrrp, // VRRP advertisement (validated by the worker first)
};

struct verdict {
    action act = action::drop;
    drop_reason reason = drop_reason::none; // meaningful when act == drop
    punt_kind punt = punt_kind::none;       // meaningful when act == punt

    static constexpr verdict dropped(drop_reason r) noexcept { return {action::drop, r, punt_kind::none}; }
    static constexpr verdict replied() noexcept { return {action::reply, drop_reason::none, punt_kind::none}; }
    static constexpr verdict punted(punt_kind k) noexcept { return {action::punt, drop_reason::none, k}; }
};

// Classify one received frame and handle it. `frame` is the whole frame as
// received (it may carry Ethernet padding). On action::reply the frame has
// been rewritten in place and keeps its length.
verdict process(std::span<std::uint8_t> frame, std::uint16_t port, const context& ctx) noexcept;

} // namespace vipgate::pipeline
