#pragma once
// Vocabulary of lib/exec: what to run, and how a run ended. Pure: no I/O, no
// clock is read; every call that needs time takes `now`.
//
// The library runs keepalived's external scripts (vrrp_script, notify*,
// MISC_CHECK, quorum_up/down) off the control loop: nothing here ever waits
// for a process.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vipgate::exec {

// Monotonic time since an arbitrary epoch (the control loop derives it from
// its clock, tests start at zero), and every duration of the library.
using usec = std::chrono::microseconds;

// keepalived's `user USERNAME [GROUPNAME]` after name resolution.
struct user_id {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    friend bool operator==(const user_id&, const user_id&) = default;
};

// One process to start. argv[0] is an absolute path (keepalived searches
// PATH for a bare name and warns; vipgate's loader resolves it first).
struct command {
    std::vector<std::string> argv;
    // Extra "NAME=value" entries on top of the runner's base environment.
    std::vector<std::string> env;
    // Killed (SIGTERM to its process group, then SIGKILL) after this long.
    usec timeout{std::chrono::seconds{1}};
    // Run as this user; empty: as vipgate itself.
    std::optional<user_id> user;
    friend bool operator==(const command&, const command&) = default;
};

// How one run ended.
enum class end_kind : std::uint8_t {
    exited,       // code = exit status 0..255
    signalled,    // code = signal number (not sent by the runner)
    timed_out,    // the runner killed it at its timeout; code = the signal that ended it
    spawn_failed, // never started; code = errno
};

struct exit_status {
    end_kind kind = end_kind::exited;
    int code = 0;
    friend bool operator==(const exit_status&, const exit_status&) = default;
};

// keepalived counts only exit status 0 as success (man keepalived.conf,
// "SCRIPTS": a non-zero exit status is a failure).
inline bool succeeded(const exit_status& s) noexcept {
    return s.kind == end_kind::exited && s.code == 0;
}

// keepalived's wording: "exited with status 1", "due to signal 9",
// "timed out", plus "could not start (No such file or directory)".
std::string describe(const exit_status& s);

// keepalived's cmd_str(): every word quoted, for log lines.
std::string quote_command(const std::vector<std::string>& argv);

} // namespace vipgate::exec
