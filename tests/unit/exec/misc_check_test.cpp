// MISC_CHECK: the exit-status rule (with and without misc_dynamic) and the
// checker (schedule, retries, alpha, dynamic weight) with a fake runner.
#include "exec/misc_check.hpp"
#include "fake_runner.hpp"

#include <gtest/gtest.h>

namespace vipgate::exec {
namespace {

struct misc_case {
    exit_status st;
    bool dynamic;
    misc_verdict want;
};

TEST(MiscCheckTest, Table) {
    const misc_case cases[] = {
        {{end_kind::exited, 0}, false, {true, std::nullopt, "succeeded"}},
        {{end_kind::exited, 1}, false, {false, std::nullopt, "exited with status 1"}},
        {{end_kind::exited, 5}, false, {false, std::nullopt, "exited with status 5"}},
        {{end_kind::exited, 0}, true, {true, std::nullopt, "succeeded"}},
        {{end_kind::exited, 1}, true, {false, std::nullopt, "exited with status 1"}},
        {{end_kind::exited, 2}, true, {true, 0u, "succeeded"}},
        {{end_kind::exited, 12}, true, {true, 10u, "succeeded"}},
        {{end_kind::exited, 255}, true, {true, 253u, "succeeded"}},
        {{end_kind::timed_out, 15}, true, {false, std::nullopt, "timed out"}},
        {{end_kind::signalled, 9}, true, {false, std::nullopt, "due to signal 9"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(describe(c.st) + (c.dynamic ? " dynamic" : ""));
        EXPECT_EQ(interpret_misc(c.st, c.dynamic), c.want);
    }
}

} // namespace
} // namespace vipgate::exec

namespace vipgate::exec {
namespace {

using namespace std::chrono_literals;
using testing::fake_runner;

constexpr exit_status ok{end_kind::exited, 0};
constexpr exit_status down{end_kind::exited, 1};

misc_check_config misc(std::uint32_t retry = 0, bool dynamic = false, bool alpha = false) {
    misc_check_config c;
    c.cmd.argv = {"/etc/k/misc.sh", "10.0.0.2"};
    c.delay_loop = 6s;
    c.delay_before_retry = 2s;
    c.retry = retry;
    c.dynamic = dynamic;
    c.alpha = alpha;
    return c;
}

// Runs the check once at its deadline and ends it with `st`.
misc_step run_once(fake_runner& r, misc_checker& m, exit_status st) {
    const usec at = *m.next_deadline();
    EXPECT_FALSE(m.tick(at));
    EXPECT_EQ(m.next_deadline(), std::nullopt); // running
    auto step = m.on_finished(r.end(r.started.back().id, st, at));
    EXPECT_TRUE(step);
    return step.value_or(misc_step{});
}

TEST(MiscCheckerTest, TimeoutDefaultsToDelayLoopAndScheduleFollowsRetries) {
    fake_runner r;
    misc_checker m{r, misc(1), 100s};
    EXPECT_EQ(m.next_deadline(), usec{100s});
    run_once(r, m, ok);
    EXPECT_EQ(r.started.back().cmd.timeout, 6s);
    EXPECT_EQ(m.next_deadline(), usec{106s});
    const auto first_fail = run_once(r, m, down);
    EXPECT_TRUE(m.is_up()); // retry 1: not yet
    EXPECT_FALSE(first_fail.became_up);
    EXPECT_TRUE(first_fail.reason.empty());
    EXPECT_EQ(m.next_deadline(), usec{108s}); // delay_before_retry
    const auto second = run_once(r, m, down);
    ASSERT_TRUE(second.became_up);
    EXPECT_FALSE(*second.became_up);
    EXPECT_EQ(second.reason,
              "Misc check by [/etc/k/misc.sh] failed after 1 retry (exited with status 1).");
    EXPECT_EQ(m.next_deadline(), usec{114s});
    // Down: further failures count no retries and change nothing.
    const auto third = run_once(r, m, down);
    EXPECT_FALSE(third.became_up);
    EXPECT_EQ(m.retries_used(), 0u);
    const auto back = run_once(r, m, ok);
    ASSERT_TRUE(back.became_up);
    EXPECT_TRUE(*back.became_up);
    EXPECT_EQ(back.reason, "Misc check by [/etc/k/misc.sh] succeeded.");
}

TEST(MiscCheckerTest, MiscTimeoutAndTimedOutMessage) {
    fake_runner r;
    auto c = misc();
    c.misc_timeout = 3s;
    misc_checker m{r, c, 0us};
    const auto s = run_once(r, m, {end_kind::timed_out, 15});
    EXPECT_EQ(r.started.back().cmd.timeout, 3s);
    ASSERT_TRUE(s.became_up);
    EXPECT_EQ(s.reason, "Misc check by [/etc/k/misc.sh] timed out with retry disabled.");
}

TEST(MiscCheckerTest, DynamicWeight) {
    fake_runner r;
    misc_checker m{r, misc(0, true), 0us};
    auto s = run_once(r, m, {end_kind::exited, 12});
    EXPECT_TRUE(s.weight_changed);
    EXPECT_EQ(m.dynamic_weight(), 10u);
    s = run_once(r, m, {end_kind::exited, 12});
    EXPECT_FALSE(s.weight_changed);
    s = run_once(r, m, ok); // 0: back to the configured weight
    EXPECT_TRUE(s.weight_changed);
    EXPECT_EQ(m.dynamic_weight(), std::nullopt);
    run_once(r, m, {end_kind::exited, 2});
    EXPECT_EQ(m.dynamic_weight(), 0u);
    s = run_once(r, m, down);
    EXPECT_TRUE(s.weight_changed);
    EXPECT_FALSE(m.is_up());
    EXPECT_EQ(m.dynamic_weight(), std::nullopt);
}

TEST(MiscCheckerTest, AlphaStartsDownAndSpawnFailureFails) {
    fake_runner r;
    misc_checker m{r, misc(0, false, true), 0us};
    EXPECT_FALSE(m.is_up());
    const auto up = run_once(r, m, ok);
    ASSERT_TRUE(up.became_up);
    r.fail_next_start = true;
    const auto failed = m.tick(*m.next_deadline());
    ASSERT_TRUE(failed);
    ASSERT_TRUE(failed->became_up);
    EXPECT_FALSE(*failed->became_up);
    EXPECT_EQ(failed->reason,
              "Misc check by [/etc/k/misc.sh] failed with retry disabled (could not start).");
}

TEST(MiscCheckerTest, ForeignHandleAndValidation) {
    fake_runner r;
    misc_checker m{r, misc(), 0us};
    EXPECT_FALSE(m.on_finished(finished{42, ok, 0us}));
    EXPECT_TRUE(validate(misc()));
    auto bad = misc();
    bad.cmd.argv.clear();
    EXPECT_FALSE(validate(bad));
    bad = misc();
    bad.delay_loop = 0s;
    EXPECT_FALSE(validate(bad));
}

} // namespace
} // namespace vipgate::exec
