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
#include "vrrp/config.hpp"

namespace vipgate::pipeline {

// An address a port answers ARP and ICMP echo for, and the MAC it answers
// with: the port's own, or the VRRP virtual MAC 00:00:5e:00:01:VRID of an
// instance with use_vmac (RFC 5798 §7.3).
struct owned_address {
    net::ipv4_addr addr;
    net::mac_addr mac;
};

// Counter row for adverts that match no instance (unknown VRID).
inline constexpr std::uint8_t no_vrrp_slot = 0xff;

// One VRRP instance as the workers see it.
struct vrrp_view {
    std::uint8_t vrid = 0;
    std::uint8_t slot = no_vrrp_slot; // the instance's counter row (0..max instances-1)
    const vrrp::instance_config* cfg = nullptr; // normalized; decode() + check_advert()
};

// What one port looks like to a worker. Part of an immutable snapshot:
// written by the control core before publication, read-only for workers.
struct port_view {
    net::mac_addr mac;
    net::ipv4_addr address; // the port's primary address
    // The primary address first, then the VIPs of VRRP instances that are
    // MASTER here (with the MAC that answers for each).
    std::span<const owned_address> owned;
    // Virtual MACs of MASTER instances with use_vmac: accepted as L2
    // destination like the port's own MAC.
    std::span<const net::mac_addr> virtual_macs;
    // VRRP instances on this port, sorted by VRID.
    std::span<const vrrp_view> vrrp;
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
    // reason == vrrp_rejected: the vrrp::reject_reason and the instance's
    // counter row (no_vrrp_slot for an unknown VRID). punt == vrrp: the slot.
    std::uint8_t detail = 0;
    std::uint8_t slot = no_vrrp_slot;

    static constexpr verdict dropped(drop_reason r) noexcept {
        return {action::drop, r, punt_kind::none, 0, no_vrrp_slot};
    }
    static constexpr verdict replied() noexcept {
        return {action::reply, drop_reason::none, punt_kind::none, 0, no_vrrp_slot};
    }
    static constexpr verdict punted(punt_kind k, std::uint8_t slot = no_vrrp_slot) noexcept {
        return {action::punt, drop_reason::none, k, 0, slot};
    }
    static constexpr verdict vrrp_rejected(std::uint8_t reject, std::uint8_t slot) noexcept {
        return {action::drop, drop_reason::vrrp_rejected, punt_kind::none, reject, slot};
    }
};

// Classify one received frame and handle it. `frame` is the whole frame as
// received (it may carry Ethernet padding). On action::reply the frame has
// been rewritten in place and keeps its length.
verdict process(std::span<std::uint8_t> frame, std::uint16_t port, const context& ctx) noexcept;

} // namespace vipgate::pipeline
