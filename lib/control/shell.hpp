#pragma once
// The control seam: everything the control core needs from the DPDK shell.
// The control logic (control_plane and its managers) talks only to this
// interface; dataplane::shell_impl (lib/dataplane) implements it over the
// real ports, rings and workers, and the unit tests implement it with a
// recorder (tests/unit/control). Modelled on Katran's BaseBpfAdapter.
//
// Pure: no rte_* type crosses it. Frames cross as byte views or copies.
//
// Threads: every call is made on the control core.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "control/port_steering.hpp"
#include "control/worker_stats.hpp"
#include "lb/flow_sync.hpp"
#include "net/types.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/snapshot.hpp"

namespace vipgate::control {

struct port_info {
    std::string name;     // config name, e.g. "ext0"
    std::string device;   // config device string
    std::string eal_name; // ethdev name (vdev name or canonical PCI address)
    std::string driver;   // PMD name
    std::uint16_t port_id = 0;
    net::mac_addr mac;
    config::port_config cfg;
    // The control core's own TX queue on this port (one past the workers'),
    // or -1: its frames go through the control TX ring and worker 0.
    int control_queue = -1;
    port_steering steering; // set when the port starts
};

struct link_state {
    bool up = false;
    std::uint32_t speed_mbps = 0;
    bool full_duplex = false;
};

// A port's hardware counters (the NIC's, as the PMD reports them).
struct port_counters {
    std::uint64_t ipackets = 0, opackets = 0, ibytes = 0, obytes = 0, imissed = 0, ierrors = 0,
                  oerrors = 0, rx_nombuf = 0;
};

// `show flows`: what to copy out of a worker's flow table.
struct flow_dump_request {
    net::ipv4_addr vip;        // 0: any
    std::uint16_t vport = 0;   // 0: any
    std::uint32_t limit = 100; // at most this many records
    std::uint8_t proto = 0;    // IP protocol; 0: any
};

struct flow_record {
    net::ipv4_addr client, vip, rs;
    std::uint16_t client_port = 0, vport = 0, rs_port = 0;
    std::uint8_t proto = 0;
    std::uint8_t state = 0; // lb::flow_state
    std::uint32_t expires_in_ms = 0;
};

// A frame a worker punted, as a view valid only during the drain callback
// (the shell frees the buffer afterwards).
struct punt_view {
    std::uint16_t port = 0;
    pipeline::punt_kind kind = pipeline::punt_kind::none;
    std::uint8_t slot = 0; // VRRP instance slot for punt_kind::vrrp
    std::span<const std::uint8_t> frame;
};

// A worker's learn/resolve notice: it answered an ARP request from `ip`
// (learn), or it needs the MAC of next hop `ip` (resolve).
struct notice_view {
    bool resolve = false; // else learn
    std::uint16_t port = 0;
    net::ipv4_addr ip;
    net::mac_addr mac;
};

enum class send_result : std::uint8_t {
    sent,
    no_buffer, // no frame buffer to copy into (the shell did not count it)
    full,      // control TX ring or queue full (counted in control_tx_counters)
};

struct control_tx_counters {
    std::uint64_t ring_full = 0;  // frames the control TX ring refused
    std::uint64_t queue_full = 0; // frames the control core's own TX queue refused
    std::uint64_t sent = 0;
};

// What install_flow() did with a peer's record.
enum class install_result : std::uint8_t {
    queued,     // on its owner worker's install ring (the worker counts refusals)
    no_service, // no service for its VIP:port/protocol here (counted by the caller)
    full,       // the owner's install ring is full (counted by the caller)
    sync_off,   // the shell has no sync rings (no `sync:` section at start)
};

class shell {
  public:
    virtual ~shell() = default;

    // ---- ports ----
    virtual const std::vector<port_info>& ports() const = 0;
    virtual link_state link(std::uint16_t port) const = 0;
    virtual port_counters port_stats(std::uint16_t port) const = 0;
    // Flow tables exist (the gateway started with virtual servers).
    virtual bool lb_enabled() const = 0;

    // ---- workers ----
    virtual unsigned worker_count() const = 0;
    virtual unsigned worker_lcore(unsigned w) const = 0;
    // The worker's counters: single-writer atomics, read relaxed (a copy
    // of them would be 100 KB a worker for every report).
    virtual const worker_stats& worker(unsigned w) const = 0;
    // Flows of every worker matching `req` (each worker copies its own).
    virtual std::vector<flow_record> dump_flows(const flow_dump_request& req) = 0;

    // ---- snapshots ----
    // Swap in a new worker snapshot (pipeline::snapshot_builder); the old one is freed by reclaim()
    // once no worker can still read it.
    virtual void publish(std::unique_ptr<const pipeline::snapshot> s) = 0;
    virtual void reclaim() = 0;
    virtual const pipeline::snapshot& current() const = 0;

    // ---- from the workers ----
    // At most `budget` each; return how many were handed to `fn`.
    virtual unsigned drain_punts(const std::function<void(const punt_view&)>& fn,
                                 unsigned budget) = 0;
    virtual std::uint64_t punt_backlog() const = 0;
    virtual unsigned drain_notices(const std::function<void(const notice_view&)>& fn,
                                   unsigned budget) = 0;

    // ---- control TX ----
    // Copy `frame` out on `port` (adverts, GARPs, ARP requests, probes).
    virtual send_result send(std::uint16_t port, std::span<const std::uint8_t> frame) = 0;
    // Frames queued that the port has not taken yet.
    virtual unsigned control_tx_pending() const = 0;
    virtual control_tx_counters control_tx() const = 0;

    // ---- flow-state sync (docs/ha.md; only with a `sync:` section) ----
    // The workers emit flow events and take installs (decided at start).
    virtual bool flow_sync() const = 0;
    // Flow events the workers emitted (their own flows: add, state change,
    // refresh, remove, persist), at most `budget`.
    virtual unsigned drain_flow_events(const std::function<void(const lb::flow_event&)>& fn,
                                       unsigned budget) = 0;
    // A peer's record, to the worker that owns its client endpoint
    // (lb::owner_worker), which installs it with engine::install_synced().
    virtual install_result install_flow(const lb::flow_event& e) = 0;
    // Records waiting on install rings (a new master waits for 0).
    virtual unsigned install_backlog() const = 0;
    // Bulk export: every worker walks its tables (a bounded step per loop)
    // and hands over an add per flow and a persist per template. A request
    // during a walk restarts it.
    virtual void request_export() = 0;
    virtual unsigned drain_export(const std::function<void(const lb::flow_event&)>& fn,
                                  unsigned budget) = 0;
    // Every worker finished its walk and drain_export() took all of it.
    virtual bool export_done() const = 0;
};

} // namespace vipgate::control
