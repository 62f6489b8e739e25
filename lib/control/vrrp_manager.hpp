#pragma once
// The VRRP instances of this gateway on the control core: feeds them adverts
// (punted by workers after validation), timers, link changes and operator
// commands, and carries out their actions — adverts and gratuitous ARPs out
// through the shell, VIP ownership through a new worker snapshot.
//
// Threads: control core only.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "common/result.hpp"
#include "config/config.hpp"
#include "control/reports.hpp"
#include "control/script_manager.hpp"
#include "control/shell.hpp"
#include "pipeline/snapshot.hpp"
#include "vrrp/instance.hpp"
#include "vrrp/sync_group.hpp"

namespace vipgate::control {

using usec = std::chrono::microseconds;

// How often the control loop reads the track_file files (poll_files).
inline constexpr usec track_file_poll = std::chrono::milliseconds(500);

// What the manager needs from the control plane.
class vrrp_host {
  public:
    virtual ~vrrp_host() = default;
    virtual bool send_frame(std::uint16_t port, std::span<const std::uint8_t> frame) = 0;
    virtual void ownership_changed() = 0; // publish a new worker snapshot
    // MAC of a unicast peer, if the neighbour table knows it (else it asks).
    virtual std::optional<net::mac_addr> neighbour_mac(std::uint16_t port, net::ipv4_addr ip) = 0;
    // An instance is about to take its VIPs (before its GARPs): flow-state
    // sync lets the workers install what was received first.
    virtual void before_takeover(const std::string& instance) { (void)instance; }
};

struct vrrp_tx_counters {
    std::uint64_t adverts_sent = 0;
    std::uint64_t adverts_failed = 0;     // no mbuf / ring full
    std::uint64_t unicast_unresolved = 0; // unicast peer MAC unknown: advert not sent
    std::uint64_t garps_sent = 0;
    std::uint64_t punts_bad = 0; // punted frame the control core could not decode
};

class vrrp_manager {
  public:
    static result<std::unique_ptr<vrrp_manager>> make(const config::config& cfg,
                                                      const std::vector<port_info>& ports,
                                                      vrrp_host& host,
                                                      std::vector<std::string>* warnings = nullptr);

    std::size_t size() const { return instances_.size(); }
    bool empty() const { return instances_.empty(); }

    void start(usec now, const std::vector<bool>& link_up);

    // Live reload: `next` (built by make() from the new config, not started)
    // replaces this manager's instances. Instances whose configuration is
    // unchanged keep their object (state, timers, counters); removed ones
    // shut down (priority 0 if MASTER); new or changed ones start. Returns a
    // summary for the log.
    std::string adopt(usec now, vrrp_manager& next, const std::vector<bool>& link_up,
                      const shell& sh);
    void on_punt(usec now, const punt_view& f);
    void on_timer(usec now);
    std::optional<usec> next_deadline() const;
    void link_changed(usec now, std::uint16_t port, bool up);
    // track_file (docs/config.md, "track_file"): reads every tracked file
    // (exec::read_track_file, one small non-blocking read each) and
    // retracks the instances whose file's value changed. The control loop
    // calls it every track_file_poll (keepalived is woken by inotify).
    void poll_files(usec now);
    // Clean stop: masters send priority 0 and release their VIPs.
    void shutdown(usec now);

    // Scripts (docs/scripts.md): notify scripts run on each state change of
    // an instance or sync group; nullptr = none. Not owned.
    void set_scripts(script_manager* s) { scripts_ = s; }
    // track_script results: each instance's priority delta, or FAULT
    // (weight 0 failing, or still unknown: keepalived does not let such an
    // instance become master before the script has reported). Combined
    // with the instance's track_interface ports (retrack()).
    void apply_tracking(usec now, const std::vector<exec::instance_changed>& changes);
    // Every instance's current effect (at start and after a reload).
    void apply_all_tracking(usec now, const script_manager& s);

    // Flow-state sync: no instance (only the instance `only`, when given)
    // preempts a live master while held.
    void hold_preemption(bool hold, const std::string& only = {});
    bool preemption_held(const std::string& name) const;
    result<void> set_priority(usec now, const std::string& name, int priority);
    result<void> resign(usec now, const std::string& name);
    result<void> resume(usec now, const std::string& name);

    // Is `ip` a virtual address of some instance (managed), and of a MASTER
    // instance (held)?
    bool manages(net::ipv4_addr ip) const;
    bool holds(net::ipv4_addr ip) const;

    // Worker view: owned VIPs, virtual MACs and the VRRP table per port
    // (the builder sorts each port's instances by VRID).
    void fill_snapshot(pipeline::snapshot_builder& b) const;

