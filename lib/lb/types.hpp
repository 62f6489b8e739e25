#pragma once
// Vocabulary of the load-balancing core. Pure: no DPDK, no clock is read.

#include <chrono>
#include <cstdint>
#include <ratio>

#include "net/headers.hpp"
#include "net/types.hpp"

namespace vipgate::lb {

// A clock that is never read: every fast-path call takes `now`. Milliseconds
// since an arbitrary epoch (the DPDK shell derives it from the TSC, tests
// start at zero). IPVS runs its connection timers on jiffies; 1 ms is finer
// than any timeout here and lets a flow entry keep its deadline in 32 bits.
struct lb_clock {
    using rep = std::int64_t;
    using period = std::milli;
    using duration = std::chrono::milliseconds;
    using time_point = std::chrono::time_point<lb_clock>;
    static constexpr bool is_steady = true;
};
using time_point = lb_clock::time_point;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Transport protocols a virtual service can balance (values are the IPv4
// protocol numbers, RFC 790).
enum class protocol : std::uint8_t {
    tcp = net::ip_proto_tcp,
    udp = net::ip_proto_udp,
};

constexpr std::uint8_t to_ip_proto(protocol p) noexcept {
    return static_cast<std::uint8_t>(p);
}
constexpr bool is_lb_protocol(std::uint8_t ip_proto) noexcept {
    return ip_proto == net::ip_proto_tcp || ip_proto == net::ip_proto_udp;
}
const char* protocol_name(protocol p) noexcept; // "tcp" / "udp"

// keepalived's lb_algo names (check_parser.c), the IPVS schedulers vipgate has.
enum class scheduler_kind : std::uint8_t { rr, wrr, lc, wlc, sh, mh };
const char* scheduler_name(scheduler_kind k) noexcept;

// Which way a packet of a NAT flow travels.
//   forward: client -> VIP:vport, rewritten to client -> RS:port (IPVS "input")
//   reply:   RS:port -> client,   rewritten to VIP:vport -> client (IPVS "output")
enum class direction : std::uint8_t { forward, reply };

// A packet's own 5-tuple, exactly as it is on the wire.
struct flow_key {
    net::ipv4_addr src;
    net::ipv4_addr dst;
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    protocol proto = protocol::tcp;

    // The tuple of a packet going the other way.
    constexpr flow_key reversed() const noexcept { return {dst, src, dst_port, src_port, proto}; }
    friend constexpr bool operator==(const flow_key&, const flow_key&) = default;
};

// Per-worker connection counts of one real server, as IPVS keeps them in
// ip_vs_dest (activeconns / inactconns): a TCP flow is active while
// ESTABLISHED, inactive otherwise; a UDP flow is always active. lc and wlc
// read them. Written by the owning worker only; each worker has its own, so
// lc/wlc balance what each worker sees (see docs/load-balancing.md).
struct rs_counts {
    std::uint32_t active = 0;
    std::uint32_t inactive = 0;
};

} // namespace vipgate::lb
