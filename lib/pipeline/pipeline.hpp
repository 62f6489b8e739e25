#pragma once
// The worker's per-packet logic as a pure function: a frame in, a verdict out
// (and possibly the frame rewritten in place). The DPDK shell
// (lib/dataplane/worker.cpp) only moves mbufs around this call, so every rule
// here is unit-tested and fuzzed on plain byte arrays.
//
// Fast path: noexcept, no allocation, no logging, no locks.

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "lb/engine.hpp"
#include "lb/owner.hpp"
#include "lb/service_table.hpp"
#include "net/types.hpp"
#include "pipeline/drop_reason.hpp"
#include "vrrp/config.hpp"

#include <vector>

namespace vipgate::pipeline {

// An address a port answers ARP and ICMP echo for, and the MAC it answers
// with: the port's own, or the VRRP virtual MAC 00:00:5e:00:01:VRID of an
// instance with use_vmac (RFC 5798 §7.3).
struct owned_address {
    net::ipv4_addr addr;
    net::mac_addr mac;
};

// Counter row for adverts that match no instance (unknown VRID).
inline constexpr std::uint8_t no_vrrp_slot = 0xff;

// One VRRP instance as the workers see it.
struct vrrp_view {
    std::uint8_t vrid = 0;
    std::uint8_t slot = no_vrrp_slot;           // the instance's counter row (0..max instances-1)
    const vrrp::instance_config* cfg = nullptr; // normalized; decode() + check_advert()
};

// What one port looks like to a worker. Part of an immutable snapshot:
// written by the control core before publication, read-only for workers.
struct port_view {
    net::mac_addr mac;
    net::ipv4_addr address;       // the port's primary address
    std::uint8_t prefix_len = 32; // the port's subnet: address/prefix_len
    net::ipv4_addr gateway;       // next hop for off-link destinations; 0 = none
    // The primary address first, then the VIPs of VRRP instances that are
    // MASTER here (with the MAC that answers for each).
    std::span<const owned_address> owned;
    // Virtual MACs of MASTER instances with use_vmac: accepted as L2
    // destination like the port's own MAC.
    std::span<const net::mac_addr> virtual_macs;
    // VRRP instances on this port, sorted by VRID.
    std::span<const vrrp_view> vrrp;
};

// Where a neighbour is: its MAC and the port it was seen on.
struct next_hop {
    net::ipv4_addr ip;
    net::mac_addr mac;
    std::uint16_t port = 0;
};

// The neighbours the workers may send to: an immutable open-addressing hash
// built by the control core from its neighbour table (reachable, stale and
// static entries). Lookups are noexcept and allocation-free.
class neighbour_map {
  public:
    neighbour_map() = default;
    explicit neighbour_map(std::span<const next_hop> entries); // control path
    const next_hop* find(net::ipv4_addr ip) const noexcept {
        if (slots_.empty() || ip.value == 0) {
            return nullptr;
        }
        std::uint32_t i = (ip.value * 2654435761u) & mask_;
        // At most half full: a probe sequence always reaches an empty slot.
        while (slots_[i].ip.value != 0) {
            if (slots_[i].ip == ip) {
                return &slots_[i];
            }
            i = (i + 1) & mask_;
        }
        return nullptr;
    }
    std::size_t size() const noexcept { return count_; }

