#pragma once
// keepalived's notify scripts and notify FIFO lines (man keepalived.conf,
// vrrp_sync_group / vrrp_instance notify*, real_server notify_up/down,
// virtual_server quorum_up/down, global_defs notify_fifo; vrrp_notify.c and
// check/ipwrapper.c in 2.2.7), with one difference the issue asks for:
// keepalived starts notify scripts and does not wait for them, so they can
// run out of order (its issues #996, #2407); vipgate runs them in
// transition order, one at a time per instance / group / real server, and
// in parallel across them.
//
// Pure: processes go through the runner seam. Control path only; one owner.

#include "exec/runner.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vipgate::exec {

// --- What to run for one transition ---------------------------------------

// One configured script line: "notify_master /path/x.sh arg" [user [group]].
struct script_line {
    std::vector<std::string> argv;
    std::optional<user_id> user;
};

// A vrrp_instance's or vrrp_sync_group's notify scripts.
struct vrrp_notify_scripts {
    std::optional<script_line> master, backup, fault, stop;
    std::optional<script_line> generic; // `notify`
};

enum class vrrp_kind : std::uint8_t { instance, group };
enum class vrrp_state : std::uint8_t { master, backup, fault, stop };
std::string_view kind_name(vrrp_kind k) noexcept;   // "INSTANCE" / "GROUP"
std::string_view state_name(vrrp_state s) noexcept; // "MASTER" / "BACKUP" / "FAULT" / "STOP"

// keepalived send_instance_notifies() / send_group_notifies(): the
// notify_<state> script with only its configured arguments, then `notify`
// with four more: INSTANCE|GROUP, the name, the state, the priority (0 for
// a group). Each command gets `timeout`.
std::vector<command> vrrp_notify_commands(const vrrp_notify_scripts& s, vrrp_kind kind,
                                          std::string_view name, vrrp_state state,
                                          std::uint8_t priority, usec timeout);

// notify_up / notify_down of a real server, quorum_up / quorum_down of a
// virtual server: the configured line as is (do_rs_notifies(),
// do_vs_notifies()). Empty when that script is not configured.
std::vector<command> updown_commands(const std::optional<script_line>& up,
                                     const std::optional<script_line>& down, bool is_up,
                                     usec timeout);

// --- notify_fifo lines ----------------------------------------------------
// vrrp_notify.c notify_fifo(): `INSTANCE "VI_1" MASTER 100` and
// `GROUP "G1" BACKUP 0` (a group's priority is always 0), newline ended.
std::string fifo_line(vrrp_kind kind, std::string_view name, vrrp_state state,
                      std::uint8_t priority);
// Instance events that are not state changes, FIFO only (man
// keepalived.conf: "MASTER_RX_LOWER_PRI" when a master hears a lower
// priority, "MASTER_PRIORITY" / "BACKUP_PRIORITY" when the priority changes
// and notify_priority_changes is set): `INSTANCE "VI_1" MASTER_PRIORITY 90`.
enum class vrrp_event : std::uint8_t { master_rx_lower_pri, master_priority, backup_priority };
std::string fifo_line(std::string_view instance, vrrp_event event, std::uint8_t priority);
// ipwrapper.c notify_fifo_vs() / notify_fifo_rs(), with keepalived's
// FMT_VS / FMT_RS spellings passed in ("[192.168.201.15]:tcp:80", see
// health::format_endpoint): `VS [192.168.201.15]:tcp:80 UP` and
// `RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN`.
std::string fifo_line_vs(std::string_view vs, bool up);
std::string fifo_line_rs(std::string_view rs, std::string_view vs, bool up);

// --- The dispatcher -------------------------------------------------------

struct dispatcher_limits {
    // Transitions waiting per channel (the running one not counted). When
    // full, the oldest waiting transition is dropped: the latest state is
    // what a script must end up seeing.
    std::size_t queue_per_channel = 8;
};

// Actions for the owner to log.
struct notify_dropped {
    std::string channel;
    std::uint64_t transitions = 0; // this drop
    std::uint64_t total = 0;       // dropped on this channel so far
    friend bool operator==(const notify_dropped&, const notify_dropped&) = default;
};
struct notify_failed {
    std::string channel;
    std::string command; // quote_command(argv)
    exit_status status;
    std::string detail; // the runner's error when it could not start
    friend bool operator==(const notify_failed&, const notify_failed&) = default;
};
using notify_action = std::variant<notify_dropped, notify_failed>;

struct dispatcher_counters {
    std::uint64_t transitions = 0; // submitted
    std::uint64_t started = 0;
    std::uint64_t succeeded = 0;
    std::uint64_t failed = 0; // non-zero exit, signal, timeout, could not start
    std::uint64_t timed_out = 0;
    std::uint64_t dropped = 0; // transitions lost to a full queue
};

class notify_dispatcher {
  public:
    explicit notify_dispatcher(runner& r, dispatcher_limits limits = {})
        : runner_(r), limits_(limits) {}

    // One transition of `channel` (e.g. "INSTANCE VI_1", "GROUP G1",
    // "RS [10.0.0.2]:tcp:80"): its commands run in order after every
    // earlier transition's of the same channel. An empty list is a no-op.
    void submit(std::string_view channel, std::vector<command> cmds, usec now,
                std::vector<notify_action>& out);
    // A run ended; false if `f` is not one of this dispatcher's runs.
    bool on_finished(const finished& f, usec now, std::vector<notify_action>& out);

    const dispatcher_counters& counters() const { return stats_; }
    std::uint64_t dropped(std::string_view channel) const;
    // Transitions waiting (not running) on a channel.
    std::size_t waiting(std::string_view channel) const;
    bool busy(std::string_view channel) const;

  private:
    struct channel_state {
        std::deque<std::vector<command>> waiting; // transitions not started
        std::vector<command> current;             // rest of the running one
        std::optional<handle> running;
        std::string running_command;
        std::uint64_t dropped = 0;
    };
    void start_next(const std::string& name, channel_state& c, usec now,
                    std::vector<notify_action>& out);
    void ended(const std::string& name, const std::string& cmd, const exit_status& st,
               std::vector<notify_action>& out);

    runner& runner_;
    dispatcher_limits limits_;
    std::map<std::string, channel_state, std::less<>> channels_;
    dispatcher_counters stats_;
};

} // namespace vipgate::exec
