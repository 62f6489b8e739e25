// Notify scripts in transition order, one at a time per channel, parallel
// across channels; keepalived's arguments and FIFO lines.
#include "exec/notify.hpp"
#include "fake_runner.hpp"

#include <gtest/gtest.h>

namespace vipgate::exec {
namespace {

using namespace std::chrono_literals;
using testing::fake_runner;

constexpr exit_status ok{end_kind::exited, 0};

vrrp_notify_scripts scripts() {
    vrrp_notify_scripts s;
    s.master = script_line{{"/etc/k/master.sh"}, {}};
    s.backup = script_line{{"/etc/k/backup.sh", "VI_1"}, {}};
    s.generic = script_line{{"/etc/k/notify.sh", "extra"}, {}};
    return s;
}

TEST(NotifyTest, KeepalivedArguments) {
    const auto cmds =
        vrrp_notify_commands(scripts(), vrrp_kind::instance, "VI_1", vrrp_state::master, 150, 3s);
    ASSERT_EQ(cmds.size(), 2u);
    // notify_master gets none of keepalived's arguments...
    EXPECT_EQ(cmds[0].argv, (std::vector<std::string>{"/etc/k/master.sh"}));
    // ...`notify` runs after it with the configured ones plus four.
    EXPECT_EQ(cmds[1].argv, (std::vector<std::string>{"/etc/k/notify.sh", "extra", "INSTANCE",
                                                      "VI_1", "MASTER", "150"}));
    EXPECT_EQ(cmds[1].timeout, 3s);

    const auto backup =
        vrrp_notify_commands(scripts(), vrrp_kind::instance, "VI_1", vrrp_state::backup, 100, 3s);
    EXPECT_EQ(backup[0].argv, (std::vector<std::string>{"/etc/k/backup.sh", "VI_1"}));

    // No notify_fault configured: only `notify`; a group's priority is 0.
    const auto group =
        vrrp_notify_commands(scripts(), vrrp_kind::group, "G1", vrrp_state::fault, 100, 3s);
    ASSERT_EQ(group.size(), 1u);
    EXPECT_EQ(group[0].argv,
              (std::vector<std::string>{"/etc/k/notify.sh", "extra", "GROUP", "G1", "FAULT", "0"}));
}

TEST(NotifyTest, UpDownCommands) {
    const std::optional<script_line> up = script_line{{"/x/up.sh", "rs1"}, {}};
    EXPECT_EQ(updown_commands(up, std::nullopt, true, 1s).at(0).argv,
              (std::vector<std::string>{"/x/up.sh", "rs1"}));
    EXPECT_TRUE(updown_commands(up, std::nullopt, false, 1s).empty());
}

TEST(NotifyTest, FifoLines) {
    EXPECT_EQ(fifo_line(vrrp_kind::instance, "VI_1", vrrp_state::master, 100),
              "INSTANCE \"VI_1\" MASTER 100\n");
    EXPECT_EQ(fifo_line(vrrp_kind::group, "G", vrrp_state::backup, 100), "GROUP \"G\" BACKUP 0\n");
    EXPECT_EQ(fifo_line(vrrp_kind::instance, "VI_1", vrrp_state::stop, 0),
              "INSTANCE \"VI_1\" STOP 0\n");
    EXPECT_EQ(fifo_line("VI_1", vrrp_event::master_rx_lower_pri, 100),
              "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 100\n");
    EXPECT_EQ(fifo_line("VI_1", vrrp_event::backup_priority, 90),
              "INSTANCE \"VI_1\" BACKUP_PRIORITY 90\n");
    EXPECT_EQ(fifo_line_vs("[192.168.201.15]:tcp:80", true), "VS [192.168.201.15]:tcp:80 UP\n");
    EXPECT_EQ(fifo_line_rs("[1.2.3.4]:tcp:80", "[192.168.201.15]:tcp:80", false),
              "RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN\n");
}

command cmd(std::string prog) {
    command c;
    c.argv = {std::move(prog)};
    return c;
}

// Ends whatever runs on the fake runner, in start order, until idle, and
// returns the programs in the order they started.
std::vector<std::string> drain(fake_runner& r, notify_dispatcher& d) {
    std::vector<notify_action> out;
    for (std::size_t i = 0; i < r.started.size(); ++i) {
        if (r.is_live(r.started[i].id)) {
            d.on_finished(r.end(r.started[i].id, ok), 0us, out);
        }
    }
    return r.programs();
}

TEST(NotifyTest, BurstRunsInTransitionOrderOneAtATime) {
    fake_runner r;
    notify_dispatcher d{r};
    std::vector<notify_action> out;
    d.submit("INSTANCE VI_1", {cmd("backup"), cmd("notify-backup")}, 0us, out);
    d.submit("INSTANCE VI_1", {cmd("master"), cmd("notify-master")}, 0us, out);
    d.submit("INSTANCE VI_1", {cmd("fault"), cmd("notify-fault")}, 0us, out);
    EXPECT_EQ(r.running(), 1u); // one at a time per instance
    EXPECT_EQ(d.waiting("INSTANCE VI_1"), 2u);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(drain(r, d), (std::vector<std::string>{"backup", "notify-backup", "master",
                                                     "notify-master", "fault", "notify-fault"}));
    EXPECT_FALSE(d.busy("INSTANCE VI_1"));
    EXPECT_EQ(d.counters().succeeded, 6u);
}

TEST(NotifyTest, ParallelAcrossChannels) {
    fake_runner r;
    notify_dispatcher d{r};
    std::vector<notify_action> out;
    d.submit("INSTANCE VI_1", {cmd("a1")}, 0us, out);
    d.submit("INSTANCE VI_2", {cmd("b1")}, 0us, out);
    d.submit("GROUP G1", {cmd("g1")}, 0us, out);
    d.submit("INSTANCE VI_1", {cmd("a2")}, 0us, out);
    EXPECT_EQ(r.running(), 3u);
    EXPECT_EQ(r.programs(), (std::vector<std::string>{"a1", "b1", "g1"}));
    // VI_2 ending does not start VI_1's next one; VI_1 ending does.
    d.on_finished(r.end(2, ok), 0us, out);
    EXPECT_EQ(r.started.size(), 3u);
    d.on_finished(r.end(1, ok), 0us, out);
    EXPECT_EQ(r.programs().back(), "a2");
}

TEST(NotifyTest, OverflowDropsOldestWaitingAndCounts) {
    fake_runner r;
    notify_dispatcher d{r, dispatcher_limits{2}};
    std::vector<notify_action> out;
    for (int i = 0; i < 6; ++i) {
        d.submit("INSTANCE VI_1", {cmd("t" + std::to_string(i))}, 0us, out);
    }
    // t0 runs; t1..t5 wanted to wait; only 2 fit: t4, t5 (newest kept).
    EXPECT_EQ(d.dropped("INSTANCE VI_1"), 3u);
    EXPECT_EQ(d.counters().dropped, 3u);
    ASSERT_EQ(out.size(), 3u);
    const auto& last = std::get<notify_dropped>(out.back());
    EXPECT_EQ(last.channel, "INSTANCE VI_1");
    EXPECT_EQ(last.total, 3u);
    EXPECT_EQ(drain(r, d), (std::vector<std::string>{"t0", "t4", "t5"}));
}

TEST(NotifyTest, FailuresAndTimeoutsReportedAndQueueMovesOn) {
    fake_runner r;
    notify_dispatcher d{r};
    std::vector<notify_action> out;
    d.submit("RS x", {cmd("slow"), cmd("next")}, 0us, out);
    d.on_finished(r.end(1, {end_kind::timed_out, 15}), 5s, out);
    ASSERT_EQ(out.size(), 1u);
    const auto& f = std::get<notify_failed>(out[0]);
    EXPECT_EQ(f.command, "'slow'");
    EXPECT_EQ(describe(f.status), "timed out");
    EXPECT_EQ(d.counters().timed_out, 1u);
    EXPECT_EQ(r.programs().back(), "next");
    // A command that cannot start is reported and skipped.
    r.fail_next_start = true;
    d.on_finished(r.end(2, ok), 5s, out);
    d.submit("RS x", {cmd("missing"), cmd("after")}, 6s, out);
    EXPECT_EQ(r.programs().back(), "after");
    EXPECT_NE(std::get<notify_failed>(out.back()).detail.find("No such file"), std::string::npos);
    EXPECT_EQ(d.counters().failed, 2u);
}

TEST(NotifyTest, ForeignHandleAndEmptyTransition) {
    fake_runner r;
    notify_dispatcher d{r};
    std::vector<notify_action> out;
    d.submit("INSTANCE VI_1", {}, 0us, out);
    EXPECT_EQ(d.counters().transitions, 0u);
    EXPECT_FALSE(d.on_finished(finished{7, ok, 0us}, 0us, out));
}

} // namespace
} // namespace vipgate::exec