  private:
    std::vector<next_hop> slots_; // ip 0 = empty
    std::uint32_t mask_ = 0;
    std::size_t count_ = 0;
};

// The Ethernet rewrite toward one real server, worked out once per snapshot
// by build_rs_hops() with the very route() and neighbour-map lookup a
// packet would make, so a packet forwarded to that server needs neither.
struct rs_hop {
    net::ipv4_addr rs;   // the real server's address
    bool usable = false; // routed, and the next hop has a MAC
    std::uint16_t out_port = 0;
    net::mac_addr dst; // the next hop's MAC
    net::mac_addr src; // the out port's MAC
};

// Where flow-state sync (lib/sync, docs/ha.md) arrives: UDP to `udp_port`
// on the sync port, addressed to that port's own address (unicast peers) or
// to the multicast `group`. udp_port 0: sync off, nothing is punted as sync.
struct sync_endpoint {
    std::uint16_t port = 0; // vipgate port index
    net::ipv4_addr address; // the sync port's primary address
    net::ipv4_addr group;   // multicast group (may be 0 with unicast peers)
    std::uint16_t udp_port = 0;
    friend bool operator==(const sync_endpoint&, const sync_endpoint&) = default;
};

struct context;

// One entry per real-server slot of ctx.services (entries of free slots are
// not usable). Control path: allocates. Call once ctx is complete.
std::vector<rs_hop> build_rs_hops(const context& ctx);

// A 64-bit filter over the addresses of ctx.ports (each port's address and
// owned addresses): bit own_filter_bit(a) is set for each. Lets a packet
// whose addresses are none of ours skip the scans over the ports.
constexpr unsigned own_filter_bit(net::ipv4_addr a) noexcept {
    return static_cast<unsigned>((a.value * 0x9e3779b1u) >> 26);
}
std::uint64_t build_own_filter(const context& ctx) noexcept;

struct context {
    std::span<const port_view> ports; // indexed by vipgate's port index (config order)
    // Load balancing (absent: no virtual services).
    const lb::service_table* services = nullptr;
    // By service index: 1 when this gateway holds the service's VIP (its
    // VRRP instance is MASTER, or no instance manages it).
    std::span<const std::uint8_t> service_active;
    const neighbour_map* neighbours = nullptr;
    // build_rs_hops() of this context, by real-server slot; may be empty
    // (then every forwarded packet routes and looks up its neighbour).
    std::span<const rs_hop> rs_hops;
    // build_own_filter() of this context; all ones (the default): not
    // built, every packet scans the ports.
    std::uint64_t own_filter = ~std::uint64_t{0};
    // Flow-state sync datagrams to punt (udp_port 0: none).
    sync_endpoint sync;
    bool may_be_ours(net::ipv4_addr a) const noexcept {
        return ((own_filter >> own_filter_bit(a)) & 1u) != 0;
    }
};

// A worker's own mutable state, passed to process(). Not shared.
struct worker_state {
    lb::engine* engine = nullptr; // the worker's flow table and schedulers
    lb::time_point now{};         // once per burst
    unsigned worker = 0;          // this worker's index
    unsigned workers = 1;         // number of workers
    bool handed_off = false;      // the frame came from another worker: it is ours
};

enum class action : std::uint8_t {
    drop,    // count `reason`, free the frame
    reply,   // frame was rewritten in place: transmit it on the port it came in on
    punt,    // hand the untouched frame to the control core (see punt_kind)
    forward, // NAT'd and MACs set: transmit it on `out_port`
    handoff, // another worker owns this flow: pass the untouched frame to `worker`
};

enum class punt_kind : std::uint8_t {
    none,
    arp,   // ARP reply or gratuitous ARP: feeds the neighbour table
    vrrp,  // VRRP advertisement (validated by the worker first)
    probe, // TCP answer to a health-check probe (to the port address, probe port range)
    sync,  // flow-state sync datagram (context::sync): UDP on the sync port
};

// Health-check probes use these source ports on the port address; TCP
// segments back to them are punted to the control core.
inline constexpr std::uint16_t probe_port_first = 61000;
inline constexpr std::uint16_t probe_port_last = 61999;

// The sender of the received frame, as the pipeline parsed it, for the
// control core: the ARP learn tuple (its port is the arrival port,
// process()'s own `port`: passing it down the handlers would cost the fast
// path a register), the source of a rejected VRRP advert. Read it only
// where verdict::sender says it is set.
//
// A trivial type on purpose (no initializers): the factories below leave
// it unwritten. The MAC is three 16-bit words, not a std::array: with an
// array GCC 12 no longer keeps the verdict in registers where handle_lb()'s
// returns merge and copies it through a stack temporary instead (narrow
// stores then a wide load: a store-forwarding stall per forwarded packet).
// As it is, that merge writes two more words than before (checked in the
// disassembly of process_frame<true>).
struct frame_sender {
    std::uint32_t ip;                      // host order, as net::ipv4_addr::value
    std::uint16_t mac_hi, mac_mid, mac_lo; // ARP only: sender hardware address

