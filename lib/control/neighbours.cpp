#include "control/neighbours.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "net/builder.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"

namespace vipgate::control {

namespace {

neigh::limits neighbour_limits(const config::neighbour_config& n) {
    neigh::limits l;
    l.max_entries = n.max_entries;
    l.reachable_time = std::chrono::seconds(n.reachable_time_s);
    l.retry_interval = std::chrono::milliseconds(n.retry_interval_ms);
    l.retries = n.retries;
    return l;
}

bool usable(const neigh::entry* e) {
    return e != nullptr && (e->st == neigh::state::reachable || e->st == neigh::state::stale ||
                            e->st == neigh::state::static_);
}

} // namespace

neighbour_manager::neighbour_manager(shell& sh, const config::neighbour_config& cfg,
                                     control_counters& counters)
    : sh_(sh), counters_(counters), table_(neighbour_limits(cfg)) {}

void neighbour_manager::tick(usec now) {
    std::size_t before = table_.size();
    for (const auto& p : table_.tick(now)) {
        send_request(p.port, p.target);
    }
    if (table_.size() != before) {
        changed_ = true;
    }
}

void neighbour_manager::ensure(usec now, std::span<const net::ipv4_addr> ips) {
    for (auto ip : ips) {
        const auto* e = table_.find(ip);
        if (e != nullptr && (e->st == neigh::state::reachable || e->st == neigh::state::static_ ||
                             e->st == neigh::state::incomplete)) {
            continue;
        }
        auto r = resolve(now, ip);
        if (!r) {
            spdlog::debug("next hop {}: {}", ip.to_string(), r.message());
        }
    }
}

std::optional<net::mac_addr> neighbour_manager::mac_or_resolve(usec now, std::uint16_t port,
                                                               net::ipv4_addr ip) {
    if (const auto* e = table_.find(ip); usable(e)) {
        return e->mac;
    }
    table_.resolve(port, ip, now);
    return std::nullopt;
}

void neighbour_manager::on_notice(usec now, const notice_view& n) {
    ++counters_.notices;
    if (n.port >= sh_.ports().size()) {
        return;
    }
    if (n.resolve) {
        // A worker needs this next hop: resolve it (no-op while resolving).
        const auto* e = table_.find(n.ip);
        if (e == nullptr || e->st == neigh::state::failed || e->st == neigh::state::stale) {
            table_.resolve(n.port, n.ip, now);
        }
        return;
    }
    // Learnt from an ARP request for one of our addresses (RFC 826).
    if (!sh_.ports()[n.port].cfg.address.contains(n.ip)) {
        return;
    }
    auto r = table_.learn(n.port, n.ip, n.mac, now);
    if (r == neigh::learn_result::added || r == neigh::learn_result::updated) {
        changed_ = true;
    }
}

result<void> neighbour_manager::resolve(usec now, net::ipv4_addr ip) {
    for (std::uint16_t i = 0; i < sh_.ports().size(); ++i) {
        const auto& a = sh_.ports()[i].cfg.address;
        if (a.contains(ip)) {
            if (ip == a.addr) {
                return make_error(ip.to_string() + " is port " + sh_.ports()[i].name +
                                  "'s own address");
            }
            if (!table_.resolve(i, ip, now)) {
                return make_error("neighbour table full (" +
                                  std::to_string(table_.settings().max_entries) + " entries)");
            }
            return {};
        }
    }
    return make_error(ip.to_string() + " is in no port's subnet");
}

void neighbour_manager::on_arp(usec now, const punt_view& f) {
    ++counters_.arp_punts;
    std::span<const std::uint8_t> frame = f.frame;
    // The worker's parser (VLAN / 802.1ad tag included): the punted frame
    // passed it there, so a failure here means a corrupted punt.
    net::packet_meta meta;
    if (f.port >= sh_.ports().size() || net::parse(frame, meta) != net::drop_reason::none ||
        meta.ethertype != net::ethertype_arp) {
        ++counters_.arp_malformed;
        return;
    }
    const auto& port = sh_.ports()[f.port];
    const net::ipv4_addr spa = meta.src;
    const net::mac_addr sha = net::arp_cview(frame.subspan(meta.l3_offset, net::arp_len)).sha();

    // Someone else claiming one of our addresses is worth a (rate-limited) log.
    const auto& owned = sh_.current().ports()[f.port].owned;
    bool ours = std::any_of(owned.begin(), owned.end(), [&](const pipeline::owned_address& o) {
        return o.addr == spa && o.mac != sha;
    });
    if (ours) {
        ++counters_.arp_conflicts;
        static log_limiter lim(5, std::chrono::seconds(10));
        std::uint64_t skipped = 0;
        if (lim.allow(now, skipped)) {
            spdlog::warn("port {}: {} claims {}, an address this port owns ({} similar "
                         "messages suppressed)",
                         port.name, sha.to_string(), spa.to_string(), skipped);
        }
        return;
    }
    if (!port.cfg.address.contains(spa)) {
        ++counters_.arp_not_in_subnet;
        return;
    }
    auto r = table_.learn(f.port, spa, sha, now);
    if (r == neigh::learn_result::added || r == neigh::learn_result::updated) {
        changed_ = true;
    }
    if (r == neigh::learn_result::added) {
        spdlog::debug("neighbour {} is {} on port {}", spa.to_string(), sha.to_string(), port.name);
    } else if (r == neigh::learn_result::updated) {
        spdlog::info("neighbour {} moved to {} on port {}", spa.to_string(), sha.to_string(),
                     port.name);
    }
}

void neighbour_manager::send_request(std::uint16_t port, net::ipv4_addr target) {
    const auto& p = sh_.ports().at(port);
    std::array<std::uint8_t, net::eth_min_frame_len> out{};
    std::size_t n = net::build_arp_request(out, p.mac, p.cfg.address.addr, target);
    if (n == 0) {
        return;
    }
    // The whole minimum frame goes out (padding zeroed), as n <= 60.
    switch (sh_.send(port, out)) {
    case send_result::sent:
        ++counters_.arp_requests_sent;
        break;
    case send_result::no_buffer:
        ++counters_.control_tx_alloc_failed;
        break;
    case send_result::full:
        break;
    }
}

std::vector<arp_row> neighbour_manager::report(usec t) const {
    std::vector<arp_row> rows;
    for (const auto& e : table_.entries()) {
        arp_row r;
        r.address = e.ip;
        if (e.st != neigh::state::incomplete && e.st != neigh::state::failed) {
            r.mac = e.mac;
        }
        r.port = e.port < sh_.ports().size() ? sh_.ports()[e.port].name : std::string("?");
        r.state = e.st;
        if (e.st != neigh::state::static_) {
            r.age = std::chrono::duration_cast<std::chrono::seconds>(t - e.updated);
        }
        r.probes = e.probes;
        rows.push_back(std::move(r));
    }
    return rows;
}

named_counters neighbour_manager::stats() const {
    const auto& ns = table_.stats();
    return {
        {"entries", static_cast<std::uint64_t>(table_.size())},
        {"learnt", ns.learnt},
        {"mac_changes", ns.mac_changes},
        {"table_full", ns.table_full},
        {"requests_sent", ns.requests_sent},
        {"resolutions_failed", ns.resolutions_failed},
        {"expired", ns.expired},
    };
}

} // namespace vipgate::control
