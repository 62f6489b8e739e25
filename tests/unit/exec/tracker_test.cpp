// vrrp_script / track_script semantics (keepalived 2.2.7 vrrp_scheduler.c,
// vrrp_track.c) with a fake clock and a fake runner.
#include "exec/tracker.hpp"
#include "fake_runner.hpp"

#include <gtest/gtest.h>

namespace vipgate::exec {
namespace {

using namespace std::chrono_literals;
using testing::fake_runner;

constexpr exit_status ok{end_kind::exited, 0};
constexpr exit_status ko{end_kind::exited, 1};
constexpr exit_status late{end_kind::timed_out, 15};
constexpr auto U = script_status::unknown;
constexpr auto OK = script_status::ok;
constexpr auto KO = script_status::failed;

script_config chk(std::uint32_t rise = 1, std::uint32_t fall = 1, int weight = 0,
                  bool init_fail = false) {
    script_config c;
    c.name = "chk";
    c.cmd.argv = {"/usr/local/bin/chk.sh", "arg"};
    c.rise = rise;
    c.fall = fall;
    c.weight = weight;
    c.init_fail = init_fail;
    return c;
}

// Runs the script once per entry of `exits` (one interval apart) and
// returns the status after each run.
struct driver {
    fake_runner r;
    script_tracker t{r};
    usec now{0};
    std::vector<tracker_action> out;

