#include "dataplane/dataplane.hpp"

#include <rte_bus_pci.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <spdlog/spdlog.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "dataplane/flow_rules.hpp"
#include "dataplane/kernel_link.hpp"
#include "dataplane/worker_ctx.hpp"
#include "lb/owner.hpp"

namespace vipgate::dataplane {

namespace {

// lib/lb's allocator hook: flow tables live in DPDK memory on the worker's
// socket when EAL has hugepages. Without them (--no-huge) EAL memory is 4 KB
// pages, and a 40 MB flow table over 10,000 pages makes nearly every lookup
// a TLB miss; the table needs no DMA, so it comes from an anonymous mapping,
// 2 MB aligned, with MADV_HUGEPAGE: transparent huge pages where the kernel
// has them (/sys/kernel/mm/transparent_hugepage/enabled: madvise or always),
// 4 KB pages otherwise.
constexpr std::size_t thp_size = std::size_t{2} << 20;

std::size_t thp_round(std::size_t n) {
    return (n + thp_size - 1) & ~(thp_size - 1);
}

void* lb_alloc(void* ctx, std::size_t size, std::size_t align) {
    if (rte_eal_has_hugepages() != 0 || align > thp_size) {
        int socket = static_cast<int>(reinterpret_cast<std::intptr_t>(ctx));
        return rte_zmalloc_socket("vg_lb", size, static_cast<unsigned>(align), socket);
    }
    const std::size_t len = thp_round(size);
    void* raw =
        mmap(nullptr, len + thp_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        return nullptr;
    }
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = (start + thp_size - 1) & ~(std::uintptr_t{thp_size} - 1);
    if (aligned > start) {
        munmap(raw, aligned - start);
    }
    if (const std::size_t tail = start + len + thp_size - (aligned + len); tail != 0) {
        munmap(reinterpret_cast<void*>(aligned + len), tail);
    }
    // Advice only: without THP the mapping simply stays in 4 KB pages.
    (void)madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);
    return reinterpret_cast<void*>(aligned);
}
void lb_free(void*, void* p, std::size_t size, std::size_t align) {
    if (rte_eal_has_hugepages() != 0 || align > thp_size) {
        rte_free(p);
    } else if (p != nullptr) {
        munmap(p, thp_round(size));
    }
}

std::string errno_text(int err) {
    return rte_strerror(err < 0 ? -err : err);
}

// "net_af_packet0,iface=x" -> "net_af_packet0"
std::string vdev_name(const std::string& device) {
    return device.substr(0, device.find(','));
}

// "03:00.0" -> "0000:03:00.0"
std::string canonical_pci(const std::string& device) {
    std::size_t colons = static_cast<std::size_t>(std::count(device.begin(), device.end(), ':'));
    return colons == 1 ? "0000:" + device : device;
}

bool has_kv(const std::string& device, const std::string& key) {
    std::size_t pos = device.find(',');
    while (pos != std::string::npos) {
        std::size_t end = device.find(',', pos + 1);
        std::string kv =
            device.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
        if (kv.rfind(key + "=", 0) == 0) {
            return true;
        }
        pos = end;
    }
    return false;
}

// Ring sizes for flow-state sync, in 28-byte lb::flow_events. Events: a
// worker creating 1M flows/s emits ~1000 a millisecond and the control core
// drains every flush_interval (5 ms), so 16384 leaves headroom for a burst
// of expiries. Installs: a bulk resync arrives at up to 1M records/s spread
// over the workers, drained every loop. Export: one walk step at a time.
constexpr unsigned sync_event_ring = 16384;
constexpr unsigned sync_install_ring = 16384;
constexpr unsigned sync_export_ring = 4096;

result<void> make_elem_ring(rte_ring*& out, const std::string& name, unsigned count) {
    out = rte_ring_create_elem(name.c_str(), sizeof(lb::flow_event), count,
                               static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (out == nullptr) {
        return make_error("cannot create ring " + name + ": " + errno_text(rte_errno));
    }
    return {};
}

} // namespace

// The worker's sync rings and event buffer (`sync:` configured).
result<void> dataplane::create_sync_rings(worker_ctx& w) {
    const std::string n = std::to_string(w.index);
    if (auto r = make_elem_ring(w.sync_events, "vg_syev_" + n, sync_event_ring); !r) {
        return r;
    }
    if (auto r = make_elem_ring(w.sync_installs, "vg_syin_" + n, sync_install_ring); !r) {
        return r;
    }
    if (auto r = make_elem_ring(w.sync_export, "vg_syex_" + n, sync_export_ring); !r) {
        return r;
    }
    w.sync_storage.resize(sync_buffer_events);
    w.sync_buf = lb::flow_event_buffer(w.sync_storage);
    return {};
}

std::vector<std::string> dataplane::eal_args_for(const config::config& cfg,
                                                 const std::vector<std::string>& user_args) {
    std::vector<std::string> out;
    bool user_pci_choice = false;
    for (const auto& a : user_args) {
        if (a == "-a" || a == "-b" || a == "--no-pci" || a.rfind("--allow", 0) == 0 ||
            a.rfind("--block", 0) == 0 || a.rfind("-a", 0) == 0 || a.rfind("-b", 0) == 0) {
            user_pci_choice = true;
        }
    }
    bool any_pci = false;
    unsigned workers = cfg.dataplane.workers;
    for (const auto& p : cfg.ports) {
        if (p.is_pci) {
            any_pci = true;
            if (!user_pci_choice) {
                out.push_back("-a");
                out.push_back(canonical_pci(p.device));
            }
        } else {
            std::string dev = p.device;
            // af_packet: one queue pair per worker unless the operator chose.
            if (dev.rfind("net_af_packet", 0) == 0 && !has_kv(dev, "qpairs") && workers > 1) {
                dev += ",qpairs=" + std::to_string(workers);
            }
            out.push_back("--vdev");
            out.push_back(dev);
        }
    }
    if (!any_pci && !user_pci_choice) {
        out.push_back("--no-pci");
    }
    return out;
}

dataplane::~dataplane() {
    stop();
    for (auto& r : retired_) {
        delete r.s;
    }
    retired_.clear();
    delete current_raw_;
    for (auto& w : workers_) {
        rte_ring_free(w->punt);
    }
    rte_ring_free(control_tx_);
    for (auto& w : workers_) {
        rte_ring_free(w->sync_events);
        rte_ring_free(w->sync_installs);
        rte_ring_free(w->sync_export);
        rte_ring_free(w->notices);
        for (auto* r : w->handoff) {
            rte_ring_free(r);
        }
        w->engine.reset();
    }
    rte_free(qsbr_);
    for (auto& p : ports_) {
        rte_eth_dev_close(p.port_id);
    }
    rte_mempool_free(pool_);
}

result<std::unique_ptr<dataplane>> dataplane::create(const config::config& cfg) {
    std::unique_ptr<dataplane> dp(new dataplane());
    dp->settings_ = cfg.dataplane;
    dp->lb_cfg_ = cfg.load_balancing;
    dp->lb_enabled_ = !cfg.virtual_servers.empty();
    dp->flow_sync_ = dp->lb_enabled_ && cfg.sync.has_value();

    if (cfg.ports.size() > max_ports) {
        return make_error("at most " + std::to_string(max_ports) +
                          " ports are supported, config has " + std::to_string(cfg.ports.size()));
    }

    // Workers: every EAL lcore but the main one, or the first N of them.
    std::vector<unsigned> lcores;
    unsigned lc;
    RTE_LCORE_FOREACH_WORKER(lc) {
        lcores.push_back(lc);
    }
    if (lcores.empty()) {
        return make_error("no worker lcore: give EAL at least two lcores (e.g. -l 0-1, or --lcores "
                          "'0@0,1@1'); lcore " +
                          std::to_string(rte_get_main_lcore()) + " is the control core");
    }
    unsigned wanted =
        cfg.dataplane.workers == 0 ? static_cast<unsigned>(lcores.size()) : cfg.dataplane.workers;
    if (wanted > lcores.size()) {
        return make_error("dataplane.workers is " + std::to_string(wanted) + " but EAL has only " +
                          std::to_string(lcores.size()) +
                          " worker lcore(s); give more with -l/--lcores or lower the count");
    }
    if (wanted > max_workers) {
        return make_error("at most " + std::to_string(max_workers) + " workers are supported");
    }
    if (wanted < lcores.size()) {
        spdlog::warn("{} worker lcore(s) left idle: dataplane.workers is {}",
                     lcores.size() - wanted, wanted);
    }

    dp->plan_steering(cfg, wanted);

    // One pool for everything: RX, replies and control TX.
    dp->pool_ = rte_pktmbuf_pool_create(
        "vipgate_mbufs", cfg.dataplane.mbufs,
        std::min<unsigned>(cfg.dataplane.mbuf_cache, RTE_MEMPOOL_CACHE_MAX_SIZE), 0,
        RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
    if (dp->pool_ == nullptr) {
        return make_error("cannot create the mbuf pool (" + std::to_string(cfg.dataplane.mbufs) +
                          " mbufs): " + errno_text(rte_errno) +
                          "; with --no-huge give EAL more memory (-m) or lower dataplane.mbufs");
    }

    // Workers and their punt rings.
    for (unsigned w = 0; w < wanted; ++w) {
        auto ctx = std::make_unique<worker_ctx>();
        ctx->index = w;
        ctx->lcore = lcores[w];
        ctx->dp = dp.get();
        std::string rname = "vg_punt_" + std::to_string(w);
        ctx->punt =
            rte_ring_create(rname.c_str(), cfg.dataplane.punt_ring_size,
                            static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (ctx->punt == nullptr) {
            return make_error("cannot create ring " + rname + ": " + errno_text(rte_errno));
        }
        std::string nname = "vg_notice_" + std::to_string(w);
        ctx->notices =
            rte_ring_create_elem(nname.c_str(), sizeof(notice), 1024,
                                 static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (ctx->notices == nullptr) {
            return make_error("cannot create ring " + nname + ": " + errno_text(rte_errno));
        }
        if (dp->lb_enabled_) {
            lb::engine_config ec;
            ec.flow_capacity = cfg.load_balancing.flows_per_worker;
            ec.persistence_capacity = cfg.load_balancing.persistence_templates;
            ec.state_timeouts = cfg.load_balancing.timeouts;
            ec.sloppy_tcp = cfg.load_balancing.sloppy_tcp;
            ec.seed = rte_rand();
            lb::allocator alloc{lb_alloc, lb_free,
                                reinterpret_cast<void*>(
                                    static_cast<std::intptr_t>(rte_lcore_to_socket_id(lcores[w])))};
            auto e = lb::engine::create(ec, alloc);
            if (!e) {
                return make_error(
                    "worker " + std::to_string(w) + ": cannot create its flow table (" +
                    std::to_string(ec.flow_capacity) + " flows): " + e.message() +
                    "; lower load_balancing.flows_per_worker or give EAL more memory");
            }
            ctx->engine.emplace(std::move(e.value()));
            ctx->stats.flow_capacity.store(ec.flow_capacity);
        }
        ctx->dump_out.reserve(4096);
        if (dp->flow_sync_) {
            if (auto r = dp->create_sync_rings(*ctx); !r) {
                return make_error(r.message());
            }
        }
        dp->workers_.push_back(std::move(ctx));
    }
    // Hand-off rings between every pair of workers (both directions of a
    // flow are handled by its owner).
    if (dp->lb_enabled_ && wanted > 1) {
        for (unsigned to = 0; to < wanted; ++to) {
            for (unsigned from = 0; from < wanted; ++from) {
                if (from == to) {
                    continue;
                }
                std::string hname = "vg_ho_" + std::to_string(from) + "_" + std::to_string(to);
                rte_ring* r = rte_ring_create(hname.c_str(), cfg.dataplane.handoff_ring_size,
                                              static_cast<int>(rte_socket_id()),
                                              RING_F_SP_ENQ | RING_F_SC_DEQ);
                if (r == nullptr) {
                    return make_error("cannot create ring " + hname + ": " + errno_text(rte_errno));
                }
                dp->workers_[to]->handoff[from] = r;
            }
        }
    }
    dp->control_tx_ =
        rte_ring_create("vg_control_tx", cfg.dataplane.control_tx_ring_size,
                        static_cast<int>(rte_socket_id()), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (dp->control_tx_ == nullptr) {
        return make_error("cannot create the control TX ring: " + errno_text(rte_errno));
    }

    // RCU for snapshot reclamation: one reader slot per worker.
    std::size_t sz = rte_rcu_qsbr_get_memsize(wanted);
    dp->qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("vg_qsbr", sz, RTE_CACHE_LINE_SIZE));
    if (dp->qsbr_ == nullptr || rte_rcu_qsbr_init(dp->qsbr_, wanted) != 0) {
        return make_error("cannot set up RCU: " + errno_text(rte_errno));
    }
    for (unsigned w = 0; w < wanted; ++w) {
        rte_rcu_qsbr_thread_register(dp->qsbr_, w);
    }

    // Ports, in config order (vipgate's port index = position in the config).
    for (const auto& pc : cfg.ports) {
        port_info p;
        p.name = pc.name;
        p.device = pc.device;
        p.cfg = pc;
        p.eal_name = pc.is_pci ? canonical_pci(pc.device) : vdev_name(pc.device);
        std::uint16_t pid = 0;
        int rc = rte_eth_dev_get_port_by_name(p.eal_name.c_str(), &pid);
        if (rc != 0) {
            return make_error("port " + pc.name + " (" + pc.where.to_string() +
                              "): no DPDK device " + p.eal_name + " — " +
                              (pc.is_pci ? "is it bound to vfio-pci/uio (dpdk-devbind.py --status)?"
                                         : "did EAL create the vdev? check the device string and "
                                           "the EAL log above"));
        }
        p.port_id = pid;
        auto r = dp->setup_port(p, wanted);
        if (!r) {
            return r.err();
        }
        dp->ports_.push_back(std::move(p));
    }

    // First snapshot: every port answers for its own address.
    pipeline::snapshot_builder first;
    for (const auto& p : dp->ports_) {
        first.add_port(p.mac, p.cfg.address, p.cfg.gateway.value_or(net::ipv4_addr{}));
    }
    dp->current_raw_ = first.build().release();
    dp->current_.store(dp->current_raw_, std::memory_order_release);
    return dp;
}

result<void> dataplane::setup_port(port_info& p, unsigned queues) {
    rte_eth_dev_info info{};
    int rc = rte_eth_dev_info_get(p.port_id, &info);
    if (rc != 0) {
        return make_error("port " + p.name + ": cannot read device info: " + errno_text(rc));
    }
    p.driver = info.driver_name ? info.driver_name : "?";
    if (info.max_rx_queues < queues || info.max_tx_queues < queues) {
        return make_error("port " + p.name + " (" + p.eal_name + ", driver " + p.driver +
                          ") has at most " + std::to_string(info.max_rx_queues) + " RX / " +
                          std::to_string(info.max_tx_queues) + " TX queues but " +
                          std::to_string(queues) +
                          " workers need one each; give the vdev more queues (e.g. qpairs=N for "
                          "net_af_packet) or use fewer workers");
    }
    rte_eth_conf conf{};
    // RSS on the IP/TCP/UDP fields where a NIC offers it, so that frames the
    // steering rules do not take (lb/steering.hpp; all of them when the PMD
    // refuses rules) spread over the workers' queues. PCI only: the vdevs
    // spread by themselves (fanout, one ring or pcap per queue).
    const std::uint64_t rss_hf =
        info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
    if (p.cfg.is_pci && queues > 1 && rss_hf != 0) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
    }
    // The control core gets a TX queue of its own where the device has one
    // to spare and a TX queue costs no RX share: PCI NICs, net_pcap (one
    // tx_pcap= per TX queue), net_null, net_ring (one ring per TX queue).
    // Not net_af_packet / net_af_xdp, whose queues are RX+TX pairs (a pair's
    // RX side would take a share of the traffic), nor net_tap. Elsewhere
    // worker 0 sends the control core's frames (docs/architecture.md).
    const bool spare_tx =
        info.max_tx_queues > queues && (p.cfg.is_pci || p.driver == "net_pcap" ||
                                        p.driver == "net_null" || p.driver == "net_ring");
    rc = -1;
    if (spare_tx) {
        rc = rte_eth_dev_configure(p.port_id, static_cast<std::uint16_t>(queues),
                                   static_cast<std::uint16_t>(queues + 1), &conf);
        if (rc == 0) {
            p.control_queue = static_cast<int>(queues);
        } else {
            spdlog::debug("port {}: no TX queue for the control core ({}); worker 0 sends "
                          "its frames",
                          p.name, errno_text(rc));
        }
    }
    if (rc != 0) {
        rc = rte_eth_dev_configure(p.port_id, static_cast<std::uint16_t>(queues),
                                   static_cast<std::uint16_t>(queues), &conf);
    }
    if (rc != 0) {
        return make_error("port " + p.name + ": configure failed: " + errno_text(rc));
    }
    std::uint16_t nrx = settings_.rx_descriptors, ntx = settings_.tx_descriptors;
    rc = rte_eth_dev_adjust_nb_rx_tx_desc(p.port_id, &nrx, &ntx);
    if (rc != 0) {
        return make_error("port " + p.name + ": descriptor counts rejected: " + errno_text(rc));
    }
    int socket = rte_eth_dev_socket_id(p.port_id);
    if (socket < 0) {
        socket = static_cast<int>(rte_socket_id());
    }
    for (unsigned q = 0; q < queues; ++q) {
        rc = rte_eth_rx_queue_setup(p.port_id, static_cast<std::uint16_t>(q), nrx,
                                    static_cast<unsigned>(socket), nullptr, pool_);
        if (rc != 0) {
            return make_error("port " + p.name + ": RX queue " + std::to_string(q) +
                              " setup failed: " + errno_text(rc));
        }
        rc = rte_eth_tx_queue_setup(p.port_id, static_cast<std::uint16_t>(q), ntx,
                                    static_cast<unsigned>(socket), nullptr);
        if (rc != 0) {
            return make_error("port " + p.name + ": TX queue " + std::to_string(q) +
                              " setup failed: " + errno_text(rc));
        }
    }
    if (p.control_queue >= 0) {
        rc = rte_eth_tx_queue_setup(p.port_id, static_cast<std::uint16_t>(p.control_queue), ntx,
                                    static_cast<unsigned>(socket), nullptr);
        if (rc != 0) {
            return make_error("port " + p.name + ": control TX queue " +
                              std::to_string(p.control_queue) + " setup failed: " + errno_text(rc));
        }
    }
    rte_ether_addr mac{};
    rc = rte_eth_macaddr_get(p.port_id, &mac);
    if (rc != 0) {
        return make_error("port " + p.name + ": cannot read MAC address: " + errno_text(rc));
    }
    std::memcpy(p.mac.bytes.data(), mac.addr_bytes, 6);
    return {};
}

// The NIC rules for the configured services (lb/steering.hpp), with one RX
// queue per worker. They follow the configuration the process started with:
// a reload does not change them. Correctness never depends on them: a worker
// hands off whatever it does not own, so a stale rule costs a hand-off.
void dataplane::plan_steering(const config::config& cfg, unsigned workers) {
    if (!lb_enabled_ || workers <= 1) {
        steering_.expressible = false;
        steering_.reason = !lb_enabled_ ? "no virtual servers" : "one worker";
        return;
    }
    std::vector<lb::service_config> services;
    for (const auto& vs : cfg.virtual_servers) {
        lb::service_config c = vs.service;
        c.real_servers.clear();
        for (const auto& e : vs.real_servers) {
            c.real_servers.push_back(e.rs);
        }
        services.push_back(std::move(c));
    }
    auto table = lb::service_table::build(services);
    if (!table) {
        steering_.expressible = false;
        steering_.reason = "no service table: " + table.message();
        return;
    }
    steering_ = lb::plan_steering(table.value(), workers);
}

// At port start: install the rules, or say why the port stays on RSS and
// the hand-off rings (`show ports`).
void dataplane::steer(port_info& p) {
    if (!lb_enabled_ || workers_.size() <= 1) {
        p.steering = {steering_mode::none, 0, steering_.reason};
        return;
    }
    p.steering = install_flow_rules(p.port_id, p.driver, steering_);
    if (p.steering.mode == steering_mode::nic) {
        spdlog::info("port {}: NIC steering, {} rte_flow rules", p.name, p.steering.rules);
    } else {
        spdlog::info("port {}: RSS and hand-off to the owner worker ({})", p.name,
                     p.steering.reason);
    }
}

result<void> dataplane::start() {
    for (auto& p : ports_) {
        int rc = rte_eth_dev_start(p.port_id);
        if (rc != 0) {
            return make_error("port " + p.name + ": start failed: " + errno_text(rc));
        }
        // VRRP multicast and (later) virtual MACs must reach us; the pipeline
        // filters by destination MAC itself.
        rc = rte_eth_promiscuous_enable(p.port_id);
        if (rc != 0) {
            spdlog::debug("port {}: promiscuous mode not available ({})", p.name, errno_text(rc));
        }
        steer(p);
        link_state l = link(static_cast<std::uint16_t>(&p - ports_.data()));
        spdlog::info("port {} ({}, driver {}, port id {}): mac {} address {} link {}{}", p.name,
                     p.eal_name, p.driver, p.port_id, p.mac.to_string(), p.cfg.address.to_string(),
                     l.up ? "up" : "down",
                     l.up && l.speed_mbps ? " " + std::to_string(l.speed_mbps) + " Mb/s" : "");
    }
    stop_.store(false);
    for (auto& w : workers_) {
        int rc = rte_eal_remote_launch(worker_main, w.get(), w->lcore);
        if (rc != 0) {
            return make_error("cannot launch worker " + std::to_string(w->index) + " on lcore " +
                              std::to_string(w->lcore) + ": " + errno_text(rc));
        }
        spdlog::info("worker {} running on lcore {}{}", w->index, w->lcore,
                     settings_.idle_sleep ? " (sleeps when idle)" : " (busy-poll)");
    }
    started_ = true;
    return {};
}

void dataplane::stop() {
    if (!started_ || stopped_) {
        return;
    }
    stopped_ = true;
    stop_.store(true, std::memory_order_release);
    for (auto& w : workers_) {
        rte_eal_wait_lcore(w->lcore);
    }
    for (auto& p : ports_) {
        if (p.steering.mode == steering_mode::nic) {
            remove_flow_rules(p.port_id);
        }
        rte_eth_dev_stop(p.port_id);
    }
    // Frames still queued to the control core or for control TX.
    rte_mbuf* m = nullptr;
    for (auto& w : workers_) {
        while (rte_ring_sc_dequeue(w->punt, reinterpret_cast<void**>(&m)) == 0) {
            rte_pktmbuf_free(m);
        }
    }
    while (rte_ring_sc_dequeue(control_tx_, reinterpret_cast<void**>(&m)) == 0) {
        rte_pktmbuf_free(m);
    }
    for (auto& w : workers_) {
        for (auto* r : w->handoff) {
            if (r != nullptr) {
                while (rte_ring_sc_dequeue(r, reinterpret_cast<void**>(&m)) == 0) {
                    rte_pktmbuf_free(m);
                }
            }
        }
    }
}

unsigned dataplane::drain_notices(const std::function<void(const notice_view&)>& fn,
                                  unsigned budget) {
    unsigned done = 0;
    notice batch[32];
    for (auto& w : workers_) {
        while (done < budget) {
            unsigned n = rte_ring_sc_dequeue_burst_elem(w->notices, batch, sizeof(notice),
                                                        std::min(32u, budget - done), nullptr);
            if (n == 0) {
                break;
            }
            for (unsigned i = 0; i < n; ++i) {
                notice_view v;
                v.resolve = batch[i].kind == notice::resolve;
                v.port = batch[i].port;
                v.ip = net::ipv4_addr(batch[i].ip);
                std::memcpy(v.mac.bytes.data(), batch[i].mac.data(), 6);
                fn(v);
            }
            done += n;
        }
    }
    return done;
}

std::vector<flow_record> dataplane::dump_flows(const flow_dump_request& req,
                                               std::chrono::milliseconds timeout) {
    std::vector<flow_record> out;
    if (!lb_enabled_) {
        return out;
    }
    for (auto& w : workers_) {
        w->dump_req = req;
        w->dump_req.limit = std::min<std::uint32_t>(req.limit, 4096);
        w->dump_out.clear();
        w->dump_state.store(dump_phase::requested, std::memory_order_release);
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& w : workers_) {
        while (w->dump_state.load(std::memory_order_acquire) != dump_phase::done &&
               (std::chrono::steady_clock::now() < deadline ||
                w->dump_state.load(std::memory_order_acquire) == dump_phase::copying)) {
            rte_delay_us_sleep(50);
        }
        if (w->dump_state.load(std::memory_order_acquire) == dump_phase::done) {
            for (const auto& r : w->dump_out) {
                if (out.size() >= req.limit) {
                    break;
                }
                out.push_back(r);
            }
        }
        // A worker that did not take the request (stopped) is withdrawn from
        // it; one that took it (copying) is waited for.
        dump_phase expected = dump_phase::requested;
        if (!w->dump_state.compare_exchange_strong(expected, dump_phase::idle)) {
            while (w->dump_state.load(std::memory_order_acquire) == dump_phase::copying) {
                rte_delay_us_sleep(50);
            }
            w->dump_state.store(dump_phase::idle, std::memory_order_release);
        }
    }
    return out;
}

unsigned dataplane::worker_lcore(unsigned w) const {
    return workers_.at(w)->lcore;
}
const worker_stats& dataplane::stats(unsigned w) const {
    return workers_.at(w)->stats;
}

// An af_packet port's link is also the kernel interface's carrier
// (kernel_link.hpp: DPDK 22.11's net_af_packet always says up).
link_state dataplane::link(std::uint16_t port_index) const {
    const port_info& p = ports_.at(port_index);
    link_state out;
    rte_eth_link l{};
    if (rte_eth_link_get_nowait(p.port_id, &l) == 0) {
        out.up = l.link_status == RTE_ETH_LINK_UP;
        out.speed_mbps = l.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : l.link_speed;
        out.full_duplex = l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
    }
    std::optional<bool> kernel;
    if (auto iface = af_packet_iface(p.device)) {
        kernel = read_kernel_link(*iface);
    }
    out.up = port_link_up(out.up, kernel);
    return out;
}

void dataplane::publish(std::unique_ptr<const snapshot> s) {
    const snapshot* old = current_raw_;
    current_raw_ = s.release();
    current_.store(current_raw_, std::memory_order_release);
    if (old != nullptr) {
        retired_.push_back({old, rte_rcu_qsbr_start(qsbr_)});
    }
}

void dataplane::reclaim() {
    auto it = retired_.begin();
    while (it != retired_.end()) {
        if (rte_rcu_qsbr_check(qsbr_, it->token, false) == 1) {
            delete it->s;
            it = retired_.erase(it);
        } else {
            ++it;
        }
    }
}

unsigned dataplane::drain_punts(const std::function<void(const punted_frame&)>& fn,
                                unsigned budget) {
    unsigned done = 0;
    rte_mbuf* burst[32];
    for (auto& w : workers_) {
        while (done < budget) {
            unsigned n = rte_ring_sc_dequeue_burst(w->punt, reinterpret_cast<void**>(burst),
                                                   std::min(32u, budget - done), nullptr);
            if (n == 0) {
                break;
            }
            for (unsigned i = 0; i < n; ++i) {
                rte_mbuf* m = burst[i];
                const frame_tag tag = tag_of(m); // set by the worker's punt
                punted_frame f;
                f.mbuf = m;
                f.port_index = tag.port;
                f.slot = tag.slot;
                f.kind = tag.kind;
                f.data = rte_pktmbuf_mtod(m, const std::uint8_t*);
                f.length = m->data_len;
                fn(f);
            }
            done += n;
        }
    }
    return done;
}

std::uint64_t dataplane::punt_ring_count() const {
    std::uint64_t n = 0;
    for (const auto& w : workers_) {
        n += rte_ring_count(w->punt);
    }
    return n;
}

rte_mbuf* dataplane::alloc_frame() {
    return rte_pktmbuf_alloc(pool_);
}

std::uint8_t* dataplane::frame_data(rte_mbuf* m, std::uint16_t length) {
    if (rte_pktmbuf_tailroom(m) < length) {
        return nullptr;
    }
    char* p = rte_pktmbuf_append(m, length);
    return reinterpret_cast<std::uint8_t*>(p);
}

bool dataplane::send(std::uint16_t port_index, rte_mbuf* m) {
    const port_info& p = ports_.at(port_index);
    m->port = p.port_id;
    if (p.control_queue >= 0) {
        // Only the control core transmits on this queue: no lock needed.
        if (rte_eth_tx_burst(p.port_id, static_cast<std::uint16_t>(p.control_queue), &m, 1) != 1) {
            rte_pktmbuf_free(m);
            ++control_tx_queue_full_;
            return false;
        }
        ++control_tx_sent_;
        return true;
    }
    if (rte_ring_sp_enqueue(control_tx_, m) != 0) {
        rte_pktmbuf_free(m);
        ++control_tx_dropped_;
        return false;
    }
    ++control_tx_sent_;
    return true;
}

void dataplane::free(rte_mbuf* m) {
    rte_pktmbuf_free(m);
}

unsigned dataplane::control_tx_pending() const {
    return rte_ring_count(control_tx_);
}

// ---- flow-state sync ----

namespace {

// Drains up to `budget` flow_events from each worker's ring `which`.
template <typename Ring>
unsigned drain_event_rings(const std::vector<std::unique_ptr<dataplane::worker_ctx>>& workers,
                           Ring which, const std::function<void(const lb::flow_event&)>& fn,
                           unsigned budget) {
    unsigned done = 0;
    std::array<lb::flow_event, 64> burst;
    for (const auto& w : workers) {
        rte_ring* r = (*w).*which;
        while (r != nullptr && done < budget) {
            const unsigned n = rte_ring_sc_dequeue_burst_elem(
                r, burst.data(), sizeof(lb::flow_event),
                std::min<unsigned>(static_cast<unsigned>(burst.size()), budget - done), nullptr);
            for (unsigned i = 0; i < n; ++i) {
                fn(burst[i]);
            }
            done += n;
            if (n < burst.size()) {
                break;
            }
        }
    }
    return done;
}

} // namespace

unsigned dataplane::drain_flow_events(const std::function<void(const lb::flow_event&)>& fn,
                                      unsigned budget) {
    return drain_event_rings(workers_, &worker_ctx::sync_events, fn, budget);
}

control::install_result dataplane::install_flow(const lb::flow_event& e) {
    if (!flow_sync_ || current_raw_ == nullptr) {
        return control::install_result::sync_off;
    }
    const lb::service_table* table = current_raw_->services();
    const lb::service* svc =
        table != nullptr ? table->find_service(e.vip, e.vport, e.proto) : nullptr;
    if (svc == nullptr) {
        return control::install_result::no_service;
    }
    // The worker whose packets of this client endpoint it is: installs go
    // there, so flow tables keep one writer (no locks).
    const unsigned owner = lb::owner_worker(*svc, e.client, e.client_port, e.proto,
                                            static_cast<unsigned>(workers_.size()));
    rte_ring* r = workers_.at(owner)->sync_installs;
    if (rte_ring_sp_enqueue_elem(r, const_cast<lb::flow_event*>(&e), sizeof e) != 0) {
        return control::install_result::full;
    }
    return control::install_result::queued;
}

unsigned dataplane::install_backlog() const {
    unsigned n = 0;
    for (const auto& w : workers_) {
        if (w->sync_installs != nullptr) {
            n += rte_ring_count(w->sync_installs);
        }
    }
    return n;
}

void dataplane::request_export() {
    for (auto& w : workers_) {
        if (w->sync_export != nullptr) {
            w->export_state.store(export_phase::requested, std::memory_order_release);
        }
    }
}

unsigned dataplane::drain_export(const std::function<void(const lb::flow_event&)>& fn,
                                 unsigned budget) {
    return drain_event_rings(workers_, &worker_ctx::sync_export, fn, budget);
}

bool dataplane::export_done() const {
    for (const auto& w : workers_) {
        if (w->sync_export == nullptr) {
            continue;
        }
        // Done first, then the ring: the worker enqueues before it says done.
        if (w->export_state.load(std::memory_order_acquire) != export_phase::done ||
            rte_ring_count(w->sync_export) != 0) {
            return false;
        }
    }
    return true;
}

} // namespace vipgate::dataplane
