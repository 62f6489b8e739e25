#pragma once
// Persistence templates (IPVS "persistent connection templates",
// ip_vs_sched_persist() in ip_vs_core.c): a service with persistence_timeout
// keeps a client on its real server across connections. The template is keyed
// by (client address & persistence_granularity, VIP, vport, protocol) and
// names the real server; every new flow of the client reuses it.
//
// Lifetime, as in IPVS: a template's timer restarts whenever a new flow uses
// it (ip_vs_conn_put()), and a template that still controls flows
// (n_control > 0) does not die when its timer runs out: it is re-armed for
// another persistence_timeout (ip_vs_conn_expire(), "expire_later"). So a
// client stays on its real server as long as it has a flow, and for
// persistence_timeout after its last new flow; then the next flow is
// scheduled afresh.
//
// Per worker, written and read by its worker only. Per-core tables work only
// because owner_worker() sends every flow of a persistent service's client
// (masked) to the same worker (owner.hpp).

#include <cstdint>

#include "common/result.hpp"
#include "lb/memory.hpp"
#include "lb/types.hpp"

namespace vipgate::lb {

inline constexpr std::uint32_t no_template = 0xffffffffu;

struct persist_key {
    std::uint32_t client = 0; // client address & granularity mask (host order)
    net::ipv4_addr vip;
    std::uint16_t vport = 0;
    protocol proto = protocol::tcp;
    friend constexpr bool operator==(const persist_key&, const persist_key&) = default;
};

// 40 bytes.
struct persist_entry {
    std::int64_t expires = 0; // ms since the clock's epoch (no wrap: timeouts reach 31 days)
    std::uint32_t client = 0;
    net::ipv4_addr vip;
    std::uint16_t vport = 0;
    protocol proto = protocol::tcp;
    std::uint8_t used = 0;
    std::uint16_t service_slot = 0;
    std::uint16_t rs_slot = 0;
    std::uint32_t timeout_s = 0; // persistence_timeout of the service when created
    std::uint32_t n_control = 0; // flows using this template
    std::uint32_t next = no_template;
};

struct persistence_stats {
    std::uint64_t created = 0;
    std::uint64_t expired = 0;
    std::uint64_t full = 0; // insert() refused: the flow is scheduled without persistence
};

class persistence_table {
  public:
    static result<persistence_table> create(std::uint32_t capacity, std::uint64_t seed,
                                            const allocator& alloc = default_allocator());

    persistence_table(persistence_table&&) noexcept = default;
    persistence_table& operator=(persistence_table&&) noexcept = default;

    // The live template for `k`, or no_template. An expired template that
    // controls no flow is removed; one that still does is re-armed.
    std::uint32_t find(const persist_key& k, time_point now) noexcept;

    // A new template (n_control 0) or no_template when full.
    std::uint32_t insert(const persist_key& k, std::uint16_t service_slot, std::uint16_t rs_slot,
                         seconds timeout, time_point now) noexcept;

    // Template `i` expires `remaining` from now (a peer's sync record).
    void set_remaining(std::uint32_t i, milliseconds remaining, time_point now) noexcept {
        entries_[i].expires = ms(now) + remaining.count();
    }
    // Time left before template `i` expires; one that controls flows is
    // re-armed for its whole timeout when it runs out (0: expired, free).
    milliseconds remaining(std::uint32_t i, time_point now) const noexcept {
        const auto& e = entries_[i];
        if (e.used == 0) {
            return milliseconds{0};
        }
        const std::int64_t left = e.expires - ms(now);
        if (left > 0) {
            return milliseconds{left};
        }
        return milliseconds{e.n_control > 0 ? std::int64_t{e.timeout_s} * 1000 : 0};
    }

    // A new flow uses template `i`: count it and restart the timer.
    void attach(std::uint32_t i, time_point now) noexcept;
    // A flow that used template `i` is gone. Static so the flow table's
    // release hook can call it with only the entry array (stable across moves
    // of this object) as context.
    static void detach(persist_entry* entries, std::uint32_t i) noexcept;

    // Clock sweep over at most `budget` entries (see flow_table::expire).
    std::uint32_t expire(time_point now, std::uint32_t budget) noexcept;

    persist_entry& at(std::uint32_t i) noexcept { return entries_[i]; }
    const persist_entry& at(std::uint32_t i) const noexcept { return entries_[i]; }
    persist_entry* entries() noexcept { return entries_.data(); }
    std::uint32_t size() const noexcept { return size_; }
    std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(entries_.size()); }
    std::size_t memory_bytes() const noexcept { return entries_.bytes() + heads_.bytes(); }
    const persistence_stats& stats() const noexcept { return stats_; }

  private:
    persistence_table() = default;
    std::uint32_t bucket(const persist_key& k) const noexcept;
    std::uint32_t find_index(const persist_key& k) const noexcept;
    // Expired and free of flows: remove. Expired with flows: re-arm. Returns
    // true when removed.
    bool age(std::uint32_t i, time_point now) noexcept;
    void remove(std::uint32_t i) noexcept;
    static std::int64_t ms(time_point t) noexcept { return t.time_since_epoch().count(); }

    fixed_array<persist_entry> entries_;
    fixed_array<std::uint32_t> heads_;
    std::uint32_t bucket_mask_ = 0;
    std::uint32_t free_head_ = no_template;
    std::uint32_t size_ = 0;
    std::uint32_t cursor_ = 0;
    std::uint64_t seed_ = 0;
    persistence_stats stats_;
};

} // namespace vipgate::lb
