#pragma once
// The control core (DPDK main lcore): neighbour table, statistics, console
// and control socket, telemetry, and (later) VRRP and health checks. One
// thread owns all of this state; other threads (telemetry) reach it only
// through call_sync(), which runs a function on the control core.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "config/config.hpp"
#include "control/lb_manager.hpp"
#include "control/shell.hpp"
#include "control/vrrp_manager.hpp"
#include "health/monitor.hpp"
#include "neigh/neighbour_table.hpp"

namespace vipgate::control {

using usec = std::chrono::microseconds;

// Counters of the control core itself (written and read on the control core).
struct control_counters {
    std::uint64_t punts_handled = 0;
    std::uint64_t arp_punts = 0;
    std::uint64_t arp_malformed = 0;     // a punted ARP the control core could not use
    std::uint64_t arp_not_in_subnet = 0; // sender outside the port's subnet: not learnt
    std::uint64_t arp_conflicts = 0;     // someone else claims one of our addresses
    std::uint64_t unknown_punts = 0;
    std::uint64_t arp_requests_sent = 0;
    std::uint64_t control_tx_alloc_failed = 0;
    std::uint64_t control_tx_no_buffer = 0; // adverts and probes (shown as ring full)
    std::uint64_t loops = 0;
    std::uint64_t notices = 0;     // learn/resolve notices from workers
    std::uint64_t snapshots = 0;   // worker snapshots published
    std::uint64_t probes_sent = 0; // health-check SYNs
    std::uint64_t probe_rsts_sent = 0;
    std::uint64_t probe_answers = 0; // punted segments for probe ports
    std::uint64_t probe_unmatched = 0;
    std::uint64_t probe_bad_checksum = 0;
};

// The control core's clock (steady, microseconds). Tests pass their own.
using clock_fn = std::function<usec()>;
usec steady_now();

class control_plane : public vrrp_host {
  public:
    // `sh` (the DPDK shell, or a test's) must outlive the control plane.
    control_plane(const config::config& cfg, shell& sh, clock_fn clock = steady_now);
    ~control_plane() override;

    // Build the protocol state (VRRP instances) and start it; publishes the
    // first full snapshot. Call once, before run().
    result<void> init(std::vector<std::string>* warnings = nullptr);
    // Live reload with an already loaded and validated configuration: VRRP
    // instances, virtual servers, real servers, checks, gateways and static
    // neighbours change in place; ports, dataplane and flow-table settings
    // need a restart (the reload is refused, nothing changes). Returns a
    // summary for the operator.
    result<std::string> reload(const config::config& next);
    // Where reload() gets the configuration from (set by main).
    std::function<result<config::config>()> config_loader;

    // Clean stop of the protocols: VRRP masters send priority 0 and release
    // their VIPs. Waits (briefly) until worker 0 has transmitted the frames;
    // call before dataplane::stop().
    void shutdown_protocols();

    // ---- event loop ----
    using fd_callback = std::function<void(short revents)>;
    void watch_fd(int fd, short events, fd_callback cb);
    void set_fd_events(int fd, short events);
    void unwatch_fd(int fd);
    // Run until request_stop() or the external stop flag; returns 0.
    int run(const std::atomic<bool>* external_stop = nullptr,
            std::atomic<bool>* external_reload = nullptr);
    // Load the configuration again (config_loader) and reload() it; logs the
    // outcome. For SIGHUP and the `reload` command.
    result<std::string> reload_from_source();
    void request_stop(const std::string& reason);
    bool stopping() const { return stop_requested_; }
    const std::string& stop_reason() const { return stop_reason_; }
    // Run one iteration without waiting (tests drive the loop with this).
    void run_once(usec max_wait);

    // From any other thread: run `fn` on the control core and wait for its
    // result (at most `timeout`; returns an object with "error" on timeout).
    json call_sync(std::function<json()> fn, usec timeout = std::chrono::seconds(2));

    // ---- state, control core only ----
    usec now() const { return clock_(); }
    usec started_at() const { return started_at_; }
    shell& sh() { return sh_; }
    const config::config& cfg() const { return cfg_; }
    neigh::table& neighbours() { return neighbours_; }
    const control_counters& counters() const { return counters_; }

    // Ask for `ip` to be resolved on the port whose subnet holds it.
    result<void> resolve(net::ipv4_addr ip);
    std::uint16_t port_index(const std::string& name) const; // 0xffff if unknown

