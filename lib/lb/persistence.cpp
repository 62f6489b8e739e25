#include "lb/persistence.hpp"

#include <bit>
#include <string>

#include "lb/hash.hpp"

namespace vipgate::lb {

result<persistence_table> persistence_table::create(std::uint32_t capacity, std::uint64_t seed,
                                                    const allocator& alloc) {
    if (capacity == 0 || capacity >= no_template) {
        return make_error("persistence table capacity must be between 1 and 4294967294");
    }
    const std::uint32_t buckets = std::bit_floor(capacity);
    auto entries = fixed_array<persist_entry>::create(capacity, alloc);
    auto heads = fixed_array<std::uint32_t>::create(buckets, alloc);
    if (!entries || !heads) {
        return make_error("persistence table: cannot allocate " + std::to_string(capacity) +
                          " templates");
    }
    persistence_table t;
    t.entries_ = std::move(*entries);
    t.heads_ = std::move(*heads);
    t.bucket_mask_ = buckets - 1;
    t.seed_ = seed;
    for (std::uint32_t b = 0; b < buckets; ++b) {
        t.heads_[b] = no_template;
    }
    for (std::uint32_t i = 0; i < capacity; ++i) {
        t.entries_[i].next = i + 1 < capacity ? i + 1 : no_template;
    }
    t.free_head_ = 0;
    return t;
}

std::uint32_t persistence_table::bucket(const persist_key& k) const noexcept {
    const std::uint64_t a = (std::uint64_t{k.client} << 32) | k.vip.value;
    const std::uint64_t b = (std::uint64_t{k.vport} << 8) | to_ip_proto(k.proto);
    return static_cast<std::uint32_t>(hash_words(a, b, seed_)) & bucket_mask_;
}

std::uint32_t persistence_table::find_index(const persist_key& k) const noexcept {
    for (std::uint32_t i = heads_[bucket(k)]; i != no_template; i = entries_[i].next) {
        const auto& e = entries_[i];
        if (e.client == k.client && e.vip == k.vip && e.vport == k.vport && e.proto == k.proto) {
            return i;
        }
    }
    return no_template;
}

bool persistence_table::age(std::uint32_t i, time_point now) noexcept {
    auto& e = entries_[i];
    if (ms(now) < e.expires) {
        return false;
    }
    if (e.n_control > 0) {
        e.expires = ms(now) + std::int64_t{e.timeout_s} * 1000;
        return false;
    }
    ++stats_.expired;
    remove(i);
    return true;
}

std::uint32_t persistence_table::find(const persist_key& k, time_point now) noexcept {
    const std::uint32_t i = find_index(k);
    if (i == no_template || age(i, now)) {
        return no_template;
    }
    return i;
}

std::uint32_t persistence_table::insert(const persist_key& k, std::uint16_t service_slot,
                                        std::uint16_t rs_slot, seconds timeout,
                                        time_point now) noexcept {
    if (std::uint32_t i = find_index(k); i != no_template && !age(i, now)) {
        auto& e = entries_[i]; // already there: re-point it
        e.rs_slot = rs_slot;
        e.service_slot = service_slot;
        return i;
    }
    if (free_head_ == no_template) {
        expire(now, 16);
        if (free_head_ == no_template) {
            ++stats_.full;
            return no_template;
        }
    }
    const std::uint32_t i = free_head_;
    auto& e = entries_[i];
    free_head_ = e.next;
    e.client = k.client;
    e.vip = k.vip;
    e.vport = k.vport;
    e.proto = k.proto;
    e.used = 1;
    e.service_slot = service_slot;
    e.rs_slot = rs_slot;
    e.timeout_s = static_cast<std::uint32_t>(timeout.count());
    e.n_control = 0;
    e.expires = ms(now) + std::int64_t{e.timeout_s} * 1000;
    const std::uint32_t b = bucket(k);
    e.next = heads_[b];
    heads_[b] = i;
    ++size_;
    ++stats_.created;
    return i;
}

void persistence_table::attach(std::uint32_t i, time_point now) noexcept {
    auto& e = entries_[i];
    ++e.n_control;
    e.expires = ms(now) + std::int64_t{e.timeout_s} * 1000;
}

void persistence_table::detach(persist_entry* entries, std::uint32_t i) noexcept {
    if (entries != nullptr && i != no_template && entries[i].n_control > 0) {
        --entries[i].n_control;
    }
}

void persistence_table::remove(std::uint32_t i) noexcept {
    auto& e = entries_[i];
    const persist_key k{e.client, e.vip, e.vport, e.proto};
    std::uint32_t* link = &heads_[bucket(k)];
    while (*link != no_template && *link != i) {
        link = &entries_[*link].next;
    }
    if (*link == i) {
        *link = e.next;
    }
    e.used = 0;
    e.next = free_head_;
    free_head_ = i;
    --size_;
}

std::uint32_t persistence_table::expire(time_point now, std::uint32_t budget) noexcept {
    const auto cap = capacity();
    const std::uint32_t n = budget < cap ? budget : cap;
    std::uint32_t removed = 0;
    for (std::uint32_t k = 0; k < n; ++k) {
        const std::uint32_t i = cursor_;
        cursor_ = cursor_ + 1 == cap ? 0 : cursor_ + 1;
        if (entries_[i].used != 0 && age(i, now)) {
            ++removed;
        }
    }
    return removed;
}

} // namespace vipgate::lb
