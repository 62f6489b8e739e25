#pragma once
// Which worker owns a flow (docs/design.md, "Both directions of a flow on one
// core").
//
// The owner is a function of the flow's client endpoint, which a packet
// carries in both directions: the source of a forward packet (client ->
// VIP), the destination of a reply (RS -> client), and inside the quote of an
// ICMP error. For a persistent service the client port must not matter
// (every connection of a client, masked by persistence_granularity, has to
// meet the same template table), so the owner hashes the masked client
// address only; otherwise it hashes (client address, client port, protocol).
// service::owner_mask / owner_by_port hold that policy; service_table::build()
// makes it the same for every service sharing a real-server endpoint, so a
// reply, which only names the real server, finds the same owner.
//
// The hash is fixed (no seed), identical on every worker and node.

#include <cstdint>
#include <optional>
#include <span>

#include "lb/service_table.hpp"
#include "lb/types.hpp"
#include "net/parse.hpp"

namespace vipgate::lb {

// The owner in [0, n_workers). n_workers >= 1.
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
