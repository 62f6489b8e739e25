#pragma once
// The IPVS schedulers vipgate offers: rr, wrr, lc, wlc, sh, mh. Pure and per
// worker: each worker keeps its own rr/wrr position and its own lc/wlc
// counts (scheduler_state), so scheduling takes no lock. A scheduler only
// picks among eligible real servers (up, weight > 0); when there is none it
// returns no_index and the caller drops the packet with lb_no_real_server.

#include <cstdint>
#include <span>

#include "common/result.hpp"
#include "lb/memory.hpp"
#include "lb/service_table.hpp"
#include "lb/types.hpp"

namespace vipgate::lb {

// rr / wrr position of one service on one worker (ip_vs_wrr_mark without the
// per-service constants, which live in the snapshot).
struct sched_mark {
    std::int64_t cw = 0;     // wrr current weight; 0 = start a round
    std::int32_t index = -1; // last real server picked; -1 = the list head
};

// Per-worker mutable scheduling state, indexed by the snapshot's stable
// slots. Written and read by its worker only.
class scheduler_state {
  public:
    static result<scheduler_state> create(const table_limits& limits,
                                          const allocator& alloc = default_allocator());

    sched_mark& mark(std::uint16_t service_slot) noexcept { return marks_[service_slot]; }
    std::span<rs_counts> counts() const noexcept { return counts_.span(); }
    const rs_counts& counts(std::uint16_t rs_slot) const noexcept { return counts_[rs_slot]; }
    std::uint16_t max_services() const noexcept {
        return static_cast<std::uint16_t>(marks_.size());
    }
    std::uint16_t max_real_servers() const noexcept {
        return static_cast<std::uint16_t>(counts_.size());
    }

  private:
    fixed_array<sched_mark> marks_;
    fixed_array<rs_counts> counts_;
};

// Picks a real server of `svc` for a new flow from client:client_port.
// Returns an index into table.real_servers(svc), or no_index. `state` must
// have been created with limits at least table.limits().
std::uint32_t schedule(const service_table& table, const service& svc, scheduler_state& state,
                       net::ipv4_addr client, std::uint16_t client_port) noexcept;

// IPVS's connection overhead (ip_vs_dest_conn_overhead()): an active
// connection weighs 256 inactive ones.
constexpr std::uint64_t conn_overhead(const rs_counts& c) noexcept {
    return (std::uint64_t{c.active} << 8) + c.inactive;
}

} // namespace vipgate::lb
