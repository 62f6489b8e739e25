#pragma once
// The snapshot the workers read, and the one way to make it.
//
// A snapshot owns everything its pipeline::context points to (port views,
// owned addresses, virtual MACs, VRRP views and the instance configs they
// point to, the service table, the neighbour map, the precomputed rewrites
// toward real servers), so the context is complete by construction:
// snapshot_builder::build() fills the storage, points the views at it and
// derives rs_hops (build_rs_hops) and own_filter (build_own_filter).
//
// Threads (docs/architecture.md): the control core builds a snapshot and
// hands it to the DPDK shell, which publishes it (atomic pointer swap, freed
// after an RCU grace period); the workers only read ctx(). The dataplane,
// the control plane, the unit tests, the benchmarks and the pipeline fuzzer
// all build it here, so what is tested and fuzzed is what the workers run.
//
// Control path: allocates. Pure: no DPDK.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "lb/service_table.hpp"
#include "net/types.hpp"
#include "pipeline/pipeline.hpp"
#include "vrrp/config.hpp"

namespace vipgate::pipeline {

// Immutable once built. Neither copied nor moved: the views of ctx() point
// into the snapshot's own vectors. Only snapshot_builder makes one.
class snapshot {
  public:
    snapshot(const snapshot&) = delete;
    snapshot& operator=(const snapshot&) = delete;
    ~snapshot() = default;

    // What process() takes: every view pointed, rs_hops and own_filter built.
    const context& ctx() const noexcept { return ctx_; }
    std::uint64_t generation() const noexcept { return generation_; }
    std::span<const port_view> ports() const noexcept { return ctx_.ports; }
    // By real-server slot of services(); empty without services.
    std::span<const rs_hop> rs_hops() const noexcept { return ctx_.rs_hops; }
    const lb::service_table* services() const noexcept { return services_.get(); }

  private:
    friend class snapshot_builder;
    snapshot() = default;

    std::uint64_t generation_ = 0;
    std::shared_ptr<const lb::service_table> services_;
    std::vector<std::uint8_t> service_active_;
    std::shared_ptr<const neighbour_map> neighbours_;
    std::vector<std::shared_ptr<const vrrp::instance_config>> vrrp_configs_;
    // Every port's entries, port after port; each port_view spans its own.
    std::vector<owned_address> owned_;
    std::vector<net::mac_addr> virtual_macs_;
    std::vector<vrrp_view> vrrp_;
    std::vector<port_view> ports_;
    std::vector<rs_hop> rs_hops_;
    context ctx_;
};

// Collects what a snapshot holds, then builds it. build() may be called
// more than once (each snapshot is independent of the builder and of the
// others). Port indexes passed in are ones add_port() returned.
class snapshot_builder {
  public:
    // The next port (vipgate's port index: config order): its MAC, its
    // primary address with the subnet prefix, and its gateway (0: none).
    // The port owns its primary address with its own MAC, as the first entry.
    std::uint16_t add_port(const net::mac_addr& mac, net::ipv4_prefix address,
                           net::ipv4_addr gateway = {});
    std::size_t port_count() const noexcept { return ports_.size(); }

    // One more address `port` answers ARP and ping for, and the MAC that
    // answers (the port's, or an instance's virtual MAC). Appended as given:
    // the first entry for an address is the one the workers use.
    void add_owned(std::uint16_t port, const owned_address& a);
    bool owns(std::uint16_t port, net::ipv4_addr a) const;
    // A virtual MAC `port` accepts as L2 destination (RFC 5798 §7.3).
    void add_virtual_mac(std::uint16_t port, const net::mac_addr& mac);
    // A VRRP instance on `port` with its counter row; the snapshot keeps
    // `cfg` alive. Any order: build() sorts each port's views by VRID.
    void add_vrrp(std::uint16_t port, std::uint8_t slot,
                  std::shared_ptr<const vrrp::instance_config> cfg);

    // The virtual services (shared, immutable) and, by service index, 1 when
    // this gateway holds the service's VIP.
    void set_services(std::shared_ptr<const lb::service_table> table,
                      std::vector<std::uint8_t> active);
    // The neighbours the workers may send to.
    void set_neighbours(std::shared_ptr<const neighbour_map> map);
    void set_neighbours(std::span<const next_hop> entries);
    void set_generation(std::uint64_t generation) noexcept { generation_ = generation; }
    // Where flow-state sync datagrams arrive (default: nowhere, sync off).
    void set_sync(const sync_endpoint& se) noexcept { sync_ = se; }

    std::unique_ptr<const snapshot> build() const;

  private:
    struct port_entry {
        port_view view; // spans unset here: build() points them
        std::vector<owned_address> owned;
        std::vector<net::mac_addr> virtual_macs;
        std::vector<vrrp_view> vrrp;
    };
    std::vector<port_entry> ports_;
    std::vector<std::shared_ptr<const vrrp::instance_config>> vrrp_configs_;
    std::shared_ptr<const lb::service_table> services_;
    std::vector<std::uint8_t> service_active_;
    std::shared_ptr<const neighbour_map> neighbours_;
    std::uint64_t generation_ = 0;
    sync_endpoint sync_;
};

} // namespace vipgate::pipeline
