#pragma once
// NIC steering rules: what a NIC with rte_flow would get so that both
// directions of every flow arrive on its owner's RX queue (owner.hpp;
// docs/load-balancing.md, "The owner function and NIC steering").
//
// Pure (no rte_): lib/dataplane turns each rule into an rte_flow pattern
// (ETH / IPV4 / TCP or UDP, spec + mask) with a QUEUE action, and tests check
// the rules against owner_of() on packets.
//
// Worker w polls RX queue w of every port, so "queue q" is "worker q". The
// owner is the low bits of one header field (the client port, or the client
// address's network part for persistent services), which a mask rule can
// match only when the worker count n is a power of two: owner = key & (n-1),
// and queue q gets the packets whose key bits under n-1 equal q. For any
// other n there is no rule set (key % 3 is not a mask match): plan_steering()
// says so, and the dataplane keeps RSS + the hand-off rings.
//
// Rules, n per service and n per real-server endpoint:
//  * from clients (priority 0): dst = VIP, dst port = vport, proto; the low
//    bits of the source port (or of the source address's network part) = q;
//  * from real servers (priority 1): src = RS address, src port = RS port,
//    proto; the low bits of the destination port (the client's port: NAT
//    keeps it) or of the destination address (the client's) = q.
// Priority 0 wins, as classify() prefers a forward match. ICMP errors (the
// client endpoint is inside the quote) and non-load-balancer traffic match no
// rule: RSS and the hand-off still handle them.

#include <cstdint>
#include <string>
#include <vector>

#include "lb/service_table.hpp"
#include "lb/types.hpp"
#include "net/types.hpp"

namespace vipgate::lb {

// Value/mask pairs over the IPv4 and TCP/UDP headers, host order. A zero
// mask matches anything.
struct steer_match {
    std::uint8_t ip_proto = 0; // 6 or 17, always matched exactly
    std::uint32_t src = 0, src_mask = 0;
    std::uint32_t dst = 0, dst_mask = 0;
    std::uint16_t src_port = 0, src_port_mask = 0;
    std::uint16_t dst_port = 0, dst_port_mask = 0;

    bool operator==(const steer_match&) const = default;
};

enum class steer_direction : std::uint8_t {
    from_client,      // forward: client -> VIP:vport
    from_real_server, // reply: RS -> client
};

struct steer_rule {
    steer_match match;
    unsigned queue = 0;
    unsigned priority = 0; // 0 first (rte_flow_attr::priority)
    steer_direction direction = steer_direction::from_client;
};

struct steering_plan {
    bool expressible = false;      // false: RSS + hand-off (reason says why)
    std::string reason;            // why not, when !expressible
    std::vector<steer_rule> rules; // by priority, then service / endpoint order
};

// The rules for `table` with `n_workers` RX queues per port (n_workers >= 1).
// The same rules suit every port: a port sees clients, real servers or both.
// Control path (allocates).
steering_plan plan_steering(const service_table& table, unsigned n_workers);

// Whether a packet with these header fields (host order) matches `m`.
constexpr bool steer_matches(const steer_match& m, std::uint8_t ip_proto, net::ipv4_addr src,
                             std::uint16_t src_port, net::ipv4_addr dst,
                             std::uint16_t dst_port) noexcept {
    return ip_proto == m.ip_proto && (src.value & m.src_mask) == m.src &&
           (dst.value & m.dst_mask) == m.dst && (src_port & m.src_port_mask) == m.src_port &&
           (dst_port & m.dst_port_mask) == m.dst_port;
}

// The queue of the first rule (by priority, then order) a packet matches, or
// -1 when none does: what the NIC would do.
int steer_queue(const steering_plan& plan, std::uint8_t ip_proto, net::ipv4_addr src,
                std::uint16_t src_port, net::ipv4_addr dst, std::uint16_t dst_port) noexcept;

} // namespace vipgate::lb
