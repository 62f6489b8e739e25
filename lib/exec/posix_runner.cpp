#include "exec/posix_runner.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace vipgate::exec {
namespace {

// posix_spawn's attributes and file actions, released on every path.
struct spawn_setup {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    spawn_setup() {
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&actions);
    }
    ~spawn_setup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    spawn_setup(const spawn_setup&) = delete;
    spawn_setup& operator=(const spawn_setup&) = delete;
};

// Own process group, clean signal state; stdin /dev/null; fds >= 3 closed.
int prepare(spawn_setup& s) {
    sigset_t none;
    sigset_t all;
    sigemptyset(&none);
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    int rc = posix_spawnattr_setflags(&s.attr, flags);
    rc = rc ? rc : posix_spawnattr_setpgroup(&s.attr, 0);
    rc = rc ? rc : posix_spawnattr_setsigmask(&s.attr, &none);
    rc = rc ? rc : posix_spawnattr_setsigdefault(&s.attr, &all);
    rc = rc ? rc : posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
    rc = rc ? rc : posix_spawn_file_actions_addclosefrom_np(&s.actions, 3);
    return rc;
}

// argv/envp as the C arrays posix_spawn wants (pointing into `words`).
std::vector<char*> c_array(const std::vector<std::string>& words) {
    std::vector<char*> out;
    out.reserve(words.size() + 1);
    for (const auto& w : words) {
        out.push_back(const_cast<char*>(w.c_str()));
    }
    out.push_back(nullptr);
    return out;
}

// "NAME=" of an environment entry.
std::string_view env_name(std::string_view entry) {
    return entry.substr(0, entry.find('=') + 1);
}

// vipgate's environment with `extra` added; an extra entry replaces an
// inherited one of the same name (getenv() would find the first).
std::vector<char*> environment(const std::vector<std::string>& extra) {
    std::vector<char*> out;
    for (char** e = environ; e && *e; ++e) {
        const auto name = env_name(*e);
        const bool replaced = std::any_of(
            extra.begin(), extra.end(), [&](const std::string& x) { return env_name(x) == name; });
        if (!replaced) {
            out.push_back(*e);
        }
    }
    for (const auto& w : extra) {
        out.push_back(const_cast<char*>(w.c_str()));
    }
    out.push_back(nullptr);
    return out;
}

exit_status from_wait(int st, bool we_signalled) {
    if (WIFSIGNALED(st)) {
        const int sig = WTERMSIG(st);
        return {we_signalled ? end_kind::timed_out : end_kind::signalled, sig};
    }
    // A script that handles our SIGTERM and exits still ran out of time.
    if (we_signalled) {
        return {end_kind::timed_out, 0};
    }
    return {end_kind::exited, WEXITSTATUS(st)};
}

} // namespace

posix_runner::posix_runner(usec kill_grace, std::string setpriv)
    : kill_grace_(kill_grace), setpriv_(std::move(setpriv)) {}

posix_runner::~posix_runner() {
    // keepalived sets PR_SET_PDEATHSIG = SIGTERM on its scripts; the closest
    // posix_spawn allows is killing what is left when the runner goes.
    for (auto& [id, c] : children_) {
        kill(-c.pid, SIGKILL);
        int st = 0;
        waitpid(c.pid, &st, 0);
    }
}

result<handle> posix_runner::start(const command& cmd, usec now) {
    if (cmd.argv.empty() || cmd.argv[0].empty()) {
        return make_error("no command to run");
    }
    auto words = argv_for(cmd);
    if (!words) {
        return words.err();
    }
    spawn_setup setup;
    if (const int rc = prepare(setup); rc != 0) {
        return make_error(std::string{"posix_spawn setup: "} + std::strerror(rc));
    }
    auto argv = c_array(*words);
    auto envp = environment(cmd.env);
    pid_t pid = 0;
    const int rc =
        posix_spawn(&pid, argv[0], &setup.actions, &setup.attr, argv.data(), envp.data());
    if (rc != 0) {
        return make_error("cannot run " + cmd.argv[0] + ": " + std::strerror(rc));
    }
    const handle id = next_++;
    children_.emplace(id, child{pid, now + cmd.timeout, std::nullopt});
    return id;
}

result<std::vector<std::string>> posix_runner::argv_for(const command& cmd) const {
    if (!cmd.user || (cmd.user->uid == geteuid() && cmd.user->gid == getegid())) {
        return cmd.argv;
    }
    const std::string who = std::to_string(cmd.user->uid) + ":" + std::to_string(cmd.user->gid);
    if (geteuid() != 0 || access(setpriv_.c_str(), X_OK) != 0) {
        return make_error("cannot run " + cmd.argv[0] + " as uid:gid " + who +
                          ": switching user needs root and " + setpriv_ +
                          " (scripts run as uid:gid " + std::to_string(geteuid()) + ":" +
                          std::to_string(getegid()) + ")");
    }
    const std::string gid = std::to_string(cmd.user->gid);
    std::vector<std::string> out{setpriv_, "--regid=" + gid, "--groups=" + gid,
                                 "--reuid=" + std::to_string(cmd.user->uid), "--"};
    out.insert(out.end(), cmd.argv.begin(), cmd.argv.end());
    return out;
}

std::optional<exit_status> posix_runner::try_reap(child& c) {
    siginfo_t info{};
    // WNOWAIT: look, but leave the leader a zombie so its pid (the group id)
    // cannot be reused before the group has been killed.
    if (waitid(P_PID, static_cast<id_t>(c.pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid == 0) {
        return std::nullopt;
    }
    if (c.kill_at) {
        // keepalived: "make sure any children it created have died too".
        kill(-c.pid, SIGKILL);
    }
    int st = 0;
    waitpid(c.pid, &st, 0); // a zombie: returns at once
    return from_wait(st, c.kill_at.has_value());
}

void posix_runner::enforce_timeout(child& c, usec now) {
    if (!c.kill_at && now >= c.deadline) {
        kill(-c.pid, SIGTERM);
        c.kill_at = now + kill_grace_;
    } else if (c.kill_at && now >= *c.kill_at) {
        kill(-c.pid, SIGKILL);
        c.kill_at = now + kill_grace_; // keep the timed-out marker, retry later
    }
}

void posix_runner::poll(usec now, std::vector<finished>& out) {
    for (auto it = children_.begin(); it != children_.end();) {
        if (auto st = try_reap(it->second)) {
            out.push_back({it->first, *st, now});
            it = children_.erase(it);
            continue;
        }
        enforce_timeout(it->second, now);
        ++it;
    }
}

std::optional<pid_t> posix_runner::group_of(handle h) const {
    const auto it = children_.find(h);
    if (it == children_.end()) {
        return std::nullopt;
    }
    return it->second.pid;
}

} // namespace vipgate::exec
