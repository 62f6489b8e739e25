#include "lb/flow_table.hpp"

#include <bit>
#include <string>

#include "lb/hash.hpp"

namespace vipgate::lb {

result<flow_table> flow_table::create(const flow_table_config& cfg, const allocator& alloc) {
    if (cfg.capacity == 0 || cfg.capacity >= no_flow) {
        return make_error("flow table capacity must be between 1 and 4294967294, got " +
                          std::to_string(cfg.capacity));
    }
    if (auto ok = cfg.state_timeouts.validate(); !ok) {
        return ok.err();
    }
    // Twice the largest power of two <= capacity (load factor 0.5..1 when
    // full): a hit is then the first entry of its chain, the one the burst
    // look-ahead prefetches, about 79 % of the time instead of 63 %.
    const std::uint32_t buckets = cfg.capacity < (1u << 31) ? std::bit_floor(cfg.capacity) << 1
                                                            : std::bit_floor(cfg.capacity);
    auto flows = fixed_array<flow>::create(cfg.capacity, alloc);
    auto heads = fixed_array<std::uint32_t>::create(buckets, alloc);
    if (!flows || !heads) {
        return make_error("flow table: cannot allocate " +
                          std::to_string(std::size_t{cfg.capacity} * bytes_per_flow()) +
                          " bytes for " + std::to_string(cfg.capacity) + " flows");
    }
    flow_table t;
    t.flows_ = std::move(*flows);
    t.heads_ = std::move(*heads);
    t.bucket_mask_ = buckets - 1;
    t.seed_ = cfg.seed;
    for (std::uint32_t b = 0; b < buckets; ++b) {
        t.heads_[b] = no_flow;
    }
    // Free list through `next`, in index order.
    for (std::uint32_t i = 0; i < cfg.capacity; ++i) {
        t.flows_[i].next = i + 1 < cfg.capacity ? i + 1 : no_flow;
    }
    t.free_head_ = 0;
    for (std::size_t s = 0; s < flow_state_count; ++s) {
        t.timeout_ms_[s] = static_cast<std::uint32_t>(
            cfg.state_timeouts.for_state(static_cast<flow_state>(s)).count());
    }
    return t;
}

milliseconds flow_table::remaining(const flow& f, time_point now) const noexcept {
    return milliseconds{static_cast<std::int32_t>(f.expires - tick(now))};
}

flow* flow_table::find_forward(const flow_key& k, time_point now) noexcept {
    const forward_probe p = probe_forward(k);
    if (p.index == no_flow) {
        return nullptr;
    }
    if (expired(flows_[p.index], now)) {
        ++stats_.expired;
        remove_in(p.index, p.bucket);
        return nullptr;
    }
    return &flows_[p.index];
}

flow* flow_table::find_reverse(const flow_key& k, time_point now) noexcept {
    return find_reverse(probe_reverse(k), now);
}

insert_result flow_table::insert(const flow_spec& s, time_point now) noexcept {
    const forward_probe p = probe_forward({s.client, s.vip, s.client_port, s.vport, s.proto});
    if (p.index != no_flow && !expired(flows_[p.index], now)) {
        return {&flows_[p.index], insert_status::exists};
    }
    return insert_after_miss(s, p, now);
}

insert_result flow_table::insert_after_miss(const flow_spec& s, const forward_probe& probe,
                                            time_point now) noexcept {
    // The reverse key is in the same bucket (both keys hold the client
    // endpoint), whose chain the forward probe has just walked.
    const std::uint32_t reuse = probe.index;
    for (std::uint32_t i = heads_[probe.bucket]; i != no_flow;) {
        flow& f = flows_[i];
        const std::uint32_t next = f.next;
        if (i != reuse && f.rs == s.rs && f.client == s.client && f.rs_port == s.rs_port &&
            f.client_port == s.client_port && f.proto == s.proto) {
            if (!expired(f, now)) {
                return {&f, insert_status::reverse_in_use};
            }
            ++stats_.expired;
            remove_in(i, probe.bucket);
            break; // reverse keys are unique among entries
        }
        i = next;
    }
    if (reuse != no_flow) {
        // The forward key's expired entry: release its flow and write the
        // new one over it, in place on the same chain.
        flow& f = flows_[reuse];
        ++stats_.expired;
        ++stats_.taken_over;
        ++stats_.inserted;
        // One test of events_ on this path (a SYN flood takes it).
        if (events_ != nullptr) [[unlikely]] {
            announce_removal(f);
            release_quiet(f);
            fill(f, s, now);
            if (announced_state(s.proto, s.state)) {
                events_->push(event_of(f, flow_event_kind::add, now));
            }
        } else {
            release_quiet(f);
            fill(f, s, now);
        }
        return {&f, insert_status::ok};
    }
    if (free_head_ == no_flow) {
        // Reclaiming may unlink entries of this very chain; the new entry
        // goes to its head afterwards, so that is harmless.
        expire(now, reclaim_budget);
        if (free_head_ == no_flow) {
            ++stats_.insert_full;
            return {nullptr, insert_status::full};
        }
    }
    const std::uint32_t idx = free_head_;
    flow& f = flows_[idx];
    free_head_ = f.next;
    fill(f, s, now);
    f.next = heads_[probe.bucket];
    heads_[probe.bucket] = idx;
    ++size_;
    ++stats_.inserted;
    if (events_ != nullptr && announced_state(s.proto, s.state)) [[unlikely]] {
        events_->push(event_of(f, flow_event_kind::add, now));
    }
    return {&f, insert_status::ok};
}

void flow_table::fill(flow& f, const flow_spec& s, time_point now) noexcept {
    f.client = s.client;
    f.vip = s.vip;
    f.rs = s.rs;
    f.client_port = s.client_port;
    f.vport = s.vport;
    f.rs_port = s.rs_port;
    f.proto = s.proto;
    const bool inactive = s.proto == protocol::tcp && s.state != flow_state::established;
    f.bits = static_cast<std::uint8_t>(flow::flag_used | static_cast<std::uint8_t>(s.state) |
                                       (inactive ? flow::flag_inactive : 0));
    f.service_slot = s.service_slot;
    f.rs_slot = s.rs_slot;
    f.expires = tick(now) + timeout_ms_[static_cast<std::size_t>(s.state)];
    f.persist = s.persist;
    count(f, +1);
}

void flow_table::set_state(flow& f, flow_state s, time_point now) noexcept {
    // IPVS set_tcp_state(): a TCP flow is counted active only while
    // ESTABLISHED; UDP flows always are.
    const bool inactive = f.proto == protocol::tcp && s != flow_state::established;
    if (inactive != f.inactive()) {
        count(f, -1);
        f.bits = static_cast<std::uint8_t>(f.bits ^ flow::flag_inactive);
        count(f, +1);
    }
    f.bits = static_cast<std::uint8_t>((f.bits & ~(flow::state_mask | flow::flag_synced)) |
                                       static_cast<std::uint8_t>(s));
    f.expires = tick(now) + timeout_ms_[static_cast<std::size_t>(s)];
}

void flow_table::on_packet_slow(flow& f, direction dir, std::uint8_t tcp_flags,
                                time_point now) noexcept {
    const flow_state s =
        f.proto == protocol::tcp ? next_tcp_state(f.state(), dir, tcp_flags) : flow_state::udp;
    const std::uint8_t before = f.bits;
    set_state(f, s, now);
    if (events_ != nullptr) [[unlikely]] {
        // A peer's flow seeing a packet here: this node forwards it now
        // (it took the VIP over), so it announces it as its own.
        if ((before & flow::flag_synced) != 0) {
            events_->push(event_of(f, flow_event_kind::add, now));
        } else if (static_cast<flow_state>(before & flow::state_mask) != s && sync_state(s)) {
            events_->push(event_of(f, flow_event_kind::state_change, now));
        }
    }
}

flow_event flow_table::event_of(const flow& f, flow_event_kind kind,
                                time_point now) const noexcept {
    flow_event e;
    e.kind = kind;
    e.proto = f.proto;
    e.state = f.state();
    e.client = f.client;
    e.vip = f.vip;
    e.rs = f.rs;
    e.client_port = f.client_port;
    e.vport = f.vport;
    e.rs_port = f.rs_port;
    if (kind != flow_event_kind::remove) {
        const auto left = static_cast<std::int32_t>(f.expires - tick(now));
        e.timeout_ms = left > 0 ? static_cast<std::uint32_t>(left) : 0;
    }
    return e;
}

export_result flow_table::export_some(std::uint32_t& cursor, std::uint32_t max_entries,
                                      flow_event_buffer& out, time_point now) const noexcept {
    export_result r;
    const std::uint32_t cap = capacity();
    while (cursor < cap && r.examined < max_entries) {
        const flow& f = flows_[cursor];
        if (f.in_use() && !expired(f, now) && announced_state(f.proto, f.state())) {
            if (out.full()) {
                return r; // resume at this flow
            }
            flow_event e = event_of(f, flow_event_kind::add, now);
            if (f.synced()) {
                e.flags = flow_event::flag_copy;
            }
            out.push(e);
            ++r.emitted;
        }
        ++cursor;
        ++r.examined;
    }
    r.done = cursor >= cap;
    return r;
}

std::uint32_t flow_table::refresh_some(std::uint32_t& cursor, std::uint32_t max_entries,
                                       milliseconds window, flow_event_buffer& out,
                                       time_point now) const noexcept {
    const std::uint32_t cap = capacity();
    const auto w = static_cast<std::uint64_t>(window.count() > 0 ? window.count() : 0);
    const std::uint32_t n = max_entries < cap ? max_entries : cap;
    std::uint32_t examined = 0;
    for (; examined < n; ++examined) {
        if (cursor >= cap) {
            cursor = 0;
        }
        const flow& f = flows_[cursor];
        if (f.in_use() && !f.synced() && !expired(f, now) && announced_state(f.proto, f.state())) {
            const std::uint32_t t = timeout_ms_[f.bits & flow::state_mask];
            const auto left = static_cast<std::uint32_t>(f.expires - tick(now));
            if (t > w && left > t - w) {
                if (out.full()) {
                    return examined; // resume at this flow
                }
                out.push(event_of(f, flow_event_kind::refresh, now));
            }
        }
        ++cursor;
    }
    return examined;
}

void flow_table::remove_in(std::uint32_t idx, std::uint32_t bucket) noexcept {
    flow& f = flows_[idx];
    std::uint32_t* link = &heads_[bucket];
    while (*link != no_flow && *link != idx) {
        link = &flows_[*link].next;
    }
    if (*link == idx) {
        *link = f.next;
    }
    release(f);
    f.bits = 0;
    f.persist = no_flow;
    f.next = free_head_;
    free_head_ = idx;
    --size_;
}

void flow_table::erase(flow& f) noexcept {
    if (!f.in_use()) {
        return;
    }
    ++stats_.erased;
    remove(index_of(f));
}

expire_result flow_table::expire(time_point now, std::uint32_t budget) noexcept {
    expire_result r;
    const auto cap = capacity();
    r.examined = budget < cap ? budget : cap;
    // In groups: find the expired entries of the next few and prefetch their
    // bucket heads, then unlink them; the heads' cache misses overlap.
    constexpr std::uint32_t group = 16;
    std::array<std::uint32_t, group> idx;
    std::array<std::uint32_t, group> bucket;
    for (std::uint32_t done = 0; done < r.examined;) {
        const std::uint32_t n = r.examined - done < group ? r.examined - done : group;
        std::uint32_t found = 0;
        for (std::uint32_t k = 0; k < n; ++k) {
            const std::uint32_t i = cursor_;
            cursor_ = cursor_ + 1 == cap ? 0 : cursor_ + 1;
            if (flows_[i].in_use() && expired(flows_[i], now)) {
                idx[found] = i;
                bucket[found] = bucket_of(flows_[i]);
                __builtin_prefetch(&heads_[bucket[found]]);
                ++found;
            }
        }
        for (std::uint32_t k = 0; k < found; ++k) {
            ++stats_.expired;
            remove_in(idx[k], bucket[k]);
        }
        r.removed += found;
        done += n;
    }
    return r;
}

} // namespace vipgate::lb
