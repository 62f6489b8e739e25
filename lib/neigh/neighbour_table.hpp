#pragma once
// The neighbour (ARP) table of the control core. Pure: time is passed in,
// and the caller sends the ARP requests this table asks for. Control path
// only (allocation allowed); workers never read it directly.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/types.hpp"

namespace vipgate::neigh {

using usec = std::chrono::microseconds; // monotonic time since an arbitrary epoch

enum class state : std::uint8_t {
    incomplete, // resolving: requests sent, no answer yet
    reachable,  // learnt from ARP within reachable_time
    stale,      // reachable_time passed; still usable, re-confirmed on demand
    failed,     // resolution gave up after `retries` requests
    static_,    // from the config; never expires
};
const char* state_name(state s);

struct entry {
    net::ipv4_addr ip;
    net::mac_addr mac;
    std::uint16_t port = 0;
    state st = state::incomplete;
    usec updated{0};    // last learnt / confirmed
    usec next_probe{0}; // incomplete: when to send the next request
    std::uint32_t probes = 0;
    std::uint64_t updates = 0; // how often an ARP refreshed it
};

struct limits {
    std::uint32_t max_entries = 4096;
    usec reachable_time = std::chrono::seconds(300);
    usec retry_interval = std::chrono::seconds(1);
    std::uint32_t retries = 3;
    usec failed_hold = std::chrono::seconds(20); // how long a failed entry is remembered
};

// One ARP request the caller must send.
struct probe {
    std::uint16_t port;
    net::ipv4_addr target;
};

enum class learn_result : std::uint8_t {
    added,     // new entry
    updated,   // MAC changed
    refreshed, // same MAC, timer restarted
    ignored,   // static entry, or not in any of our subnets
    table_full,
};
const char* learn_result_name(learn_result r);

struct counters {
    std::uint64_t learnt = 0;
    std::uint64_t mac_changes = 0;
    std::uint64_t table_full = 0;
    std::uint64_t requests_sent = 0;
    std::uint64_t resolutions_failed = 0;
    std::uint64_t expired = 0;
};

class table {
  public:
    explicit table(limits l = {}) : limits_(l) {}

    // ARP seen on `port` (a reply or a gratuitous ARP) from ip -> mac.
    learn_result learn(std::uint16_t port, net::ipv4_addr ip, const net::mac_addr& mac, usec now);
    // Configured entry; replaces a learnt one.
    void add_static(std::uint16_t port, net::ipv4_addr ip, const net::mac_addr& mac);
    // Ask for `ip` to be resolved on `port`; the next tick() asks for a probe
    // at once. Returns false when the table is full.
    bool resolve(std::uint16_t port, net::ipv4_addr ip, usec now);
    // Advance time: returns the requests to send now; expires old entries.
    std::vector<probe> tick(usec now);
    // Earliest time tick() has something to do (for the caller's sleep).
    std::optional<usec> next_deadline() const;

    const entry* find(net::ipv4_addr ip) const;
    std::vector<entry> entries() const; // sorted by address
    std::size_t size() const { return entries_.size(); }
    bool remove(net::ipv4_addr ip);
    void clear_learnt();
    const counters& stats() const { return stats_; }
    const limits& settings() const { return limits_; }

  private:
    limits limits_;
    std::unordered_map<std::uint32_t, entry> entries_;
    counters stats_;
};

} // namespace vipgate::neigh
