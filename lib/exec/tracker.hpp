#pragma once
// keepalived's vrrp_script / track_script (man keepalived.conf, "VRRP
// script(s)"; vrrp_scheduler.c vrrp_script_thread() and
// vrrp_script_child_thread(), vrrp_track.c in 2.2.7): runs each tracked
// script every `interval`, counts rise/fall, and turns each script's state
// into what the tracking instances must do (a priority delta, or FAULT for
// an unweighted script).
//
// Pure: time is passed in and processes go through the runner seam, so
// tests drive it with a fake clock and a fake runner. Control path only;
// one owner (the control loop), not thread-safe.

#include "common/result.hpp"
#include "exec/runner.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vipgate::exec {

struct script_config {
    std::string name;
    // argv and user; its timeout is replaced by `timeout` below.
    command cmd;
    usec interval{std::chrono::seconds{1}}; // keepalived VRRP_SCRIPT_DI
    // keepalived VRRP_SCRIPT_DT = 0: "not set" means the interval.
    std::optional<usec> timeout;
    int weight = 0; // -253..253 (keepalived VRRP_SCRIPT_DW = 0)
    bool weight_reverse = false;
    std::uint32_t rise = 1; // successes before OK
    std::uint32_t fall = 1; // failures before KO
    bool init_fail = false; // "assume script initially is in failed state"
};

// A vrrp_instance's (or sync group member's) `track_script` line. Weight and
// reverse default to the script's (vrrp_track.c: "default weight").
struct track_config {
    std::string instance;
    std::string script;
    std::optional<int> weight;
    std::optional<bool> reverse;
};

result<void> validate(const script_config& cfg);

// unknown: not run yet (keepalived SCRIPT_INIT_STATE_INIT).
enum class script_status : std::uint8_t { unknown, ok, failed };
std::string_view status_name(script_status s) noexcept; // "unknown" / "OK" / "KO"

// What one script's state does to one tracking instance.
struct track_effect {
    int priority_delta = 0; // added to the base priority
    bool fault = false;     // weight 0: the instance must be in FAULT
    bool pending = false;   // weight 0, not run yet: the instance waits
    friend bool operator==(const track_effect&, const track_effect&) = default;
};

// keepalived process_script_update_priority() and
// initialise_track_script_state(): a positive weight is added while the
// script is OK, a negative one while it fails; reverse swaps the sign;
// weight 0 means FAULT while failing (while OK with reverse). Before the
// first result nothing is added, and a weight-0 script holds the instance.
track_effect effect_of(int weight, bool reverse, script_status s) noexcept;
// Several tracked objects on one instance (keepalived's total_priority and
// num_script_if_fault): the deltas add up, any fault or pending counts.
// track_interface uses effect_of() and add() too (control::vrrp_manager),
// with a port's link up as ok and down as failed (vrrp_track.c
// initialise_interface_tracking_priorities() is the script rule).
void add(track_effect& total, const track_effect& e) noexcept;

// --- Actions --------------------------------------------------------------
// A script changed state; `reason` is keepalived's log line
// ("VRRP_Script(chk) succeeded", "VRRP_Script(chk) failed (exited with
// status 1)", "VRRP_Script(chk) timed_out").
struct script_changed {
    std::string script;
    script_status from = script_status::unknown;
    script_status to = script_status::unknown;
    std::string reason;
    friend bool operator==(const script_changed&, const script_changed&) = default;
};
// The sum of an instance's track effects changed: apply the new delta to
// its priority, or enter/leave FAULT.
struct instance_changed {
    std::string instance;
    track_effect total;
    std::string reason; // the script that caused it
    friend bool operator==(const instance_changed&, const instance_changed&) = default;
};
// Worth a log line: "Script `chk` now returning 1", a skipped run, a
// command that could not start.
struct tracker_log {
    std::string text;
    friend bool operator==(const tracker_log&, const tracker_log&) = default;
};
using tracker_action = std::variant<script_changed, instance_changed, tracker_log>;

struct script_counters {
    std::uint64_t runs = 0;
    std::uint64_t successes = 0;
    std::uint64_t failures = 0; // includes timeouts and spawn failures
    std::uint64_t timeouts = 0;
    std::uint64_t spawn_failures = 0;
    std::uint64_t skipped = 0; // due while the previous run still ran
    std::optional<exit_status> last;
};

class script_tracker {
  public:
    explicit script_tracker(runner& r) : runner_(r) {}

    result<void> add_script(script_config cfg);
    // The script must exist; one track per (instance, script).
    result<void> add_track(const track_config& t);

    // Starts every run that is due. The first tick runs every tracked
    // script at once (keepalived thread_add_event at startup); then every
    // `interval` from the previous start. Only tracked scripts run ("the
    // script will only be executed if at least one VRRP instance monitors
    // it").
    void tick(usec now, std::vector<tracker_action>& out);
    // A run ended; false if `f` is not one of this tracker's runs.
    bool on_finished(const finished& f, std::vector<tracker_action>& out);
    std::optional<usec> next_deadline() const;

    script_status status(std::string_view script) const;
    const script_counters* counters(std::string_view script) const;
    // The current total for an instance (all zero if it tracks nothing).
    track_effect effect(std::string_view instance) const;

  private:
    struct tracked {
        script_config cfg;
        script_status status = script_status::unknown;
        // keepalived's `result`: 0..rise-1 = KO, rise..rise+fall-1 = OK.
        std::uint32_t result = 0;
        std::optional<usec> next_run;
        std::optional<handle> running;
        int last_code = -1;
        script_counters stats;
    };
    struct track {
        std::string instance;
        std::string script;
        int weight = 0;
        bool reverse = false;
    };

    void run(tracked& s, usec now, std::vector<tracker_action>& out);
    void record(tracked& s, const exit_status& st, std::vector<tracker_action>& out);
    std::optional<script_status> count(tracked& s, bool success);
    void set_status(tracked& s, script_status to, const exit_status& st,
                    std::vector<tracker_action>& out);
    bool is_tracked(const std::string& script) const;

    runner& runner_;
    std::map<std::string, tracked, std::less<>> scripts_;
    std::vector<track> tracks_;
    std::map<std::string, track_effect, std::less<>> totals_;
};

} // namespace vipgate::exec
