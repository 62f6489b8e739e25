#pragma once
// The DPDK shell: ports, queues, mempool, rings and the worker lcores.
// Only this library, lib/console and app/ include rte_*.h; the control core
// (lib/control) reaches it through control::shell (dataplane::shell_impl).
//
// Threads:
//   control core (main lcore) - calls everything in this class except the
//                               worker loop (via shell_impl); publishes snapshots, drains
//                               punt rings, enqueues control TX.
//   worker w (lcore)          - runs worker_loop(): polls RX queue w of every
//                               port, transmits on TX queue w.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "control/shell.hpp"
#include "dataplane/counters.hpp"
#include "lb/steering.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/snapshot.hpp"
#include "vrrp/config.hpp"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;
struct rte_rcu_qsbr;

namespace vipgate::dataplane {

// What the workers read: built by pipeline::snapshot_builder (the control
// core), immutable; published by dataplane::publish(), then read-only until
// reclaimed (RCU).
using snapshot = pipeline::snapshot;
// The seam's types (control/shell.hpp), under their shell names.
using control::flow_dump_request;
using control::flow_record;
using control::link_state;
using control::port_info;
using control::steering_mode;

// A frame the worker punted: owned by the receiver, who must free it with
// dataplane::free().
struct punted_frame {
    rte_mbuf* mbuf;
    std::uint16_t port_index;
    std::uint8_t slot; // VRRP instance slot for punt_kind::vrrp
    pipeline::punt_kind kind;
    const std::uint8_t* data;
    std::uint32_t length;
};

class dataplane {
  public:
    ~dataplane();
    dataplane(const dataplane&) = delete;
    dataplane& operator=(const dataplane&) = delete;

    // After rte_eal_init(): find the configured ports, configure their queues
    // (one RX and one TX queue per worker), create the mempool and rings.
    static result<std::unique_ptr<dataplane>> create(const config::config& cfg);

    // EAL arguments the config implies: --vdev for every vdev port, -a for
    // PCI ports, --no-pci when there are none (so EAL never touches a NIC the
    // config did not name). `user_args` are checked for -a/-b/--no-pci.
    static std::vector<std::string> eal_args_for(const config::config& cfg,
                                                 const std::vector<std::string>& user_args);

    result<void> start(); // start ports, launch workers
    void stop();          // ask workers to stop, wait for them, stop ports; idempotent

    // ---- control core API ----
    const std::vector<port_info>& ports() const { return ports_; }
    unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }
    unsigned worker_lcore(unsigned w) const;
    const worker_stats& stats(unsigned w) const;
    link_state link(std::uint16_t port_index) const;
    const config::dataplane_config& settings() const { return settings_; }

    // Swap in a new snapshot; the old one is freed by reclaim() once every
    // worker has passed a quiescent state.
    void publish(std::unique_ptr<const snapshot> s);
    void reclaim();
    const snapshot& current() const { return *current_raw_; }

    // Drain up to `budget` punted frames from all workers; returns the count.
    unsigned drain_punts(const std::function<void(const punted_frame&)>& fn, unsigned budget);
    std::uint64_t punt_ring_count() const;

    // Learn/resolve notices from the workers (ARP requests answered; next
    // hops missing).
    using notice_view = control::notice_view;
    unsigned drain_notices(const std::function<void(const notice_view&)>& fn, unsigned budget);

    // Flows of every worker matching `req` (asks each worker, waits at most
    // `timeout` for each); the count of flows is per worker in `totals`.
    std::vector<flow_record>
    dump_flows(const flow_dump_request& req,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(200));
    bool lb_enabled() const { return lb_enabled_; }

    // Flow-state sync (control/shell.hpp has the contract).
    bool flow_sync() const { return flow_sync_; }
    unsigned drain_flow_events(const std::function<void(const lb::flow_event&)>& fn,
                               unsigned budget);
    control::install_result install_flow(const lb::flow_event& e);
    unsigned install_backlog() const;
    void request_export();
    unsigned drain_export(const std::function<void(const lb::flow_event&)>& fn, unsigned budget);
    bool export_done() const;

    // Control TX: allocate a frame, fill it, send it (worker 0 transmits it).
    rte_mbuf* alloc_frame();
    std::uint8_t* frame_data(rte_mbuf* m, std::uint16_t length); // sets length, returns data
    bool send(std::uint16_t port_index, rte_mbuf* m);            // false: ring full (frame freed)
    static void free(rte_mbuf* m);
    // Frames queued for control TX that worker 0 has not sent yet.
    unsigned control_tx_pending() const;
    std::uint64_t control_tx_dropped() const { return control_tx_dropped_; }
    std::uint64_t control_tx_sent() const { return control_tx_sent_; }
    // Frames the control core's own TX queue did not take (port_info::control_queue).
    std::uint64_t control_tx_queue_full() const { return control_tx_queue_full_; }

    struct worker_ctx; // defined in dataplane.cpp

  private:
    dataplane() = default;
    result<void> setup_port(port_info& p, unsigned queues);
    result<void> create_sync_rings(worker_ctx& w);
    void plan_steering(const config::config& cfg, unsigned workers);
    void steer(port_info& p);

    config::dataplane_config settings_;
    std::vector<port_info> ports_;
    std::vector<std::unique_ptr<worker_ctx>> workers_;
    rte_mempool* pool_ = nullptr;
    rte_ring* control_tx_ = nullptr; // SP (control) / SC (worker 0)
    rte_rcu_qsbr* qsbr_ = nullptr;
    std::atomic<const snapshot*> current_{nullptr}; // workers: acquire-load per burst
    const snapshot* current_raw_ = nullptr;
    struct retired {
        const snapshot* s;
        std::uint64_t token;
    };
    std::vector<retired> retired_;
    std::atomic<bool> stop_{false};
    bool started_ = false;
    bool stopped_ = false;
    std::uint64_t control_tx_dropped_ = 0;
    std::uint64_t control_tx_sent_ = 0;
    std::uint64_t control_tx_queue_full_ = 0;
    bool lb_enabled_ = false;
    bool flow_sync_ = false; // `sync:` configured and flow tables exist
    config::load_balancing_config lb_cfg_;
    lb::steering_plan steering_; // the NIC rules for every port (lb/steering.hpp)

    friend int worker_main(void*);
};

int worker_main(void* arg);

} // namespace vipgate::dataplane
