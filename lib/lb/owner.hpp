#pragma once
// Which worker owns a flow (docs/architecture.md, "Both directions of a flow
// on one worker"; docs/load-balancing.md, "The owner function and NIC
// steering").
//
// The owner is a function of the flow's client endpoint, which a packet
// carries in both directions: the source of a forward packet (client ->
// VIP), the destination of a reply (RS -> client), and inside the quote of an
// ICMP error. It is chosen so that a NIC can compute it too
// (lb/steering.hpp, docs/load-balancing.md "The owner function and NIC
// steering"): it is the low bits of one field the NIC can match with a mask.
//
//  * Not persistent: the client port. owner = client_port & (n - 1) when the
//    worker count n is a power of two, client_port % n otherwise (still right
//    for the software hand-off, but no set of mask rules expresses it).
//    Client ports are ephemeral and spread (RFC 6056 randomises them; a
//    sequential allocator walks through the low bits), so the low bits
//    balance as well as a hash does. A crowd of clients that all use one
//    fixed source port (old DNS resolvers on 53, NTP on 123) lands on one
//    worker.
//  * Persistent (service::owner_by_port false): every connection of a client,
//    masked by persistence_granularity, has to meet the same template table,
//    so the port must not matter: the owner is the low bits of the masked
//    client address's network part, (client & owner_mask) >> host bits. A
//    reply keeps the client address as its destination after NAT, so a NIC
//    can match it too.
//
// service::owner_mask / owner_by_port hold that policy; service_table::build()
// makes it the same for every service sharing a real-server endpoint, so a
// reply, which only names the real server, finds the same owner. The
// protocol does not take part.
//
// The function is fixed (no seed), identical on every worker and node.

#include <bit>
#include <cstdint>
#include <optional>
#include <span>

#include "lb/service_table.hpp"
#include "lb/types.hpp"
#include "net/parse.hpp"

namespace vipgate::lb {

// How far the masked client address is shifted right before its low bits
// pick the owner of a persistent service: the host bits of owner_mask (32
// for a /0 mask: every client has the same owner).
constexpr unsigned owner_address_shift(std::uint32_t owner_mask) noexcept {
    return owner_mask == 0 ? 32u : static_cast<unsigned>(std::countr_zero(owner_mask));
}

// The field whose low bits pick the owner: the client port, or the masked
// client address shifted by owner_address_shift().
constexpr std::uint32_t owner_key(const service& svc, net::ipv4_addr client,
                                  std::uint16_t client_port) noexcept {
    if (svc.owner_by_port) {
        return client_port;
    }
    const unsigned shift = owner_address_shift(svc.owner_mask);
    return shift >= 32 ? 0u : (client.value & svc.owner_mask) >> shift;
}

constexpr bool is_power_of_two(unsigned n) noexcept {
    return n != 0 && (n & (n - 1)) == 0;
}

// The owner in [0, n_workers). n_workers >= 1. `proto` does not take part.
unsigned owner_worker(const service& svc, net::ipv4_addr client, std::uint16_t client_port,
                      protocol proto, unsigned n_workers) noexcept;

enum class packet_kind : std::uint8_t {
    none,       // not load-balancer traffic (no service, no real server)
    forward,    // TCP/UDP to a VIP:vport            -> engine::forward()
    reply,      // TCP/UDP from a real server        -> engine::reply()
    icmp_error, // ICMP error quoting either of them -> engine::icmp_error()
};

struct classification {
    packet_kind kind = packet_kind::none;
    const service* svc = nullptr; // the service (for reply: one sharing the RS endpoint)
    net::ipv4_addr client;
    std::uint16_t client_port = 0;
    protocol proto = protocol::tcp;
};

// Classifies a parsed frame against a snapshot: two hash probes at most for
// TCP/UDP, plus the quote parse for ICMP errors (checksum not verified here).
// A forward match wins over a reply match.
classification classify(const service_table& table, std::span<const std::uint8_t> frame,
                        const net::packet_meta& meta) noexcept;

inline unsigned owner_worker(const classification& c, unsigned n_workers) noexcept {
    return owner_worker(*c.svc, c.client, c.client_port, c.proto, n_workers);
}

// classify() then owner_worker(); nullopt for kind none.
std::optional<unsigned> owner_of(const service_table& table, std::span<const std::uint8_t> frame,
                                 const net::packet_meta& meta, unsigned n_workers) noexcept;

} // namespace vipgate::lb
