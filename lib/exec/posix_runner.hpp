#pragma once
// The real runner: posix_spawn(), one process group per run, killed on
// timeout, reaped with waitpid(WNOHANG). Control path only.
//
// What a child gets (keepalived's system_call_script() and set_std_fd() are
// the model; lib/notify.c in 2.2.7):
//  * stdin from /dev/null, stdout/stderr inherited, every other descriptor
//    closed (posix_spawn_file_actions_addclosefrom_np(3)), so the af_packet
//    sockets, the control socket and the hugepage files never leak into it;
//  * its own process group (POSIX_SPAWN_SETPGROUP, keepalived's setpgid(0,0))
//    so a timeout kills the script and everything it started;
//  * an empty signal mask and default dispositions (POSIX_SPAWN_SETSIGMASK,
//    POSIX_SPAWN_SETSIGDEF): vipgate may block or ignore signals itself.
// Not done: keepalived's PR_SET_PDEATHSIG (posix_spawn cannot set it); the
// runner's destructor kills every group still running instead.
//
// Timeout: SIGTERM to the group, then SIGKILL `kill_grace` later if the
// leader still runs (keepalived: vrrp_script_child_thread(), 2 s); once the
// leader ends after a SIGTERM the rest of the group gets SIGKILL.
//
// `user` (keepalived's set_script_env(): setgid, setgroups to that one
// group, setuid): posix_spawn cannot change user between fork and exec, so
// the child execs util-linux's setpriv(1) with --regid/--groups/--reuid,
// which then execs the script (same pid, same process group). Only root can
// switch; without root, or without setpriv, a command whose user differs
// from the runner's own is refused with an error, never run as the wrong
// user.
//
// SIGCHLD must not be SIG_IGN in the process (the kernel would then reap
// the children itself and waitpid() could not report them).

#include "exec/runner.hpp"

#include <string>
#include <sys/types.h>
#include <unordered_map>

namespace vipgate::exec {

class posix_runner final : public runner {
  public:
    explicit posix_runner(usec kill_grace = std::chrono::seconds{2},
                          std::string setpriv = "/usr/bin/setpriv");
    ~posix_runner() override;
    posix_runner(const posix_runner&) = delete;
    posix_runner& operator=(const posix_runner&) = delete;

    result<handle> start(const command& cmd, usec now) override;
    void poll(usec now, std::vector<finished>& out) override;
    std::size_t running() const override { return children_.size(); }

    // The process group of a running handle (tests look for leftovers).
    std::optional<pid_t> group_of(handle h) const;

  private:
    struct child {
        pid_t pid = 0;
        usec deadline{0};
        std::optional<usec> kill_at; // SIGTERM sent; SIGKILL at this time
    };
    // Reaps `c` if it has ended; returns its status.
    std::optional<exit_status> try_reap(child& c);
    void enforce_timeout(child& c, usec now);
    // argv to exec: cmd.argv, behind setpriv when it switches user.
    result<std::vector<std::string>> argv_for(const command& cmd) const;

    usec kill_grace_;
    std::string setpriv_;
    handle next_ = 1;
    std::unordered_map<handle, child> children_;
};

} // namespace vipgate::exec
