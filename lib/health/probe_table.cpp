#include "health/probe_table.hpp"

#include "net/headers.hpp"

namespace vipgate::health {

const char* verdict_name(verdict v) noexcept {
    switch (v) {
    case verdict::matched:
        return "matched";
    case verdict::unknown:
        return "unknown";
    case verdict::stale:
        return "stale";
    case verdict::bad_ack:
        return "bad_ack";
    }
    return "?";
}

result<void> validate(const probe_table_config& cfg) {
    if (cfg.port_first == 0) {
        return make_error("probe port range must not include port 0");
    }
    if (cfg.port_first > cfg.port_last) {
        return make_error("probe port range is empty (first > last)");
    }
    return {};
}

net::tcp_spec syn_params::tcp_spec() const {
    net::tcp_spec t;
    t.src_port = src_port;
    t.dst_port = dst.port;
    t.seq = isn;
    t.ack = 0;
    t.flags = net::tcp_flag_syn;
    t.window = probe_syn_window;
    return t;
}

net::tcp_spec rst_answer::tcp_spec() const {
    net::tcp_spec t;
    t.src_port = src_port;
    t.dst_port = dst.port;
    t.seq = seq;
    t.ack = 0;
    t.flags = net::tcp_flag_rst;
    t.window = 0;
    return t;
}

probe_table::probe_table(const probe_table_config& cfg)
    : cfg_(cfg), slots_(std::size_t{cfg.port_last} - cfg.port_first + 1u),
      isn_state_(cfg.isn_seed) {}

// splitmix64: a full-period 64-bit sequence whose outputs are well mixed;
// the seed is the secret (see probe_table_config::isn_seed).
std::uint32_t probe_table::next_isn() {
    std::uint64_t z = (isn_state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return static_cast<std::uint32_t>(z >> 32);
}

std::optional<syn_params> probe_table::open(std::uint32_t owner, std::uint32_t probe_id,
                                            const endpoint& dst) {
    if (by_owner_.contains(owner)) {
        ++stats_.busy;
        return std::nullopt;
    }
    const std::size_t n = slots_.size();
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t index = (cursor_ + i) % n;
        slot& s = slots_[index];
        if (s.busy) {
            continue;
        }
        s = slot{true, false, owner, probe_id, dst, next_isn()};
        by_owner_.emplace(owner, index);
        cursor_ = (index + 1) % n;
        ++stats_.opened;
        return syn_params{dst, port_of(index), s.isn};
    }
    ++stats_.exhausted;
    return std::nullopt;
}

std::optional<syn_params> probe_table::pending(std::uint32_t owner) const {
    auto it = by_owner_.find(owner);
    if (it == by_owner_.end()) {
        return std::nullopt;
    }
    const slot& s = slots_[it->second];
    return syn_params{s.dst, port_of(it->second), s.isn};
}

void probe_table::free_slot(std::size_t index) {
    slot& s = slots_[index];
    by_owner_.erase(s.owner);
    s.busy = false;
    s.has_last = true; // keep dst and isn: a late answer is recognised as stale
}

bool probe_table::release(std::uint32_t owner) {
    auto it = by_owner_.find(owner);
    if (it == by_owner_.end()) {
        return false;
    }
    free_slot(it->second);
    ++stats_.released;
    return true;
}

match_result probe_table::match(const segment& seg) {
    match_result r;
    if (!in_range(seg.dst_port)) {
        ++stats_.unknown;
        return r;
    }
    const std::size_t index = std::size_t{seg.dst_port} - cfg_.port_first;
    slot& s = slots_[index];
    const endpoint from{seg.src_ip, seg.src_port};
    const bool ours = (s.busy || s.has_last) && s.dst == from;
    // Only SYN+ACK and RST+ACK answer a SYN. A RST without ACK is not
    // acceptable in SYN-SENT (RFC 9293 §3.10.7.3), a bare SYN would be a
    // simultaneous open, anything else belongs to no connection of ours.
    const bool has_ack = (seg.flags & net::tcp_flag_ack) != 0;
    const bool is_rst = (seg.flags & net::tcp_flag_rst) != 0;
    const bool is_syn = (seg.flags & net::tcp_flag_syn) != 0;
    if (!ours || !has_ack || (!is_rst && !is_syn)) {
        ++stats_.unknown;
        return r;
    }
    // A SYN+ACK we will not accept still opened a connection on the server;
    // reset it (§3.10.7.3: unacceptable ACK in SYN-SENT -> <SEQ=SEG.ACK><CTL=RST>).
    const auto reset_it = [&] {
        if (is_rst) {
            return;
        }
        r.rst = rst_answer{from, port_of(index), seg.ack};
        ++stats_.rsts;
    };
    if (!s.busy) {
        r.what = verdict::stale;
        ++stats_.stale;
        reset_it();
        return r;
    }
    if (seg.ack != s.isn + 1u) {
        r.what = verdict::bad_ack;
        ++stats_.bad_ack;
        reset_it();
        return r;
    }
    r.what = verdict::matched;
    r.owner = s.owner;
    r.probe_id = s.probe_id;
    if (is_rst) {
        r.result = outcome::refused;
        ++stats_.refused;
    } else {
        r.result = outcome::alive;
        ++stats_.alive;
        reset_it();
    }
    free_slot(index);
    return r;
}

} // namespace vipgate::health
