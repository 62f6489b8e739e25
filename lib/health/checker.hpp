#pragma once
// One keepalived TCP_CHECK on one real server: when to probe, and what a
// probe's outcome does to the server's state. The scheduling and state rules
// are keepalived 2.2's (check_tcp.c tcp_epilog(), check_data.c
// validate_check_config(), check_api.c register_checkers_thread()); see
// docs/health-checks.md. The checker does not send anything: tick() says
// "send probe N now", the caller sends it and reports how it ended.
//
// Control path only (allocation allowed for reason strings). Not thread-safe:
// one owner, the control core.

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "health/types.hpp"

namespace vipgate::health {

struct checker_config {
    endpoint target; // where SYNs go: connect_ip:connect_port, or the real server
    // Defaults are keepalived's for TCP_CHECK.
    usec delay_loop = std::chrono::seconds{60};        // between checks
    usec connect_timeout = std::chrono::seconds{5};    // an unanswered probe fails after this
    std::uint32_t retry = 1;                           // retries after a failure before DOWN
    usec delay_before_retry = std::chrono::seconds{1}; // between those retries
    // Delay before the first probe. keepalived draws it at random in
    // [0, warmup] (warmup defaults to delay_loop) so that checks of one real
    // server from many virtual servers do not all start together; vipgate
    // takes the drawn value from the caller and defaults to 0.
    usec warmup{0};
    // keepalived's `alpha`: the server starts DOWN and needs one successful
    // probe to come UP. Without it the server starts UP (and, as in
    // keepalived, the very first failure takes it DOWN without retries).
    bool alpha = false;
};

// delay_loop and connect_timeout must be positive; no duration negative.
result<void> validate(const checker_config& cfg);

// A probe tick() asks the caller to send now.
struct probe {
    std::uint32_t id = 0; // never 0; increases by one per probe
    usec deadline{0};     // sent + connect_timeout: tick() fails it then
};

// A change of the checker's state.
struct transition {
    state from = state::up;
    state to = state::up;
    usec at{0};
    outcome cause = outcome::alive; // the probe outcome that decided it
    std::uint32_t failures = 0;     // consecutive failed probes (0 for an UP)
    // keepalived's log line(s): "TCP connection to [10.0.0.2]:tcp:80 success."
    // or "TCP connection to [10.0.0.2]:tcp:80 timed out. TCP_CHECK on
    // service [10.0.0.2]:tcp:80 failed after 1 retries."
    std::string reason;
};

// What one call produced. At most one of each: a checker has at most one
// probe outstanding, and one completion makes at most one transition.
struct step {
    std::optional<std::uint32_t> completed; // probe that ended in this call
    std::optional<outcome> result;          // ...and how
    std::optional<transition> change;
    std::optional<probe> send; // send this probe now (tick() only)
};

struct checker_counters {
    std::uint64_t probes_sent = 0;
    std::uint64_t successes = 0;
    std::uint64_t refused = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t no_route = 0;
    std::uint64_t cancelled = 0;     // probes the caller could not send (rescheduled)
    std::uint64_t stale_results = 0; // on_result() for a probe that is not outstanding
    std::uint64_t ups = 0;           // DOWN -> UP transitions
    std::uint64_t downs = 0;         // UP -> DOWN transitions
    std::optional<usec> last_check;  // when the last probe ended
    std::optional<outcome> last_result;
    std::string last_reason; // message of the last completed probe

    std::uint64_t failures() const { return refused + timeouts + no_route; }
    std::uint64_t transitions() const { return ups + downs; }
};

class checker {
  public:
    // `cfg` must pass validate(). The first probe is due at start + warmup.
    checker(const checker_config& cfg, usec start);

    // Advance time: fails the outstanding probe once its deadline has passed
    // (as of the deadline, so a late tick does not shift the schedule), then
    // asks for a new probe if one is due.
    step tick(usec now);

    // The outcome of probe `probe_id` (alive / refused from the probe table,
    // no_route from the caller; timeout is tick()'s job but is accepted too).
    // A result for a probe that is not outstanding is counted and ignored
    // (empty step).
    step on_result(usec now, std::uint32_t probe_id, outcome o);

    // The caller could not send probe `probe_id` (no probe port free):
    // keepalived's "Rescheduling" path, the next probe after delay_loop, no
    // state change. Returns false if that probe is not outstanding.
    bool cancel(usec now, std::uint32_t probe_id);

    // When tick() next has something to do: the outstanding probe's deadline,
    // or when the next probe is due.
    usec next_deadline() const;

    state current() const { return up_ ? state::up : state::down; }
    bool is_up() const { return up_; }
    bool has_run() const { return has_run_; } // a probe has completed
    std::optional<std::uint32_t> outstanding() const;
    // keepalived's retry_it: failures counted towards `retry` while UP.
    std::uint32_t retries_used() const { return retry_it_; }
    std::uint32_t consecutive_failures() const { return consecutive_failures_; }
    const checker_config& config() const { return cfg_; }
    const checker_counters& stats() const { return stats_; }

  private:
    step complete(usec at, outcome o);

    checker_config cfg_;
    bool up_;
    bool has_run_ = false;
    std::uint32_t retry_it_;
    std::uint32_t consecutive_failures_ = 0;
    std::uint32_t last_id_ = 0;
    bool pending_ = false;
    usec sent_at_{0};
    usec next_probe_;
    checker_counters stats_;
};

} // namespace vipgate::health
