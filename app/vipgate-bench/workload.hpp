#pragma once
// Benchmark workloads: the lab topology every benchmark uses and the frames
// of each workload, built with lib/net's builders. Pure (no DPDK): the
// generator (vipgate-bench gen) writes these frames to pcap files for the
// packet-replay benchmark, and bench/pipeline_driver runs the same frames
// through pipeline::process() in memory (callgrind), so both measure the
// same packets.
//
// Topology (docs/benchmarks.md):
//
//   clients 198.18.0.0/15 (RFC 2544 benchmark range), behind the router
//   10.0.0.254 on ext0 (10.0.0.1/24); VIP 10.0.0.100, TCP port 80, held by a
//   VRRP instance on ext0 (priority 255: MASTER at once); real servers
//   172.16.0.11.. port 8080 on int0 (172.16.0.1/24). The router and the real
//   servers are static neighbours, so no ARP is needed.
//
// Flow i's client endpoint is (198.18.0.0 + (i mod 2^17), 1024 + i / 2^17):
// distinct for every i below max_flows, and spread over 131072 addresses so
// the address-only hashes (mh, owner) see many keys.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lb/service_table.hpp"
#include "net/types.hpp"

namespace vipgate::bench {

inline constexpr std::uint32_t client_addr_bits = 17;
inline constexpr std::uint32_t max_flows = (1u << client_addr_bits) * 64000u;

struct topology {
    // Port MACs: the frames' destinations. net_pcap vdevs take
    // 02:70:63:61:70:NN ("pcap" + the n-th pcap device created).
    net::mac_addr ext_mac{{0x02, 0x70, 0x63, 0x61, 0x70, 0x00}};
    net::mac_addr int_mac{{0x02, 0x70, 0x63, 0x61, 0x70, 0x00}};
    net::mac_addr seed_mac{{0x02, 0x70, 0x63, 0x61, 0x70, 0x01}};
    net::mac_addr router_mac{{0x02, 0x00, 0x0a, 0x00, 0x00, 0xfe}};
    net::ipv4_addr ext_addr{10, 0, 0, 1};
    std::uint8_t ext_prefix = 24;
    net::ipv4_addr router{10, 0, 0, 254};
    net::ipv4_addr int_addr{172, 16, 0, 1};
    std::uint8_t int_prefix = 24;
    net::ipv4_addr seed_addr{10, 1, 0, 1}; // the seeding port (reply workload)
    std::uint8_t seed_prefix = 24;
    net::ipv4_addr vip{10, 0, 0, 100};
    std::uint16_t vport = 80;
    net::ipv4_addr rs_first{172, 16, 0, 11};
    std::uint16_t rs_port = 8080;
    std::uint32_t real_servers = 8;
    lb::scheduler_kind scheduler = lb::scheduler_kind::mh;
    net::ipv4_addr client_base{198, 18, 0, 0};

    net::ipv4_addr rs_addr(std::uint32_t k) const noexcept {
        return net::ipv4_addr{rs_first.value + k};
    }
    net::mac_addr rs_mac(std::uint32_t k) const noexcept {
        return {{0x02, 0x00, 0xac, 0x10, 0x00, static_cast<std::uint8_t>(rs_addr(k).value & 0xff)}};
    }
    net::ipv4_addr client_addr(std::uint32_t flow) const noexcept {
        return net::ipv4_addr{client_base.value + (flow & ((1u << client_addr_bits) - 1))};
    }
    // Each client address starts its ports at a pseudo-random point (Knuth's
    // multiplicative hash of the address), as ephemeral ports do (RFC 6056):
    // the owner worker is the port's low bits (lb/owner.hpp), so the flows
    // spread over the workers, and independently of the flow index's parity
    // (the "spread" workloads split the flows by flow index). Still one port
    // per flow of an address: (flow >> client_addr_bits) + start, mod 64000.
    std::uint16_t client_port(std::uint32_t flow) const noexcept {
        const std::uint32_t addr = flow & ((1u << client_addr_bits) - 1);
        const std::uint32_t start = (addr * 2654435761u) >> 16;
        return static_cast<std::uint16_t>(1024u + ((flow >> client_addr_bits) + start) % 64000u);
    }
    // The virtual service as lib/lb sees it (what the YAML config says).
    std::vector<lb::service_config> services() const;
};

enum class kind : std::uint8_t {
    established, // client -> VIP, TCP ACK with payload (flows made by sloppy_tcp)
    reply,       // real server -> client, TCP ACK with payload
    syn,         // client -> VIP, a SYN (a new flow each, as long as flows are distinct)
    seed,        // client -> VIP ACKs on the seeding port (reply workload)
};
const char* kind_name(kind k) noexcept;
bool parse_kind(const std::string& s, kind& out) noexcept;

struct spec {
    kind what = kind::established;
    std::uint32_t flows = 1000;
    // On-the-wire frame size with the 4-byte FCS, as RFC 2544 counts it: the
    // pcap holds frame_size - 4 bytes (64 -> 60).
    std::uint32_t frame_size = 64;
    // Several workers: keep only the flows lb::owner_worker() gives to
    // `owner` of `workers` (owner < 0: every flow).
    unsigned workers = 1;
    int owner = -1;
    // Flows start at `first` (two disjoint halves of one flow set).
    std::uint32_t first = 0;
    // Keep flow i when (i % stride) == phase (stride 1: all).
    std::uint32_t stride = 1;
    std::uint32_t phase = 0;
};

// Calls fn(frame) for every frame of the workload, in file order. The span is
// only valid during the call. Returns an error text, or "" on success.
struct generator {
    topology topo;
    explicit generator(topology t);

    std::string run(const spec& s, void (*fn)(void* ctx, std::span<const std::uint8_t>),
                    void* ctx) const;
    std::vector<std::vector<std::uint8_t>> frames(const spec& s, std::string& err) const;

    // The real server (index into topo's list) mh/sh give flow i: what a
    // reply frame must come from. Needs a deterministic scheduler.
    std::uint32_t real_server_of(std::uint32_t flow) const noexcept;
    // lb::owner_worker() of flow i.
    unsigned owner_of(std::uint32_t flow, unsigned workers) const noexcept;

  private:
    lb::service_table table_;
};

} // namespace vipgate::bench
