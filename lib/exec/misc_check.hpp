#pragma once
// keepalived's MISC_CHECK (man keepalived.conf, MISC_CHECK; check_misc.c
// misc_check_thread() / misc_check_child_thread() in 2.2.7): the exit-status
// rule, and one checker that runs the script on its schedule with retries.
// Pure: time passed in, processes through the runner seam. Control path
// only; one owner.

#include "common/result.hpp"
#include "exec/runner.hpp"
#include "exec/types.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace vipgate::exec {

struct misc_verdict {
    bool up = false;
    // misc_dynamic with exit status 2..255: the real server's weight becomes
    // status - 2 (0..253). Unset: the configured weight stands.
    std::optional<std::uint32_t> weight;
    std::string reason; // "exited with status 1", "timed out", ...
    friend bool operator==(const misc_verdict&, const misc_verdict&) = default;
};

// Exit 0: up. Without misc_dynamic any other end is down. With it (keepalived
// 2.x): 1 is down, 2..255 up with weight status - 2. A signal, a timeout or a
// failed start is always down.
misc_verdict interpret_misc(const exit_status& st, bool misc_dynamic);

struct misc_check_config {
    command cmd;                               // misc_path and user
    usec delay_loop{std::chrono::seconds{60}}; // the virtual server's
    std::optional<usec> misc_timeout;          // unset (or 0): delay_loop
    bool dynamic = false;                      // misc_dynamic
    std::uint32_t retry = 0;                   // MISC_CHECK's default_retry is 0
    usec delay_before_retry{std::chrono::seconds{1}};
    bool alpha = false; // start DOWN (keepalived: is_up = !alpha)
    usec warmup{0};     // first run at start + warmup (keepalived draws it at random)
};
result<void> validate(const misc_check_config& cfg);

// What one completed run changed.
struct misc_step {
    std::optional<bool> became_up; // set: the checker's state changed (true = UP)
    bool weight_changed = false;   // dynamic_weight() changed
    // keepalived's log line: "Misc check by [/x.sh] failed after 1 retry
    // (exited with status 1)." or "... succeeded."; empty while retrying.
    std::string reason;
};

class misc_checker {
  public:
    misc_checker(runner& r, misc_check_config cfg, usec start);

    // Starts the script when it is due and not running; a command that
    // cannot start counts as a failed run (returned here).
    std::optional<misc_step> tick(usec now);
    // A run ended; nullopt if `f` is not this checker's run.
    std::optional<misc_step> on_finished(const finished& f);
    // When tick() has work; unset while a run is going (the runner times it).
    std::optional<usec> next_deadline() const {
        return running_ ? std::nullopt : std::optional<usec>{next_run_};
    }

    bool is_up() const { return up_; }
    bool has_run() const { return has_run_; }
    // misc_dynamic's weight (exit status - 2), unset: the configured one.
    std::optional<std::uint32_t> dynamic_weight() const { return weight_; }
    std::uint32_t retries_used() const { return retry_it_; }
    const std::optional<exit_status>& last() const { return last_; }

  private:
    misc_step complete(const exit_status& st);
    std::string message(const misc_verdict& v) const;

    runner& runner_;
    misc_check_config cfg_;
    bool up_;
    bool has_run_ = false;
    std::uint32_t retry_it_ = 0;
    std::optional<std::uint32_t> weight_;
    std::optional<handle> running_;
    usec last_ran_{0};
    usec next_run_;
    std::optional<exit_status> last_;
};

} // namespace vipgate::exec
