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
    const std::uint32_t buckets = std::bit_floor(cfg.capacity);
    auto flows = fixed_array<flow>::create(cfg.capacity, alloc);
    auto fwd = fixed_array<std::uint32_t>::create(buckets, alloc);
    auto rev = fixed_array<std::uint32_t>::create(buckets, alloc);
    if (!flows || !fwd || !rev) {
        return make_error("flow table: cannot allocate " +
                          std::to_string(std::size_t{cfg.capacity} * bytes_per_flow()) +
                          " bytes for " + std::to_string(cfg.capacity) + " flows");
    }
    flow_table t;
    t.flows_ = std::move(*flows);
    t.fwd_heads_ = std::move(*fwd);
    t.rev_heads_ = std::move(*rev);
    t.bucket_mask_ = buckets - 1;
    t.seed_ = cfg.seed;
    for (std::uint32_t b = 0; b < buckets; ++b) {
        t.fwd_heads_[b] = no_flow;
        t.rev_heads_[b] = no_flow;
    }
    // Free list through next_fwd, in index order.
    for (std::uint32_t i = 0; i < cfg.capacity; ++i) {
        t.flows_[i].next_fwd = i + 1 < cfg.capacity ? i + 1 : no_flow;
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
    const std::uint32_t i = find_fwd_index(k.src, k.src_port, k.dst, k.dst_port, k.proto);
    if (i == no_flow) {
        return nullptr;
    }
    if (expired(flows_[i], now)) {
        ++stats_.expired;
        remove(i);
        return nullptr;
    }
    return &flows_[i];
}

void flow_table::remove_expired(const forward_probe& probe) noexcept {
    ++stats_.expired;
    remove_in(probe.index, probe.bucket);
}

flow* flow_table::find_reverse(const flow_key& k, time_point now) noexcept {
    const std::uint32_t i = find_rev_index(k.src, k.src_port, k.dst, k.dst_port, k.proto);
    if (i == no_flow) {
        return nullptr;
    }
    if (expired(flows_[i], now)) {
        ++stats_.expired;
        remove(i);
        return nullptr;
    }
    return &flows_[i];
}

insert_result flow_table::insert(const flow_spec& s, time_point now) noexcept {
    if (std::uint32_t i = find_fwd_index(s.client, s.client_port, s.vip, s.vport, s.proto);
        i != no_flow) {
        if (!expired(flows_[i], now)) {
            return {&flows_[i], insert_status::exists};
        }
        ++stats_.expired;
        remove(i);
    }
    if (std::uint32_t i = find_rev_index(s.rs, s.rs_port, s.client, s.client_port, s.proto);
        i != no_flow) {
        if (!expired(flows_[i], now)) {
            return {&flows_[i], insert_status::reverse_in_use};
        }
        ++stats_.expired;
        remove(i);
    }
    return link_new(s, fwd_bucket(s.client, s.client_port, s.vip, s.vport, s.proto),
                    rev_bucket(s.rs, s.rs_port, s.client, s.client_port, s.proto), now);
}

insert_result flow_table::insert_after_miss(const flow_spec& s, const forward_probe& probe,
                                            time_point now) noexcept {
    const std::uint32_t rb = rev_bucket(s.rs, s.rs_port, s.client, s.client_port, s.proto);
    for (std::uint32_t i = rev_heads_[rb]; i != no_flow; i = flows_[i].next_rev) {
        const flow& f = flows_[i];
        if (f.rs == s.rs && f.client == s.client && f.rs_port == s.rs_port &&
            f.client_port == s.client_port && f.proto == s.proto) {
            if (!expired(f, now)) {
                return {&flows_[i], insert_status::reverse_in_use};
            }
            ++stats_.expired;
            remove(i);
            break;
        }
    }
    return link_new(s, probe.bucket, rb, now);
}

insert_result flow_table::link_new(const flow_spec& s, std::uint32_t fb, std::uint32_t rb,
                                   time_point now) noexcept {
    if (free_head_ == no_flow) {
        expire(now, reclaim_budget);
        if (free_head_ == no_flow) {
            ++stats_.insert_full;
            return {nullptr, insert_status::full};
        }
    }
    const std::uint32_t idx = free_head_;
    flow& f = flows_[idx];
    free_head_ = f.next_fwd;

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

    f.next_fwd = fwd_heads_[fb];
    fwd_heads_[fb] = idx;
    f.next_rev = rev_heads_[rb];
    rev_heads_[rb] = idx;

    count(f, +1);
    ++size_;
    ++stats_.inserted;
    return {&f, insert_status::ok};
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
    f.bits = static_cast<std::uint8_t>((f.bits & ~flow::state_mask) | static_cast<std::uint8_t>(s));
    f.expires = tick(now) + timeout_ms_[static_cast<std::size_t>(s)];
}

void flow_table::on_packet_slow(flow& f, direction dir, std::uint8_t tcp_flags,
                                time_point now) noexcept {
    const flow_state s =
        f.proto == protocol::tcp ? next_tcp_state(f.state(), dir, tcp_flags) : flow_state::udp;
    set_state(f, s, now);
}

void flow_table::remove(std::uint32_t idx) noexcept {
    const flow& f = flows_[idx];
    remove_in(idx, fwd_bucket(f.client, f.client_port, f.vip, f.vport, f.proto));
}

void flow_table::remove_in(std::uint32_t idx, std::uint32_t fb) noexcept {
    flow& f = flows_[idx];
    std::uint32_t* link = &fwd_heads_[fb];
    while (*link != no_flow && *link != idx) {
        link = &flows_[*link].next_fwd;
    }
    if (*link == idx) {
        *link = f.next_fwd;
    }
    link = &rev_heads_[rev_bucket(f.rs, f.rs_port, f.client, f.client_port, f.proto)];
    while (*link != no_flow && *link != idx) {
        link = &flows_[*link].next_rev;
    }
    if (*link == idx) {
        *link = f.next_rev;
    }
    count(f, -1);
    if (release_ != nullptr) {
        release_(release_ctx_, f);
    }
    f.bits = 0;
    f.persist = no_flow;
    f.next_rev = no_flow;
    f.next_fwd = free_head_;
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
    for (std::uint32_t k = 0; k < r.examined; ++k) {
        const std::uint32_t i = cursor_;
        cursor_ = cursor_ + 1 == cap ? 0 : cursor_ + 1;
        if (flows_[i].in_use() && expired(flows_[i], now)) {
            ++stats_.expired;
            remove(i);
            ++r.removed;
        }
    }
    return r;
}

} // namespace vipgate::lb