    // Reports. `rejects` reads the workers' counters.
    std::vector<vrrp_instance_row> report(usec now, const shell& sh,
                                          const std::string& only = {}) const;
    // The control core's send counters and the workers' rejections of
    // adverts that matched no instance, by reason.
    json tx_report(const shell& sh) const;
    // Log new worker rejections (rate-limited); call about once a second.
    void log_rejections(usec now, const shell& sh);

  private:
    struct slot {
        std::string name;
        std::uint16_t port = 0;
        std::string port_name;
        net::mac_addr port_mac;
        net::mac_addr vmac;                               // 00:00:5e:00:01:VRID
        std::shared_ptr<const vrrp::instance_config> cfg; // normalized; shared with snapshots
        std::unique_ptr<vrrp::instance> inst;             // stable address (sync groups)
        bool owns_vips = false;
        std::uint8_t row = 0; // counter row in worker_stats (stable across reloads)
        // A row reused after a reload: what its previous owner left, per
        // reason (reports and logs subtract it).
        std::vector<std::uint64_t> reject_base;
        int group = -1;                         // index into groups_
        std::vector<std::uint64_t> reject_seen; // per reason, last logged totals
        std::uint64_t reject_log_suppressed = 0;
        usec reject_log_window{0};
        unsigned reject_log_count = 0;
        // track_interface (config::tracked_interfaces): port index, weight.
        struct link_track {
            std::uint16_t port = 0;
            std::string name;
            int weight = 0;
            bool reverse = false;
        };
        std::vector<link_track> links;
        // track_file (add_file_tracks): the value of `path` times the weight.
        struct file_track {
            std::string name, path;
            int weight = 0;
            bool reverse = false;
        };
        std::vector<file_track> files;
        exec::track_effect scripts; // the track_scripts' total (script_manager)
        std::string script_reason;  // the script behind its last change
    };

    // One vrrp_sync_group: its sync_group runs over its members' instance
    // objects (so it is rebuilt when a reload swaps objects).
    struct group {
        std::string name;
        std::vector<std::size_t> members; // slot indices, in the config's order
        std::unique_ptr<vrrp::sync_group> sync;
        // Last state announced to the group's notify scripts.
        std::optional<vrrp::instance_state> notified;
    };
    void track_one(usec now, std::size_t idx, const exec::track_effect& e,
                   const std::string& reason);
    // Applies everything the instance tracks: its scripts' total and its
    // ports' links, summed by exec::add (keepalived's total_priority).
    void retrack(usec now, std::size_t idx);
    void add_link_tracks(const config::config& cfg, const std::vector<port_info>& ports);
    void add_file_tracks(const config::config& cfg);
    // init_file of the tracked files, then every file's value; true if one
    // changed.
    bool read_files(bool init, bool reload);
    void notify_scripts(usec now, std::size_t idx, const vrrp::notify& n);

    vrrp_manager(vrrp_host& host) : host_(host) {}
    vrrp_instance_row instance_report(usec now, const shell& sh, const slot& s) const;
    void add_rejections(const shell& sh, const slot& s, vrrp_instance_row& r) const;
    // Builds the group over instances_[members] and marks them as its own.
    result<void> add_group(const std::string& name, std::vector<std::size_t> members);
    static vrrp::time_point tp(usec now) { return vrrp::time_point{now}; }
    void apply(usec now, std::size_t idx, std::vector<vrrp::action>& acts);
    void apply_one(usec now, std::size_t idx, const vrrp::action& a);
    void after_input(usec now, std::size_t idx, std::vector<vrrp::action>& acts);
    // resign/resume of a sync group member act on the whole group
    // (vrrp::sync_group::resign/resume hold the rule).
    result<void> group_admin(usec now, std::size_t idx, bool resign);
    void send_advert(std::size_t idx, std::uint8_t priority);
    void send_garps(std::size_t idx, std::uint32_t count);
    int find(const std::string& name) const;

    vrrp_host& host_;
    script_manager* scripts_ = nullptr;
    std::vector<slot> instances_;
    std::vector<group> groups_;
    std::vector<bool> link_up_; // per port, as the control plane saw it last
    // track_file: the last valid value of each tracked path (0 until read:
    // keepalived's value of a missing file), and the init_file settings.
    std::map<std::string, std::int64_t, std::less<>> file_values_;
    std::vector<config::track_file_config> file_inits_;
    vrrp_tx_counters tx_;
    std::vector<std::uint8_t> frame_buf_ = std::vector<std::uint8_t>(2048);
    usec unknown_log_window_{0};
    std::vector<std::uint64_t> unknown_seen_;
};

} // namespace vipgate::control
