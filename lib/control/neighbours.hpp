#pragma once
// Neighbour resolution on the control core: the ARP table (lib/neigh) fed by
// punted ARP frames and the workers' learn/resolve notices, the ARP requests
// it asks for, and `show arp`. Marks itself changed when the workers' view of
// the neighbours (the snapshot's next hops) must be rebuilt.
//
// Threads: control core only.

#include <cstdint>
#include <optional>
#include <span>

#include "common/json.hpp"
#include "common/result.hpp"
#include "config/config.hpp"
#include "control/counters.hpp"
#include "control/loop.hpp"
#include "control/reports.hpp"
#include "control/shell.hpp"
#include "neigh/neighbour_table.hpp"

namespace vipgate::control {

class neighbour_manager {
  public:
    neighbour_manager(shell& sh, const config::neighbour_config& cfg, control_counters& counters);

    neigh::table& table() { return table_; }
    const neigh::table& table() const { return table_; }

    // A punted ARP reply or gratuitous ARP (RFC 826): learn the sender.
    void on_arp(usec now, const punt_view& f);
    // A worker answered an ARP request (learn) or misses a next hop (resolve).
    void on_notice(usec now, const notice_view& n);
    // Retries and expiry: send the ARP requests that are due.
    void tick(usec now);

    // Resolve `ip` on the port whose subnet holds it.
    result<void> resolve(usec now, net::ipv4_addr ip);
    // Resolve each of `ips` that is neither known nor being resolved.
    void ensure(usec now, std::span<const net::ipv4_addr> ips);
    // The MAC of `ip` if usable; else start resolving it on `port`.
    std::optional<net::mac_addr> mac_or_resolve(usec now, std::uint16_t port, net::ipv4_addr ip);

    // Whether the table changed in a way the workers see since the last call.
    bool take_changed() {
        bool c = changed_;
        changed_ = false;
        return c;
    }

    std::vector<arp_row> report(usec now) const; // show arp: one row per entry
    named_counters stats() const;                // show stats: "neighbours"

  private:
    void send_request(std::uint16_t port, net::ipv4_addr target);

    shell& sh_;
    control_counters& counters_;
    neigh::table table_;
    bool changed_ = false;
};

} // namespace vipgate::control
