#pragma once
// keepalived's VRRP scripts on the control core (docs/scripts.md): the
// vrrp_script / track_script tracker and the notify_* dispatcher of the VRRP
// instances and sync groups, over one exec::runner that it polls without
// blocking from a periodic task of the event loop.
//
// It decides nothing about VRRP: tracker results come back as
// exec::instance_changed (a priority delta, FAULT, or pending) for
// vrrp_manager to apply, and vrrp_manager reports each state change here so
// the notify scripts run.
//
// Threads: control core only.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "common/result.hpp"
#include "config/config.hpp"
#include "exec/notify.hpp"
#include "exec/runner.hpp"
#include "exec/security.hpp"
#include "exec/tracker.hpp"

namespace vipgate::control {

using usec = std::chrono::microseconds;

// How long a notify script may run before it is killed (keepalived waits
// for none; vipgate must reap them and runs them in order per channel).
inline constexpr usec notify_timeout = std::chrono::seconds(10);

class script_manager {
  public:
    // Every vrrp_script tracked by an instance or a sync group (a group's
    // track_script is tracked by each member; config::sync_track_weight()
    // decides the weights, with a warning when it changes one), and the
    // notify scripts.
    // Users are resolved with getpwnam/getgrnam; each script path is checked
    // with exec::check_script (enable_script_security disables an unsafe one,
    // with a warning; otherwise an unsafe one runs with a warning).
    static result<std::unique_ptr<script_manager>> make(const config::config& cfg, exec::runner& r,
                                                        const exec::file_system& fs,
                                                        std::vector<std::string>* warnings);

    // Everything of `cfg` this manager is built from, as text: a reload
    // with the same signature keeps the running manager (script states and
    // counters), so an unchanged weight-0 script does not fault its
    // instances again while it reruns.
    static std::string signature(const config::config& cfg);

    bool empty() const { return tracked_ == 0 && notify_.empty() && quorum_.empty(); }

    // Starts due runs, collects ended ones; appends what instances must do.
    // Runs of the shared runner that are not this manager's (MISC_CHECK)
    // are appended to `others` (dropped when it is null).
    void poll(usec now, std::vector<exec::instance_changed>& changes,
              std::vector<exec::finished>* others = nullptr);
    // The current effect of the tracked scripts on an instance.
    exec::track_effect effect(const std::string& instance) const {
        return tracker_.effect(instance);
    }

    // A state change of an instance (kind instance) or a sync group (kind
    // group; priority 0): keepalived's notify_<state> then `notify`.
    void notify(usec now, exec::vrrp_kind kind, const std::string& name, exec::vrrp_state state,
                std::uint8_t priority);
    // notify_master_rx_lower_pri of an instance (configured words only).
    void master_rx_lower_pri(usec now, const std::string& instance);
    // A virtual server's quorum gained / lost: its quorum_up / quorum_down
    // (configured words only, keepalived's do_vs_notifies()), in order on the
    // channel "VS <vs>"; `vs` as keepalived writes it, "[10.0.0.1]:tcp:80".
    void quorum(usec now, const std::string& vs, bool up);
    // The channel name of that virtual server's quorum scripts.
    static std::string quorum_channel(net::ipv4_addr vip, std::uint16_t port, lb::protocol proto);

    // keepalived's real_server notify_up / notify_down (check_parser.c;
    // ipwrapper.c do_rs_notifies()), each prepared as every keepalived
    // script (prepare_command(); one that may not run is disabled with a
    // warning). Replaces the previous set (a reload); the counters of real
    // servers that stay are kept.
    void set_rs_notify(const config::config& cfg, const exec::file_system& fs,
                       std::vector<std::string>* warnings);
    // A real server's notify channel, keepalived's FMT_RS and FMT_VS:
    // "RS [10.2.0.11]:tcp:8080 [10.1.0.100]:tcp:80".
    static std::string rs_channel(const config::virtual_server_config& vs,
                                  const config::real_server_entry& rs);
    // What the real server runs on going up / down: its script with the
    // configured words only (empty: none configured or disabled).
    std::vector<exec::command> rs_commands(const std::string& channel, bool up) const;
    // Runs `cmds` on the real server's channel after its earlier transitions
    // (logged with `who` and the new state, counted for `show scripts`).
    void rs_notify(usec now, const std::string& channel, const std::string& who, bool up,
                   std::vector<exec::command> cmds);

    // `show scripts`: each vrrp_script's status and counters, the notify
    // counters, each real server's notify_up / notify_down runs.
    json report() const;

    // The command one script runs as, with the rules of every keepalived
    // script (vrrp_script, notify, MISC_CHECK): its own user, else
    // global_defs script_user, else vipgate's; a bare name searched in PATH
    // (a warning); exec::check_script's security rules (an unsafe script is
    // refused with enable_script_security, else a warning). An error, which
    // starts with `what`, says why it must not run.
    static result<exec::command> prepare_command(const config::script_globals& globals,
                                                 const exec::file_system& fs,
                                                 std::vector<std::string> argv,
                                                 const std::string& user, const std::string& group,
                                                 const std::string& what,
                                                 std::vector<std::string>* warnings);

  private:
    explicit script_manager(exec::runner& r) : runner_(r), tracker_(r), dispatcher_(r) {}
    // envp: the loader's environment (script_manager.cpp).
    result<void> add_scripts(const config::config& cfg, const void* envp);
    result<void> add_track(const config::config& cfg, const config::vrrp_instance_config& vi,
                           const config::track_script_ref& t, bool group,
                           std::vector<std::string>* warnings);
    void log_actions(std::vector<exec::tracker_action>& acts,
                     std::vector<exec::instance_changed>& changes);
    void log_notify(std::vector<exec::notify_action>& acts);

    exec::runner& runner_;
    exec::script_tracker tracker_;
    exec::notify_dispatcher dispatcher_;
    std::vector<std::string> script_names_;
    std::size_t tracked_ = 0; // track lines
    // Per instance ("INSTANCE NAME") / group ("GROUP NAME").
    std::map<std::string, exec::vrrp_notify_scripts, std::less<>> notify_;
    std::map<std::string, exec::script_line, std::less<>> rx_lower_;
    // Per real server channel (rs_channel()).
    struct rs_notify_scripts {
        std::string virtual_server; // "10.1.0.100:80/tcp"
        std::string real_server;    // "10.2.0.11:8080"
        std::optional<exec::script_line> up, down;
        std::uint64_t up_runs = 0, down_runs = 0, failed = 0;
        std::string last; // "UP" / "DOWN": the last transition submitted
    };
    std::map<std::string, rs_notify_scripts, std::less<>> rs_notify_;
    // Per virtual server channel ("VS [10.0.0.1]:tcp:80"): quorum_up, quorum_down.
    struct quorum_scripts {
        std::optional<exec::script_line> up, down;
    };
    std::map<std::string, quorum_scripts, std::less<>> quorum_;
    std::vector<exec::finished> done_;
};

} // namespace vipgate::control
