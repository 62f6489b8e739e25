#pragma once
// Virtual services and real servers, as configured (service_config) and as
// the workers see them (service_table, an immutable snapshot).
//
// Who writes, who reads: the control core builds a service_table with
// service_table::build() (it allocates; control path only) and publishes it
// to the workers (RCU / atomic pointer swap, lib/dataplane). Workers only
// read it; nothing in it changes after build(). Per-worker mutable state
// (rr/wrr positions, lc/wlc counts) lives in lb::scheduler_state, indexed by
// the stable slots below, so a rebuild costs the workers nothing.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "lb/types.hpp"
#include "net/types.hpp"

namespace vipgate::lb {

// keepalived's real_server block (keepalived-interop.md §3).
struct real_server_config {
    net::ipv4_addr address;
    std::uint16_t port = 0;   // 0: the virtual service's port
    std::uint32_t weight = 1; // 0..2^31-1; 0 = drain: keeps its flows, gets no new ones
    bool up = true;           // health-check verdict (inhibit_on_failure maps a
                              // failure to weight 0 or to up = false: control plane)
    // Set by service_table::build on the service's sorry_server only.
    bool sorry = false;
};

// keepalived's virtual_server block, NAT only, one VIP:port:protocol.
struct service_config {
    net::ipv4_addr vip;
    std::uint16_t port = 0; // 1..65535 (vport 0 / fwmark services are not supported)
    protocol proto = protocol::tcp;
    scheduler_kind scheduler = scheduler_kind::wlc; // keepalived's default lb_algo
    seconds persistence_timeout{0};                 // 0 = off; at most 31 days (keepalived)
    // persistence_granularity: a contiguous netmask; /32 by default.
    net::ipv4_addr persistence_netmask{255, 255, 255, 255};
    // sh / mh: hash the client port as well as the address (IPVS's sh-port /
    // mh-port scheduler flags). Ignored by the other schedulers.
    bool hash_port = false;
    std::vector<real_server_config> real_servers;
    // keepalived's sorry_server: gets the new flows while no real server is
    // eligible (all down or drained); never scheduled otherwise, never
    // health-checked (as in keepalived). Its endpoint is none of the real
    // servers'.
    std::optional<real_server_config> sorry_server;
};

struct table_limits {
    std::uint16_t max_services = 256;      // service slots
    std::uint16_t max_real_servers = 4096; // real-server slots over all services, < 65535
};

inline constexpr std::uint16_t no_slot = 0xffff;
inline constexpr std::uint32_t no_index = 0xffffffffu;

// One real server of one service in a snapshot.
struct real_server {
    net::ipv4_addr address;
    std::uint16_t port = 0;       // resolved: never 0
    std::uint16_t slot = no_slot; // stable while (service, address, port) stays configured
    std::uint32_t weight = 0;
    std::uint32_t service_index = 0; // into service_table::services()
    bool up = true;
    bool sorry = false; // the service's sorry_server: only when none is eligible

    // May be scheduled (IPVS: weight > 0 and not overloaded). The sorry
    // server never is: engine::pick() falls back to it.
    constexpr bool eligible() const noexcept { return up && weight > 0 && !sorry; }
};

// One virtual service in a snapshot.
struct service {
    net::ipv4_addr vip;
    std::uint16_t port = 0;
    protocol proto = protocol::tcp;
    scheduler_kind scheduler = scheduler_kind::wlc;
    bool hash_port = false;
    std::uint16_t slot = no_slot; // stable while (vip, port, proto) stays configured
    std::uint32_t index = 0;      // position in services()
    seconds persistence_timeout{0};
    std::uint32_t persistence_mask = 0xffffffffu; // host order

    std::uint32_t first_rs = 0;        // real servers: [first_rs, first_rs + rs_count)
    std::uint32_t rs_count = 0;        // the sorry server, if any, is the last of them
    std::uint32_t sorry_rs = no_index; // into all_real_servers(), or no_index
    std::uint32_t eligible_count = 0;

    // wrr (ip_vs_wrr.c): gcd of the eligible weights and the first current
    // weight of a round, max weight - (gcd - 1).
    std::uint32_t wrr_gcd = 1;
    std::uint32_t wrr_max = 0;

    // sh / mh lookup table (indices into this service's real servers).
    std::uint32_t lookup_offset = no_index;

    // Flow ownership (owner.hpp): the owner worker is given by the low bits
    // of the client port when owner_by_port, else by the low bits of the
    // client address's network part under owner_mask. Computed by build() per group of services
    // that share a real-server endpoint, so a reply from that endpoint finds the same owner
    // whichever of the services it belongs to.
    std::uint32_t owner_mask = 0xffffffffu;
    bool owner_by_port = true;