    script_status step(exit_status st) {
        t.tick(now, out);
        EXPECT_TRUE(t.on_finished(r.end(r.started.back().id, st), out));
        now += 1s;
        return t.status("chk");
    }
};

struct rise_fall_case {
    const char* name;
    std::uint32_t rise, fall;
    bool init_fail;
    std::vector<exit_status> exits;
    std::vector<script_status> want; // after each exit
};

TEST(TrackerTest, RiseFallTable) {
    const rise_fall_case cases[] = {
        // Not init_fail: the first result decides either way ("one success
        // is enough"), then rise/fall apply.
        {"first ok", 3, 3, false, {ok}, {OK}},
        {"first fail", 3, 3, false, {ko}, {KO}},
        {"fall 2", 1, 2, false, {ok, ko, ko}, {OK, OK, KO}},
        {"fall interrupted", 1, 2, false, {ok, ko, ok, ko, ko}, {OK, OK, OK, OK, KO}},
        {"rise 3", 3, 1, false, {ko, ok, ok, ok}, {KO, KO, KO, OK}},
        {"rise interrupted", 2, 1, false, {ko, ok, ko, ok, ok}, {KO, KO, KO, KO, OK}},
        {"timeout is a failure", 1, 1, false, {ok, late}, {OK, KO}},
        // init_fail: failed from the start, rise successes needed.
        {"init_fail rise 2", 2, 1, true, {ok, ok}, {KO, OK}},
        {"init_fail stays", 1, 1, true, {ko, ko}, {KO, KO}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        driver d;
        ASSERT_TRUE(d.t.add_script(chk(c.rise, c.fall, 0, c.init_fail)));
        ASSERT_TRUE(d.t.add_track({"VI_1", "chk", {}, {}}));
        EXPECT_EQ(d.t.status("chk"), c.init_fail ? KO : U);
        for (std::size_t i = 0; i < c.exits.size(); ++i) {
            EXPECT_EQ(d.step(c.exits[i]), c.want[i]) << "after exit " << i;
        }
    }
}

struct weight_case {
    const char* name;
    int weight;
    bool reverse;
    script_status s;
    track_effect want;
};

TEST(TrackerTest, EffectTable) {
    const weight_case cases[] = {
        {"+w ok adds", 10, false, OK, {10, false, false}},
        {"+w ko nothing", 10, false, KO, {0, false, false}},
        {"-w ok nothing", -10, false, OK, {0, false, false}},
        {"-w ko subtracts", -10, false, KO, {-10, false, false}},
        {"+w reverse ok subtracts", 10, true, OK, {-10, false, false}},
        {"-w reverse ko adds", -10, true, KO, {10, false, false}},
        {"0 ko fault", 0, false, KO, {0, true, false}},
        {"0 ok fine", 0, false, OK, {0, false, false}},
        {"0 reverse ok fault", 0, true, OK, {0, true, false}},
        {"0 unknown pending", 0, false, U, {0, false, true}},
        {"+w unknown nothing", 10, false, U, {0, false, false}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(effect_of(c.weight, c.reverse, c.s), c.want);
    }
}

TEST(TrackerTest, NegativeWeightLowersPriorityAndBack) {
    driver d;
    ASSERT_TRUE(d.t.add_script(chk(1, 2, -30)));
    ASSERT_TRUE(d.t.add_track({"VI_1", "chk", {}, {}}));
    d.step(ok);
    EXPECT_EQ(d.t.effect("VI_1").priority_delta, 0);
    d.out.clear();
    d.step(ko);
    EXPECT_TRUE(d.out.empty() ||
                !std::holds_alternative<instance_changed>(d.out.back())); // fall 2: not yet
    d.step(ko);
    ASSERT_FALSE(d.out.empty());
    const auto* change = std::get_if<instance_changed>(&d.out.back());
    ASSERT_NE(change, nullptr);
    EXPECT_EQ(change->instance, "VI_1");
    EXPECT_EQ(change->total.priority_delta, -30);
    EXPECT_EQ(change->reason, "script chk KO");
    d.step(ok);
    EXPECT_EQ(d.t.effect("VI_1").priority_delta, 0);
}

TEST(TrackerTest, WeightZeroFaultsAndReportsReason) {
    driver d;
    ASSERT_TRUE(d.t.add_script(chk()));
    ASSERT_TRUE(d.t.add_track({"VI_1", "chk", {}, {}}));
    EXPECT_TRUE(d.t.effect("VI_1").pending);
    d.step(ko);
    EXPECT_TRUE(d.t.effect("VI_1").fault);
    bool saw = false;
    for (const auto& a : d.out) {
        if (const auto* s = std::get_if<script_changed>(&a)) {
            EXPECT_EQ(s->reason, "VRRP_Script(chk) failed (exited with status 1)");
            saw = true;
        }
    }
    EXPECT_TRUE(saw);
    d.out.clear();
    d.step(late);
    d.step(ok);
    EXPECT_FALSE(d.t.effect("VI_1").fault);
    EXPECT_FALSE(d.t.effect("VI_1").pending);
}

TEST(TrackerTest, TimeoutReasonAndCommandTimeout) {
    driver d;
    auto c = chk();
    c.interval = 5s;
    ASSERT_TRUE(d.t.add_script(c));
    ASSERT_TRUE(d.t.add_track({"VI_1", "chk", {}, {}}));
    d.t.tick(0us, d.out);
    ASSERT_EQ(d.r.started.size(), 1u);
    EXPECT_EQ(d.r.started[0].cmd.timeout, 5s); // timeout defaults to interval
    d.t.on_finished(d.r.end(1, late), d.out);
    ASSERT_EQ(d.out.size(), 2u); // the script, then the instance it faults
    const auto* s = std::get_if<script_changed>(&d.out[0]);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(std::get<instance_changed>(d.out[1]).total.fault);
    EXPECT_EQ(s->reason, "VRRP_Script(chk) timed_out");
    EXPECT_EQ(d.t.counters("chk")->timeouts, 1u);
}

TEST(TrackerTest, PerInstanceWeightOverrideAndTwoInstances) {
    driver d;
    ASSERT_TRUE(d.t.add_script(chk(1, 1, -20)));
    ASSERT_TRUE(d.t.add_track({"VI_1", "chk", {}, {}}));
    ASSERT_TRUE(d.t.add_track({"VI_2", "chk", 50, {}}));
    d.step(ko);
    EXPECT_EQ(d.t.effect("VI_1").priority_delta, -20);
    EXPECT_EQ(d.t.effect("VI_2").priority_delta, 0); // +50 only while OK
    d.step(ok);
    EXPECT_EQ(d.t.effect("VI_1").priority_delta, 0);
    EXPECT_EQ(d.t.effect("VI_2").priority_delta, 50);
}

TEST(TrackerTest, IntervalSchedulingAndSkipWhileRunning) {
    fake_runner r;
    script_tracker t{r};
    std::vector<tracker_action> out;
    auto c = chk();
    c.interval = 2s;
    c.timeout = 10s;
    ASSERT_TRUE(t.add_script(c));
    EXPECT_EQ(t.next_deadline(), std::nullopt); // untracked scripts never run
    t.tick(0us, out);
    EXPECT_TRUE(r.started.empty());
    ASSERT_TRUE(t.add_track({"VI_1", "chk", {}, {}}));
    EXPECT_EQ(t.next_deadline(), usec{0});
    t.tick(0us, out);
    ASSERT_EQ(r.started.size(), 1u);
    EXPECT_EQ(t.next_deadline(), usec{2s});
    t.tick(1s, out); // not due
    EXPECT_EQ(r.started.size(), 1u);
    t.tick(2s, out); // due but still running: skipped
    EXPECT_EQ(r.started.size(), 1u);
    EXPECT_EQ(t.counters("chk")->skipped, 1u);
    ASSERT_TRUE(std::holds_alternative<tracker_log>(out.back()));
    t.on_finished(r.end(1, ok), out);
    t.tick(4s, out);
    EXPECT_EQ(r.started.size(), 2u);
    EXPECT_EQ(r.started[1].started, usec{4s});
}

TEST(TrackerTest, SpawnFailureIsAFailure) {
    driver d;
    ASSERT_TRUE(d.t.add_script(chk()));
    ASSERT_TRUE(d.t.add_track({"VI_1", "chk", {}, {}}));
    d.r.fail_next_start = true;
    d.t.tick(0us, d.out);
    EXPECT_EQ(d.t.status("chk"), KO);
    EXPECT_EQ(d.t.counters("chk")->spawn_failures, 1u);
    EXPECT_TRUE(d.t.effect("VI_1").fault);
}

TEST(TrackerTest, ForeignHandleIsNotOurs) {
    driver d;
    ASSERT_TRUE(d.t.add_script(chk()));
    EXPECT_FALSE(d.t.on_finished(finished{99, ok, 0us}, d.out));
}

TEST(TrackerTest, ConfigErrors) {
    fake_runner r;
    script_tracker t{r};
    auto bad = chk();
    bad.weight = 254;
    EXPECT_FALSE(t.add_script(bad));
    bad = chk();
    bad.cmd.argv.clear();
    EXPECT_EQ(t.add_script(bad).message(), "No script set for vrrp_script chk");
    bad = chk();
    bad.rise = 0;
    EXPECT_FALSE(t.add_script(bad));
    ASSERT_TRUE(t.add_script(chk()));
    EXPECT_FALSE(t.add_script(chk()));                    // duplicate
    EXPECT_FALSE(t.add_track({"VI_1", "nope", {}, {}}));  // unknown script
    EXPECT_FALSE(t.add_track({"VI_1", "chk", -300, {}})); // weight range
    ASSERT_TRUE(t.add_track({"VI_1", "chk", {}, {}}));
    EXPECT_FALSE(t.add_track({"VI_1", "chk", {}, {}})); // duplicate track
}

} // namespace
} // namespace vipgate::exec
