#pragma once
// The control core (DPDK main lcore): VRRP, virtual servers and their health
// checks, neighbour resolution, reload, statistics and the reports behind
// the console, the control socket and telemetry. It reaches the DPDK shell
// only through control::shell (shell.hpp).
//
// Pieces (one file each):
//   control_plane.cpp  - the loop: punts and notices in, periodic tasks
//                        (one table, in the constructor), link state,
//                        publishing the worker snapshot when a manager is dirty
//   loop.{hpp,cpp}     - event_loop: clock, periodic tasks, fds, cross-thread calls
//   neighbours.{hpp,cpp} - neighbour_manager: ARP, notices, resolution
//   reload.cpp         - reload and what it refuses
//   health_wiring.cpp  - health checks: probes out, answers in, verdicts to lb
//   misc_wiring.cpp    - MISC_CHECK scripts through the runner, verdicts to lb
//   rs_notify.cpp      - real_server notify_up / notify_down on health changes
//   reports.cpp        - report_* and clear_stats
//   vrrp_manager, lb_manager - VRRP instances, virtual servers
//
// One thread owns all of this state; other threads (telemetry) reach it only
// through call_sync(), which runs a function on the control core.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "config/config.hpp"
#include "control/counters.hpp"
#include "control/lb_manager.hpp"
#include "control/loop.hpp"
#include "control/neighbours.hpp"
#include "control/reports.hpp"
#include "control/script_manager.hpp"
#include "control/shell.hpp"
#include "control/sync_manager.hpp"
#include "control/vrrp_manager.hpp"
#include "exec/misc_check.hpp"
#include "health/monitor.hpp"
#include "neigh/neighbour_table.hpp"

namespace vipgate::control {

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
    // The process runner of the VRRP scripts (tests pass a fake one); by
    // default init() makes an exec::posix_runner. Call before init().
    void use_runner(std::unique_ptr<exec::runner> r) { runner_ = std::move(r); }
    // Where reload() gets the configuration from (set by main).
    std::function<result<config::config>()> config_loader;

    // Clean stop of the protocols: VRRP masters send priority 0 and release
    // their VIPs. Waits (briefly) until worker 0 has transmitted the frames;
    // call before dataplane::stop().
    void shutdown_protocols();

    // ---- event loop ----
    using fd_callback = event_loop::fd_callback;
    void watch_fd(int fd, short events, fd_callback cb) {
        loop_.watch_fd(fd, events, std::move(cb));
    }
    void set_fd_events(int fd, short events) { loop_.set_fd_events(fd, events); }
    void unwatch_fd(int fd) { loop_.unwatch_fd(fd); }
    // Run until request_stop() or the external stop flag; returns 0.
    int run(const std::atomic<bool>* external_stop = nullptr,
            std::atomic<bool>* external_reload = nullptr);
    // Load the configuration again (config_loader) and reload() it; logs the
    // outcome. For SIGHUP and the `reload` command.
    result<std::string> reload_from_source();
    void request_stop(const std::string& reason);
    bool stopping() const { return stop_requested_; }
    const std::string& stop_reason() const { return stop_reason_; }
    // Run one iteration, waiting at most `max_wait` for fds (tests drive the
    // loop with this).
    void run_once(usec max_wait);

    // From any other thread: run `fn` on the control core and wait for its
    // result (at most `timeout`; returns an object with "error" on timeout).
    json call_sync(std::function<json()> fn, usec timeout = std::chrono::seconds(2)) {
        return loop_.call_sync(std::move(fn), timeout);
    }

    // ---- state, control core only ----
    usec now() const { return clock_(); }
    usec started_at() const { return started_at_; }
    shell& sh() { return sh_; }
    const config::config& cfg() const { return cfg_; }
    neigh::table& neighbours() { return neigh_.table(); }
    const control_counters& counters() const { return counters_; }
    const event_loop& loop() const { return loop_; }

