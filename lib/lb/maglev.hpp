#pragma once
// Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable
// Software Network Load Balancer", NSDI'16, §3.4, Pseudocode 1), with
// weights by multiplicity as IPVS's mh scheduler does (ip_vs_mh.c: each
// backend takes `turns` = weight / gcd (right-shifted so the largest is at
// most 64) consecutive picks per round).
//
// Built on the control core whenever the eligible set of a service changes;
// workers only index the finished table. The result depends only on the
// backends' (address, port, weight), not on their order in the configuration
// or on anything random: a backup with the same configuration builds the same
// table and so picks the same real server for a client (docs/design.md,
// "Failover that keeps connections").

#include <cstdint>
#include <span>
#include <vector>

#include "net/types.hpp"

namespace vipgate::lb {

// The lookup table size: prime (so every skip in [1, M-1] generates a full
// permutation, NSDI'16 §3.4) and the size Maglev and Katran use. With N
// backends each gets M/N +- 1 entries when weights are equal.
inline constexpr std::uint32_t maglev_table_size = 65537;
inline constexpr std::uint16_t maglev_empty = 0xffff;

struct maglev_backend {
    net::ipv4_addr address;
    std::uint16_t port = 0;
    std::uint32_t weight = 1; // 0: left out
};

// Fills `table` (maglev_table_size entries) with indices into `backends`, or
// maglev_empty everywhere when no backend has a weight. At most 65535
// backends.
void build_maglev_table(std::span<const maglev_backend> backends, std::span<std::uint16_t> table);

// The table slot of a client: a fixed hash of the client address (and port,
// when the service hashes ports: IPVS's mh-port flag).
std::uint32_t maglev_slot(net::ipv4_addr client, std::uint16_t client_port) noexcept;

} // namespace vipgate::lb
