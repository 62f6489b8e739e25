#include "lb/scheduler.hpp"

#include "lb/hash.hpp"
#include "lb/maglev.hpp"

namespace vipgate::lb {

result<scheduler_state> scheduler_state::create(const table_limits& limits,
                                                const allocator& alloc) {
    auto marks = fixed_array<sched_mark>::create(limits.max_services, alloc);
    auto counts = fixed_array<rs_counts>::create(limits.max_real_servers, alloc);
    if (!marks || !counts) {
        return make_error("scheduler state: out of memory");
    }
    scheduler_state s;
    s.marks_ = std::move(*marks);
    s.counts_ = std::move(*counts);
    return s;
}

namespace {

const rs_counts zero_counts{};

const rs_counts& counts_of(const scheduler_state& st, const real_server& r) noexcept {
    return r.slot < st.max_real_servers() ? st.counts(r.slot) : zero_counts;
}

// ip_vs_rr.c: the next eligible server after the last one picked.
std::uint32_t schedule_rr(std::span<const real_server> rs, sched_mark& m) noexcept {
    const auto n = static_cast<std::int64_t>(rs.size());
    std::int64_t last = m.index;
    if (last < -1 || last >= n) {
        last = -1;
    }
    for (std::int64_t k = 1; k <= n; ++k) {
        const std::int64_t i = (last + k) % n; // last = -1: 0 .. n-1
        if (rs[static_cast<std::size_t>(i)].eligible()) {
            m.index = static_cast<std::int32_t>(i);
            return static_cast<std::uint32_t>(i);
        }
    }
    return no_index;
}

// ip_vs_wrr.c ip_vs_wrr_schedule(), interleaved weighted round robin: walk
// the list; at each pass over the head lower the current weight cw by the
// gcd of the weights, back to mw = max - (gcd - 1) when it reaches 0; take the
// first eligible server whose weight is at least cw. Over one cycle every
// server is picked exactly weight/gcd times. The server(s) of maximal weight
// qualify at every cw, so a call visits at most 2n + 1 positions.
std::uint32_t schedule_wrr(const service& svc, std::span<const real_server> rs,
                           sched_mark& m) noexcept {
    if (svc.eligible_count == 0 || svc.wrr_max == 0) {
        return no_index;
    }
    const auto n = static_cast<std::int64_t>(rs.size());
    const std::int64_t mw = svc.wrr_max;
    const std::int64_t di = svc.wrr_gcd;
    std::int64_t i = m.index;
    std::int64_t cw = m.cw;
    // ip_vs_wrr_dest_changed(): a mark from another snapshot is pulled back
    // into range.
    if (i < -1 || i >= n) {
        i = -1;
    }
    if (cw > mw || cw <= 0) {
        cw = mw;
    }
    for (std::int64_t steps = 0; steps <= 2 * n + 1; ++steps) {
        ++i;
        if (i == n) { // passed the list head
            i = -1;
            cw -= di;
            if (cw <= 0) {
                cw = mw;
            }
            continue;
        }
        const auto& r = rs[static_cast<std::size_t>(i)];
        if (r.eligible() && static_cast<std::int64_t>(r.weight) >= cw) {
            m.index = static_cast<std::int32_t>(i);
            m.cw = cw;
            return static_cast<std::uint32_t>(i);
        }
    }
    return no_index; // unreachable while eligible_count > 0
}

// ip_vs_lc.c: least overhead, the first one on ties.
std::uint32_t schedule_lc(std::span<const real_server> rs, const scheduler_state& st) noexcept {
    std::uint32_t best = no_index;
    std::uint64_t best_oh = 0;
    for (std::uint32_t i = 0; i < rs.size(); ++i) {
        if (!rs[i].eligible()) {
            continue;
        }
        const std::uint64_t oh = conn_overhead(counts_of(st, rs[i]));
        if (best == no_index || oh < best_oh) {
            best = i;
            best_oh = oh;
        }
    }
    return best;
}

// ip_vs_wlc.c: least overhead / weight, compared as loh * dw > doh * lw so
// nothing is divided; the first one on ties. 128-bit products: overhead is up
// to 2^40, weight up to 2^31.
std::uint32_t schedule_wlc(std::span<const real_server> rs, const scheduler_state& st) noexcept {
    std::uint32_t best = no_index;
    unsigned __int128 loh = 0;
    for (std::uint32_t i = 0; i < rs.size(); ++i) {
        if (!rs[i].eligible()) {
            continue;
        }
        const unsigned __int128 doh = conn_overhead(counts_of(st, rs[i]));
        if (best == no_index || loh * rs[i].weight > doh * rs[best].weight) {
            best = i;
            loh = doh;
        }
    }
    return best;
}

std::uint32_t pick_from_table(std::span<const std::uint16_t> table, std::uint32_t slot,
                              std::span<const real_server> rs) noexcept {
    if (slot >= table.size()) {
        return no_index;
    }
    const std::uint16_t i = table[slot];
    if (i >= rs.size() || !rs[i].eligible()) {
        return no_index;
    }
    return i;
}

} // namespace

std::uint32_t schedule(const service_table& table, const service& svc, scheduler_state& state,
                       net::ipv4_addr client, std::uint16_t client_port) noexcept {
    const auto rs = table.real_servers(svc);
    if (svc.eligible_count == 0 || rs.empty()) {
        return no_index;
    }
    const std::uint16_t port = svc.hash_port ? client_port : 0;
    switch (svc.scheduler) {
    case scheduler_kind::rr:
        return svc.slot < state.max_services() ? schedule_rr(rs, state.mark(svc.slot)) : no_index;
    case scheduler_kind::wrr:
        return svc.slot < state.max_services() ? schedule_wrr(svc, rs, state.mark(svc.slot))
                                               : no_index;
    case scheduler_kind::lc:
        return schedule_lc(rs, state);
    case scheduler_kind::wlc:
        return schedule_wlc(rs, state);
    case scheduler_kind::sh:
        // ip_vs_sh_hashkey(): hash_32(port + address, 8); port is 0 unless sh-port.
        return pick_from_table(table.lookup_table(svc), hash_32(client.value + port, sh_table_bits),
                               rs);
    case scheduler_kind::mh:
        return pick_from_table(table.lookup_table(svc), maglev_slot(client, port), rs);
    }
    return no_index;
}

} // namespace vipgate::lb