    // ---- reports (one structured value each; rendered by console/telemetry) ----
    json report_ports();
    json report_port_stats();
    json report_lcores();
    json report_stats();
    json report_arp();
    json report_summary(); // one-line status: uptime, ports, workers
    json report_vrrp(const std::string& name = {});
    json report_vrrp_all() { return report_vrrp(); }
    void clear_stats();
    vrrp_manager* vrrp() { return vrrp_.get(); }
    lb_manager* lb() { return lb_.get(); }
    json report_virtual_servers();
    json report_health();
    json report_flows(const std::string& vs = {}, std::uint32_t limit = 100);
    json report_flows_default() { return report_flows(); }

    // vrrp_host
    bool send_frame(std::uint16_t port, std::span<const std::uint8_t> frame) override;
    void ownership_changed() override { snapshot_dirty_ = true; }
    std::optional<net::mac_addr> neighbour_mac(std::uint16_t port, net::ipv4_addr ip) override;
    // Publish a new worker snapshot now if something changed.
    void publish_if_dirty();
    // After an operator change of the virtual servers: rebuild and publish.
    void publish_if_dirty_lb() {
        snapshot_dirty_ = true;
        publish_if_dirty();
    }

  private:
    void handle_punt(const punt_view& f);
    void handle_arp(const punt_view& f);
    void send_arp_request(std::uint16_t port, net::ipv4_addr target);
    void check_links();
    void serve_cross_thread_calls();
    usec next_wakeup(usec now_us) const;

    config::config cfg_;
    shell& sh_;
    clock_fn clock_;
    std::unique_ptr<vrrp_manager> vrrp_;
    std::unique_ptr<lb_manager> lb_;
    // Health checks (TCP_CHECK): one checker per checked real server.
    std::unique_ptr<health::monitor> health_;
    std::map<health::checker_id, std::pair<std::size_t, std::size_t>> checked_; // -> (vs, rs)
    void start_health_checks();
    void refresh_health_reasons();
    std::optional<net::ipv4_addr> gateway_of(std::size_t port) const;
    std::uint64_t reloads_ = 0, reloads_failed_ = 0;
    void apply_health(const health::actions& a);
    void handle_probe(const punt_view& f);
    bool send_tcp(net::ipv4_addr dst, const net::tcp_spec& tcp, bool& no_route);
    void handle_notice(const notice_view& n);
    void resolve_next_hops();
    usec next_resolve_{0};
    usec next_drain_check_{0};
    bool snapshot_dirty_ = false;
    std::uint64_t generation_ = 0;
    usec next_reject_log_{0};
    neigh::table neighbours_;
    control_counters counters_;
    usec started_at_;

    struct watched {
        int fd;
        short events;
        fd_callback cb;
    };
    std::vector<watched> fds_;
    bool stop_requested_ = false;
    std::string stop_reason_;

    // Cross-thread calls (telemetry thread -> control core).
    struct pending_call {
        std::function<json()> fn;
        json result;
        bool done = false;
    };
    std::mutex calls_mutex_;
    std::condition_variable calls_cv_;
    std::deque<std::shared_ptr<pending_call>> calls_;
    int wake_fd_ = -1; // eventfd: wakes the loop when a call arrives

    // Link state, polled once a second.
    std::vector<bool> link_up_;
    usec next_link_check_{0};

    // "clear stats": baselines (the counters themselves have other writers).
    struct worker_baseline {
        std::uint64_t rx = 0, rx_bytes = 0, tx = 0, replies = 0, punts = 0, control_tx = 0,
                      drops = 0, polls = 0, busy_polls = 0, idle_sleeps = 0;
        std::vector<std::uint64_t> drop;
    };
    std::vector<worker_baseline> worker_base_;
    std::vector<port_counters> port_base_;
    control_counters counters_base_;
    usec stats_cleared_at_{0};
};

// Rate limit for log lines on the control core: at most `burst` per `period`.
class log_limiter {
  public:
    log_limiter(unsigned burst, usec period) : burst_(burst), period_(period) {}
    // true: log it now. `suppressed` holds how many were skipped since.
    bool allow(usec now, std::uint64_t& suppressed);

  private:
    unsigned burst_;
    usec period_;
    usec window_start_{0};
    unsigned in_window_ = 0;
    std::uint64_t suppressed_ = 0;
};

} // namespace vipgate::control