    // Ask for `ip` to be resolved on the port whose subnet holds it.
    result<void> resolve(net::ipv4_addr ip) { return neigh_.resolve(now(), ip); }
    std::uint16_t port_index(const std::string& name) const; // 0xffff if unknown

    // ---- reports (one structured value each; rendered by console/telemetry) ----
    summary_report info();
    std::vector<port_row> ports();
    std::vector<arp_row> arp() { return neigh_.report(now()); }
    std::vector<health_row> health_checks();
    std::vector<flow_row> flows(const std::string& vs = {}, std::uint32_t limit = 100);
    json report_ports() { return to_json(ports()); }
    std::vector<port_stats_row> port_stats();
    std::vector<lcore_row> lcores();
    stats_report stats();
    json report_port_stats() { return to_json(port_stats()); }
    json report_lcores() { return to_json(lcores()); }
    json report_stats() { return to_json(stats()); }
    json report_arp() { return to_json(arp()); }
    json report_summary() { return to_json(info()); } // uptime, ports, workers
    std::vector<vrrp_instance_row> vrrp_instances(const std::string& name = {});
    json report_vrrp(const std::string& name = {}) { return to_json(vrrp_instances(name)); }
    json report_vrrp_all() { return report_vrrp(); }
    // `show scripts`: each vrrp_script's status and counters, the notify
    // counters (script_manager::report()).
    json report_scripts() const { return scripts_ ? scripts_->report() : json::object(); }
    void clear_stats();
    vrrp_manager* vrrp() { return vrrp_.get(); }
    lb_manager* lb() { return lb_.get(); }
    // Null without a `sync:` section.
    sync_manager* sync() { return sync_.get(); }
    sync_report sync_status();
    json report_sync() { return to_json(sync_status()); }
    std::vector<virtual_server_row> virtual_servers();
    json report_virtual_servers() { return to_json(virtual_servers()); }
    json report_health() { return to_json(health_checks()); }
    json report_flows(const std::string& vs = {}, std::uint32_t limit = 100) {
        return to_json(flows(vs, limit));
    }
    json report_flows_default() { return report_flows(); }

    // vrrp_host
    bool send_frame(std::uint16_t port, std::span<const std::uint8_t> frame) override;
    void ownership_changed() override { snapshot_dirty_ = true; }
    void before_takeover(const std::string& instance) override;
    std::optional<net::mac_addr> neighbour_mac(std::uint16_t port, net::ipv4_addr ip) override {
        return neigh_.mac_or_resolve(now(), port, ip);
    }
    // Publish a new worker snapshot now if something changed. The loop does
    // this every iteration; operator commands need not.
    void publish_if_dirty();

  private:
    // The loop (control_plane.cpp).
    void add_periodic_tasks();
    void handle_punt(const punt_view& f);
    void check_links();
    void collect_dirty();
    usec next_wakeup(usec now_us) const;
    void resolve_next_hops();
    void run_quorum_scripts();
    std::optional<net::ipv4_addr> gateway_of(std::size_t port) const;

    // Reports (reports.cpp).
    named_counters control_stats() const;

    // Reload (reload.cpp).
    std::vector<std::string> restart_reasons(const config::config& next) const;

    // Health checks (health_wiring.cpp): one checker per checked real server.
    void start_health_checks();
    void refresh_health_reasons();
    void apply_health(const health::actions& a);
    void handle_probe(const punt_view& f);
    bool send_tcp(net::ipv4_addr dst, const net::tcp_spec& tcp, bool& no_route);
    // A checker of real server (vs, rs) reached a verdict (`reporter_up`):
    // the real server is up only while all its checkers are (keepalived).
    void update_rs_health(std::size_t vs, std::size_t rs, bool reporter_up,
                          const std::string& reason);
    bool has_misc(std::size_t vs, std::size_t rs) const;