    net::ipv4_addr address() const noexcept { return net::ipv4_addr(ip); }
    net::mac_addr hw() const noexcept {
        return net::mac_addr{
            {static_cast<std::uint8_t>(mac_hi >> 8), static_cast<std::uint8_t>(mac_hi),
             static_cast<std::uint8_t>(mac_mid >> 8), static_cast<std::uint8_t>(mac_mid),
             static_cast<std::uint8_t>(mac_lo >> 8), static_cast<std::uint8_t>(mac_lo)}};
    }
    void set_hw(const net::mac_addr& m) noexcept {
        mac_hi = static_cast<std::uint16_t>((m.bytes[0] << 8) | m.bytes[1]);
        mac_mid = static_cast<std::uint16_t>((m.bytes[2] << 8) | m.bytes[3]);
        mac_lo = static_cast<std::uint16_t>((m.bytes[4] << 8) | m.bytes[5]);
    }
};
static_assert(std::is_trivially_default_constructible_v<frame_sender>);

struct verdict {
    action act = action::drop;
    drop_reason reason = drop_reason::none; // meaningful when act == drop
    punt_kind punt = punt_kind::none;       // meaningful when act == punt
    // reason == vrrp_rejected: the vrrp::reject_reason and the instance's
    // counter row (no_vrrp_slot for an unknown VRID). punt == vrrp: the slot.
    std::uint8_t detail = 0;
    std::uint8_t slot = no_vrrp_slot;
    std::uint16_t out_port = 0;          // forward: the port to send on
    std::uint16_t worker = 0;            // handoff: the owner worker
    std::uint16_t rs_slot = lb::no_slot; // forward: the flow's real server (counters)
    // reply to an ARP request: the requester (`sender`) may be learnt
    // (RFC 826); no_neighbour: the next hop to resolve is `resolve` on
    // `out_port`.
    bool learn = false;
    bool new_flow = false; // forward: this packet created its flow
    net::ipv4_addr resolve;
    // Set (ip and mac) on a reply with `learn`: the ARP requester, from the
    // request's sender fields, seen on the port the frame came in on. Set
    // (ip) on drop(vrrp_rejected): the advert's IPv4 source. Otherwise unset
    // (see frame_sender).
    frame_sender sender;

    static constexpr verdict dropped(drop_reason r) noexcept {
        verdict v;
        v.reason = r;
        return v;
    }
    static constexpr verdict replied() noexcept {
        verdict v;
        v.act = action::reply;
        return v;
    }
    static constexpr verdict punted(punt_kind k, std::uint8_t slot = no_vrrp_slot) noexcept {
        verdict v;
        v.act = action::punt;
        v.punt = k;
        v.slot = slot;
        return v;
    }
    static constexpr verdict vrrp_rejected(std::uint8_t reject, std::uint8_t slot) noexcept {
        verdict v;
        v.reason = drop_reason::vrrp_rejected;
        v.detail = reject;
        v.slot = slot;
        return v;
    }
    static constexpr verdict forwarded(std::uint16_t port, std::uint16_t rs) noexcept {
        verdict v;
        v.act = action::forward;
        v.out_port = port;
        v.rs_slot = rs;
        return v;
    }
    static constexpr verdict handed_to(unsigned owner) noexcept {
        verdict v;
        v.act = action::handoff;
        v.worker = static_cast<std::uint16_t>(owner);
        return v;
    }
};

// Classify one received frame and handle it. `frame` is the whole frame as
// received (it may carry Ethernet padding). On action::reply the frame has
// been rewritten in place and keeps its length.
verdict process(std::span<std::uint8_t> frame, std::uint16_t port, const context& ctx,
                worker_state& ws) noexcept;

// A burst in stages (docs/architecture.md): look_ahead() on every frame
// (parse, hash the flow key, prefetch the bucket head), then prefetch_flow()
// on every frame (prefetch the chain's first entry), then process() with
// the lookahead, which reuses the parse and the hash; meanwhile the table's
// memory for later frames is on its way. Neither stage changes anything,
// and process() re-reads the chain, so earlier frames of the burst may add
// or remove flows. Same context and worker state for all three stages.
struct lookahead {
    net::packet_meta meta;     // when parsed
    std::uint32_t bucket = 0;  // the flow key's bucket in `table`
    bool parsed = false;       // net::parse_fast() accepted the frame
    std::uint8_t table = none; // which bucket
    static constexpr std::uint8_t none = 0, forward = 1, reverse = 2;
};
void look_ahead(std::span<const std::uint8_t> frame, const context& ctx, const worker_state& ws,
                lookahead& la) noexcept;
void prefetch_flow(const worker_state& ws, const lookahead& la) noexcept;
verdict process(std::span<std::uint8_t> frame, std::uint16_t port, const context& ctx,
                worker_state& ws, const lookahead& la) noexcept;
// Without load balancing (tests of the L2/L3 rules).
verdict process(std::span<std::uint8_t> frame, std::uint16_t port, const context& ctx) noexcept;

} // namespace vipgate::pipeline
