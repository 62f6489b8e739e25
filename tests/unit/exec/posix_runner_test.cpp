// The real runner with real processes: exit codes, a timeout that kills the
// whole process group, no inherited descriptors, stdin from /dev/null.
#include "exec/posix_runner.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace vipgate::exec {
namespace {

using namespace std::chrono_literals;

usec clock_now() {
    return std::chrono::duration_cast<usec>(std::chrono::steady_clock::now().time_since_epoch());
}

command sh(const std::string& script, usec timeout = 5s) {
    command c;
    c.argv = {"/bin/sh", "-c", script};
    c.timeout = timeout;
    return c;
}

// Polls until `h` ends (or 10 s pass). Runs that end meanwhile are kept in
// `seen`, as the control loop would hand them to their owners.
std::optional<finished> wait_for(posix_runner& r, handle h) {
    static std::vector<finished> seen;
    const usec give_up = clock_now() + 10s;
    while (clock_now() < give_up) {
        r.poll(clock_now(), seen);
        for (auto it = seen.begin(); it != seen.end(); ++it) {
            if (it->id == h) {
                const finished f = *it;
                seen.erase(it);
                return f;
            }
        }
        std::this_thread::sleep_for(5ms);
    }
    return std::nullopt;
}

std::string temp_path(const char* tag) {
    return "/tmp/vipgate_exec_test_" + std::to_string(getpid()) + "_" + tag;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Processes (not zombies) whose process group is `pgid`.
int live_in_group(pid_t pgid) {
    int n = 0;
    DIR* d = opendir("/proc");
    while (dirent* e = readdir(d)) {
        std::ifstream stat(std::string{"/proc/"} + e->d_name + "/stat");
        std::string line;
        if (!std::getline(stat, line)) {
            continue;
        }
        // pid (comm) state ppid pgrp ...; comm may hold spaces: split after ')'.
        std::istringstream rest(line.substr(line.rfind(')') + 2));
        char state = 0;
        long ppid = 0, pgrp = 0;
        rest >> state >> ppid >> pgrp;
        n += (pgrp == pgid && state != 'Z') ? 1 : 0;
    }
    closedir(d);
    return n;
}

TEST(PosixRunnerTest, TrueAndFalse) {
    posix_runner r;
    command t;
    t.argv = {"/bin/true"};
    command f;
    f.argv = {"/bin/false"};
    auto ht = r.start(t, clock_now());
    auto hf = r.start(f, clock_now());
    ASSERT_TRUE(ht && hf);
    EXPECT_EQ(r.running(), 2u);
    const auto ft = wait_for(r, *ht);
    const auto ff = wait_for(r, *hf);
    ASSERT_TRUE(ft && ff);
    EXPECT_EQ(ft->status, (exit_status{end_kind::exited, 0}));
    EXPECT_EQ(ff->status, (exit_status{end_kind::exited, 1}));
    EXPECT_EQ(r.running(), 0u);
}

TEST(PosixRunnerTest, PollNeverBlocks) {
    posix_runner r;
    auto h = r.start(sh("sleep 1"), clock_now());
    ASSERT_TRUE(h);
    const auto before = std::chrono::steady_clock::now();
    std::vector<finished> out;
    r.poll(clock_now(), out);
    EXPECT_TRUE(out.empty());
    EXPECT_LT(std::chrono::steady_clock::now() - before, 200ms);
}

TEST(PosixRunnerTest, TimeoutKillsTheWholeGroup) {
    posix_runner r{200ms};
    // The shell starts a background sleep in the same group, then waits.
    auto h = r.start(sh("sleep 5 & sleep 5; true", 100ms), clock_now());
    ASSERT_TRUE(h);
    const pid_t pgid = *r.group_of(*h);
    // Timeouts are only enforced in poll(): let sh start its sleeps first.
    for (int i = 0; i < 400 && live_in_group(pgid) < 3; ++i) {
        std::this_thread::sleep_for(5ms);
    }
    EXPECT_EQ(live_in_group(pgid), 3); // sh and its two sleeps
    const auto t0 = std::chrono::steady_clock::now();
    const auto f = wait_for(r, *h);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->status.kind, end_kind::timed_out);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(live_in_group(pgid), 0);
}

TEST(PosixRunnerTest, TermIgnoredThenKilled) {
    posix_runner r{100ms};
    const std::string ready = temp_path("ready");
    auto h = r.start(sh("trap '' TERM; touch " + ready + "; sleep 5", 100ms), clock_now());
    ASSERT_TRUE(h);
    // Timeouts are only enforced in poll(): wait until the trap is set.
    for (int i = 0; i < 400 && access(ready.c_str(), F_OK) != 0; ++i) {
        std::this_thread::sleep_for(5ms);
    }
    unlink(ready.c_str());
    const auto f = wait_for(r, *h);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->status, (exit_status{end_kind::timed_out, SIGKILL}));
}