    constexpr bool persistent() const noexcept { return persistence_timeout.count() > 0; }
};

// sh: IPVS's default table size (CONFIG_IP_VS_SH_TAB_BITS = 8).
inline constexpr unsigned sh_table_bits = 8;
inline constexpr std::uint32_t sh_table_size = 1u << sh_table_bits;

class service_table {
  public:
    service_table() = default; // no services

    // Builds a snapshot of `configs`, which config::lb_rules::check_lb() has
    // accepted (ports 1..65535, tcp or udp, unique VIP:port/proto and real
    // servers per service, weights, persistence; debug builds assert them).
    // Slots of services and real servers that exist in `previous` (same
    // VIP:port:proto; same address and port within it) are kept; new ones
    // take free slots, preferring slots that `previous` did not use either,
    // so counters of a real server that just left are not inherited at once
    // by a newcomer. Fails only when the table is full: more services or
    // real servers than `limits` (draining ones count after a reload).
    static result<service_table> build(std::span<const service_config> configs,
                                       const table_limits& limits = {},
                                       const service_table* previous = nullptr);

    std::span<const service> services() const noexcept { return services_; }
    std::span<const real_server> all_real_servers() const noexcept { return real_servers_; }
    std::span<const real_server> real_servers(const service& s) const noexcept {
        return std::span<const real_server>(real_servers_).subspan(s.first_rs, s.rs_count);
    }
    const service& service_of(const real_server& rs) const noexcept {
        return services_[rs.service_index];
    }
    const table_limits& limits() const noexcept { return limits_; }

    // Fast path: the service for a packet to vip:port/proto, or nullptr.
    const service* find_service(net::ipv4_addr vip, std::uint16_t port,
                                protocol proto) const noexcept;
    // Fast path: a real server with this endpoint (when several services share
    // it, the first; they share the owner policy), or nullptr.
    const real_server* find_real_server(net::ipv4_addr addr, std::uint16_t port,
                                        protocol proto) const noexcept;
    // Fast path: the service holding `slot` in this snapshot, or nullptr.
    const service* service_by_slot(std::uint16_t slot) const noexcept {
        if (slot >= svc_by_slot_.size() || svc_by_slot_[slot] == no_index) {
            return nullptr;
        }
        return &services_[svc_by_slot_[slot]];
    }
    // Fast path: false when no service has the address `a` as its VIP (a
    // 64-bit filter over the VIPs; true may be a false positive). Lets a
    // packet to a client skip the service lookup.
    bool may_be_vip(net::ipv4_addr a) const noexcept {
        return ((vip_filter_ >> vip_filter_bit(a)) & 1u) != 0;
    }
    // Fast path: the service classify() gives a reply from `rs`'s endpoint:
    // that of find_real_server(rs's address, port, protocol), the first real
    // server with the endpoint (services sharing one share the owner policy,
    // not necessarily their VIP's state).
    const service& reply_service(const real_server& rs) const noexcept {
        const auto i = static_cast<std::size_t>(&rs - real_servers_.data());
        return services_[real_servers_[endpoint_first_[i]].service_index];
    }
    // Fast path: the real server holding `slot` in this snapshot, or nullptr.
    const real_server* real_server_by_slot(std::uint16_t slot) const noexcept {
        if (slot >= rs_by_slot_.size() || rs_by_slot_[slot] == no_index) {
            return nullptr;
        }
        return &real_servers_[rs_by_slot_[slot]];
    }
    // sh (sh_table_size entries) or mh (maglev_table_size) table of `s`;
    // empty for other schedulers.
    std::span<const std::uint16_t> lookup_table(const service& s) const noexcept;

  private:
    friend class service_table_builder; // build()'s phases (service_table.cpp)

    std::vector<service> services_;
    std::vector<real_server> real_servers_;
    std::vector<std::uint16_t> lookup_;         // sh and mh tables, back to back
    std::vector<std::uint32_t> rs_by_slot_;     // slot -> index in real_servers_
    std::vector<std::uint32_t> svc_by_slot_;    // slot -> index in services_
    std::vector<std::uint32_t> endpoint_first_; // real server -> find_real_server() of its endpoint
    std::uint64_t vip_filter_ = 0;              // bit vip_filter_bit(vip) of every VIP
    static constexpr unsigned vip_filter_bit(net::ipv4_addr a) noexcept {
        return static_cast<unsigned>((a.value * 0x9e3779b1u) >> 26);
    }
    // Open addressing (linear probing) over indices; sizes are powers of two
    // at least twice the number of keys.
    std::vector<std::uint32_t> svc_index_;
    std::vector<std::uint32_t> rs_index_;
    table_limits limits_{};
};

} // namespace vipgate::lb
