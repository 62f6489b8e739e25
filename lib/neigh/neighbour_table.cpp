#include "neigh/neighbour_table.hpp"

#include <algorithm>

namespace vipgate::neigh {

const char* state_name(state s) {
    switch (s) {
    case state::incomplete:
        return "incomplete";
    case state::reachable:
        return "reachable";
    case state::stale:
        return "stale";
    case state::failed:
        return "failed";
    case state::static_:
        return "static";
    }
    return "?";
}

const char* learn_result_name(learn_result r) {
    switch (r) {
    case learn_result::added:
        return "added";
    case learn_result::updated:
        return "updated";
    case learn_result::refreshed:
        return "refreshed";
    case learn_result::ignored:
        return "ignored";
    case learn_result::table_full:
        return "table_full";
    }
    return "?";
}

learn_result table::learn(std::uint16_t port, net::ipv4_addr ip, const net::mac_addr& mac,
                          usec now) {
    if (mac.is_zero() || mac.is_multicast() || ip.value == 0) {
        return learn_result::ignored;
    }
    auto it = entries_.find(ip.value);
    if (it == entries_.end()) {
        if (entries_.size() >= limits_.max_entries) {
            ++stats_.table_full;
            return learn_result::table_full;
        }
        entry e;
        e.ip = ip;
        e.mac = mac;
        e.port = port;
        e.st = state::reachable;
        e.updated = now;
        e.updates = 1;
        entries_.emplace(ip.value, e);
        ++stats_.learnt;
        return learn_result::added;
    }
    entry& e = it->second;
    if (e.st == state::static_) {
        return learn_result::ignored;
    }
    bool changed =
        e.st != state::incomplete && e.st != state::failed && (e.mac != mac || e.port != port);
    bool was_unresolved = e.st == state::incomplete || e.st == state::failed;
    e.mac = mac;
    e.port = port;
    e.st = state::reachable;
    e.updated = now;
    e.probes = 0;
    ++e.updates;
    if (was_unresolved) {
        ++stats_.learnt;
        return learn_result::added;
    }
    if (changed) {
        ++stats_.mac_changes;
        return learn_result::updated;
    }
    return learn_result::refreshed;
}

void table::add_static(std::uint16_t port, net::ipv4_addr ip, const net::mac_addr& mac) {
    entry e;
    e.ip = ip;
    e.mac = mac;
    e.port = port;
    e.st = state::static_;
    entries_[ip.value] = e;
}

bool table::resolve(std::uint16_t port, net::ipv4_addr ip, usec now) {
    auto it = entries_.find(ip.value);
    if (it != entries_.end()) {
        entry& e = it->second;
        if (e.st == state::failed || (e.st == state::stale && e.probes == 0)) {
            // Start again: stale entries stay usable while being re-confirmed.
            if (e.st == state::failed) {
                e.st = state::incomplete;
            }
            e.port = port;
            e.probes = 0;
            e.next_probe = now;
        }
        return true;
    }
    if (entries_.size() >= limits_.max_entries) {
        ++stats_.table_full;
        return false;
    }
    entry e;
    e.ip = ip;
    e.port = port;
    e.st = state::incomplete;
    e.next_probe = now;
    e.updated = now;
    entries_.emplace(ip.value, e);
    return true;
}

std::vector<probe> table::tick(usec now) {
    std::vector<probe> out;
    for (auto it = entries_.begin(); it != entries_.end();) {
        entry& e = it->second;
        switch (e.st) {
        case state::incomplete:
        case state::stale:
            if (e.st == state::stale && e.probes == 0 && e.next_probe == usec{0}) {
                // Stale and nobody asked: keep it until it is needed again.
                if (now - e.updated >= limits_.reachable_time * 2) {
                    ++stats_.expired;
                    it = entries_.erase(it);
                    continue;
                }
                break;
            }
            if (now >= e.next_probe) {
                if (e.probes >= limits_.retries) {
                    if (e.st == state::incomplete) {
                        e.st = state::failed;
                        e.updated = now;
                        ++stats_.resolutions_failed;
                    } else {
                        ++stats_.expired;
                        it = entries_.erase(it);
                        continue;
                    }
                } else {
                    out.push_back({e.port, e.ip});
                    ++e.probes;
                    ++stats_.requests_sent;
                    e.next_probe = now + limits_.retry_interval;
                }
            }
            break;
        case state::reachable:
            if (now - e.updated >= limits_.reachable_time) {
                e.st = state::stale;
                e.probes = 0;
                e.next_probe = usec{0};
            }
            break;
        case state::failed:
            if (now - e.updated >= limits_.failed_hold) {
                it = entries_.erase(it);
                continue;
            }
            break;
        case state::static_:
            break;
        }
        ++it;
    }
    return out;
}

std::optional<usec> table::next_deadline() const {
    std::optional<usec> best;
    auto consider = [&](usec t) {
        if (!best || t < *best) {
            best = t;
        }
    };
    for (const auto& [k, e] : entries_) {
        switch (e.st) {
        case state::incomplete:
            consider(e.next_probe);
            break;
        case state::stale:
            if (e.next_probe != usec{0}) {
                consider(e.next_probe);
            } else {
                consider(e.updated + limits_.reachable_time * 2);
            }
            break;
        case state::reachable:
            consider(e.updated + limits_.reachable_time);
            break;
        case state::failed:
            consider(e.updated + limits_.failed_hold);
            break;
        case state::static_:
            break;
        }
    }
    return best;
}

const entry* table::find(net::ipv4_addr ip) const {
    auto it = entries_.find(ip.value);
    return it == entries_.end() ? nullptr : &it->second;
}

std::vector<entry> table::entries() const {
    std::vector<entry> out;
    out.reserve(entries_.size());
    for (const auto& [k, e] : entries_) {
        out.push_back(e);
    }
    std::sort(out.begin(), out.end(), [](const entry& a, const entry& b) { return a.ip < b.ip; });
    return out;
}

bool table::remove(net::ipv4_addr ip) {
    return entries_.erase(ip.value) != 0;
}

void table::clear_learnt() {
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->second.st != state::static_) {
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
}

} // namespace vipgate::neigh