TEST(PosixRunnerTest, NoInheritedDescriptorsAndStdinIsDevNull) {
    // An fd without O_CLOEXEC, moved high so the child's own cannot match.
    const int raw = open("/dev/null", O_RDONLY);
    ASSERT_GE(raw, 0);
    const int leaky = dup2(raw, 77);
    ASSERT_EQ(leaky, 77);
    close(raw);
    const std::string out_path = temp_path("fds");
    posix_runner r;
    auto h =
        r.start(sh("ls /proc/self/fd > " + out_path + "; readlink /proc/self/fd/0 >> " + out_path),
                clock_now());
    ASSERT_TRUE(h);
    ASSERT_TRUE(wait_for(r, *h));
    close(leaky);
    std::istringstream lines(slurp(out_path));
    unlink(out_path.c_str());
    std::vector<std::string> fds;
    std::string word;
    while (lines >> word) {
        fds.push_back(word);
    }
    ASSERT_FALSE(fds.empty());
    EXPECT_EQ(fds.back(), "/dev/null");
    fds.pop_back();
    for (const auto& fd : fds) {
        EXPECT_LE(std::stoi(fd), 3) << "leaked fd " << fd; // 0-2 and ls's own dir fd
    }
}

TEST(PosixRunnerTest, RunsAsAnotherUser) {
    if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
        GTEST_SKIP() << "needs root and setpriv";
    }
    const std::string out_path = temp_path("user");
    posix_runner r;
    // nobody:nogroup writes its ids where it may (/tmp is sticky, 1777).
    command c = sh("id -u > " + out_path + "; id -g >> " + out_path + "; id -G >> " + out_path);
    c.user = user_id{65534, 65534};
    auto h = r.start(c, clock_now());
    ASSERT_TRUE(h) << h.message();
    const pid_t pgid = *r.group_of(*h);
    const auto f = wait_for(r, *h);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->status, (exit_status{end_kind::exited, 0}));
    EXPECT_EQ(slurp(out_path), "65534\n65534\n65534\n");
    EXPECT_GT(pgid, 0);
    unlink(out_path.c_str());
}

TEST(PosixRunnerTest, EnvironmentAdded) {
    const std::string out_path = temp_path("env");
    posix_runner r;
    setenv("VIPGATE_TEST", "inherited", 1);
    command c = sh("echo \"$VIPGATE_TEST\" > " + out_path);
    c.env = {"VIPGATE_TEST=hello"}; // replaces the inherited value
    auto h = r.start(c, clock_now());
    ASSERT_TRUE(h);
    ASSERT_TRUE(wait_for(r, *h));
    EXPECT_EQ(slurp(out_path), "hello\n");
    unlink(out_path.c_str());
    unsetenv("VIPGATE_TEST");
}

TEST(PosixRunnerTest, RefusesWhatItCannotDo) {
    posix_runner r;
    command missing;
    missing.argv = {"/nonexistent/script.sh"};
    auto m = r.start(missing, clock_now());
    ASSERT_FALSE(m);
    EXPECT_NE(m.message().find("No such file"), std::string::npos) << m.message();
    command other = sh("true");
    other.user = user_id{geteuid() + 1, getegid()};
    posix_runner no_setpriv{2s, "/nonexistent/setpriv"};
    auto u = no_setpriv.start(other, clock_now());
    ASSERT_FALSE(u);
    EXPECT_NE(u.message().find("switching user needs root and /nonexistent/setpriv"),
              std::string::npos)
        << u.message();
    other.user = user_id{geteuid(), getegid()}; // ourselves: fine
    auto self = r.start(other, clock_now());
    ASSERT_TRUE(self);
    EXPECT_TRUE(wait_for(r, *self));
    EXPECT_FALSE(r.start(command{}, clock_now()));
}

} // namespace
} // namespace vipgate::exec