    // MISC_CHECK (misc_wiring.cpp): one exec::misc_checker per MISC_CHECK of
    // a real server, over the scripts' runner; polled by the "scripts" task.
    struct misc_slot {
        std::size_t vs = 0, rs = 0;
        std::unique_ptr<exec::misc_checker> checker;
        bool dynamic = false; // misc_dynamic
        std::string key; // service, real server, command and settings: kept by a reload if equal
        std::string reason = "not run yet"; // the last run's end, for show health
        std::uint64_t runs = 0, successes = 0, timeouts = 0;
    };
    void start_misc_checks(std::vector<std::string>* warnings);
    // A checker of `old` with this key (taken from it: a reload keeps it
    // running; counted in `kept`), else a new one.
    misc_slot misc_slot_for(std::vector<misc_slot>& old, std::string key,
                            const exec::misc_check_config& c, std::size_t vs, std::size_t rs,
                            bool dynamic, std::size_t& kept);
    void poll_misc(usec now, const std::vector<exec::finished>& done);
    void release_unchecked();
    void apply_misc(misc_slot& m, const exec::misc_step& st);
    void misc_rows(std::vector<health_row>& rows) const;

    // keepalived's real_server notify_up / notify_down (rs_notify.cpp).
    // A health verdict of real server (vs, rs) to lb_manager; when it
    // changes the real server's state, its notify script runs.
    void set_rs_health(std::size_t vs, std::size_t rs, bool up, const std::string& reason);
    // The scripts of `cfg`'s real servers to the script manager.
    void load_rs_notify(const config::config& cfg, std::vector<std::string>* warnings);
    // A reload: before it, the notify_down of each up real server that
    // `next` no longer has (keepalived clear_diff_rs()), taken from the
    // running scripts, and the real servers there were; after it, `next`'s
    // scripts, those notify_downs, and with rs_init_notifies the notify_up
    // of each real server the reload added.
    struct rs_notify_run {
        std::string channel, who;
        std::vector<exec::command> cmds;
    };
    struct rs_reload_notes {
        std::vector<rs_notify_run> removed;
        std::vector<std::string> before; // channels of the real servers in service
    };
    rs_reload_notes rs_notify_before_reload(const config::config& next) const;
    void rs_notify_after_reload(const config::config& next, rs_reload_notes notes);
    // keepalived init_service_rs(): with `cfg`'s rs_init_notifies, the
    // notify_up of every up real server not in `known` (at start: every one).
    void rs_init_notifies(const config::config& cfg, const std::vector<std::string>& known);

    config::config cfg_;
    shell& sh_;
    clock_fn clock_;
    event_loop loop_;
    control_counters counters_;
    neighbour_manager neigh_;
    std::unique_ptr<vrrp_manager> vrrp_;
    std::unique_ptr<lb_manager> lb_;
    std::unique_ptr<sync_manager> sync_;
    // vrrp_script / notify scripts (script_manager.hpp) over one runner.
    std::unique_ptr<exec::runner> runner_;
    std::unique_ptr<exec::file_system> files_;
    std::unique_ptr<script_manager> scripts_;
    result<void> start_scripts(const config::config& cfg, std::vector<std::string>* warnings);
    // Flow-state sync: preemption (of sync.instance, or of every instance)
    // held until the bulk resync completed or sync.resync_timeout passed
    // (sync_gate()).
    bool preempt_held_ = false;
    void sync_gate(usec now);
    std::unique_ptr<health::monitor> health_;
    std::map<health::checker_id, std::pair<std::size_t, std::size_t>> checked_; // -> (vs, rs)
    std::vector<misc_slot> misc_;
    std::vector<exec::finished> misc_done_; // runs the script manager did not claim
    std::uint64_t reloads_ = 0, reloads_failed_ = 0;
    bool snapshot_dirty_ = false;
    std::uint64_t generation_ = 0;
    usec started_at_;
    bool stop_requested_ = false;
    std::string stop_reason_;

    // Link state, polled once a second.
    std::vector<bool> link_up_;

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

} // namespace vipgate::control
