#include <gtest/gtest.h>

#include "health/checker.hpp"
#include "test_util.hpp"

using namespace vipgate;
using namespace std::chrono_literals;
using health::outcome;
using health::state;
using health::usec;
using namespace health_test;
using log_t = std::vector<std::string>;

namespace {

const health::endpoint rs{net::ipv4_addr{10, 0, 0, 2}, 80};

// delay_loop 10 s, connect_timeout 3 s, retry 2, delay_before_retry 1 s.
health::checker_config cfg(std::uint32_t retry = 2, bool alpha = false, usec warmup = 0s) {
    health::checker_config c;
    c.target = rs;
    c.delay_loop = 10s;
    c.connect_timeout = 3s;
    c.retry = retry;
    c.delay_before_retry = 1s;
    c.warmup = warmup;
    c.alpha = alpha;
    return c;
}

} // namespace

TEST(HealthChecker, DefaultsAreKeepalivedsTcpCheck) {
    health::checker_config c;
    EXPECT_EQ(c.delay_loop, 60s);
    EXPECT_EQ(c.connect_timeout, 5s);
    EXPECT_EQ(c.retry, 1u);
    EXPECT_EQ(c.delay_before_retry, 1s);
    EXPECT_EQ(c.warmup, 0s);
    EXPECT_FALSE(c.alpha);
}

TEST(HealthChecker, ValidateRejectsUnusableTimes) {
    struct row {
        const char* name;
        void (*edit)(health::checker_config&);
        bool ok;
    };
    const row rows[] = {
        {"defaults", [](health::checker_config&) {}, true},
        {"delay_loop 0", [](health::checker_config& c) { c.delay_loop = 0s; }, false},
        {"connect_timeout 0", [](health::checker_config& c) { c.connect_timeout = 0s; }, false},
        {"delay_before_retry 0", [](health::checker_config& c) { c.delay_before_retry = 0s; },
         true},
        {"delay_before_retry < 0", [](health::checker_config& c) { c.delay_before_retry = -1s; },
         false},
        {"warmup < 0", [](health::checker_config& c) { c.warmup = -1us; }, false},
        {"port 0", [](health::checker_config& c) { c.target.port = 0; }, false},
    };
    for (const row& r : rows) {
        health::checker_config c = cfg();
        r.edit(c);
        EXPECT_EQ(health::validate(c).ok(), r.ok) << r.name;
    }
}

TEST(HealthChecker, SuccessKeepsUpAndProbesEveryDelayLoopAfterTheAnswer) {
    health::checker c(cfg(), 0s);
    // keepalived times the next check from the end of this one: 10 s after
    // each answer, so the period is delay_loop + answer time.
    EXPECT_EQ(run(c, {alive(100ms)}, 31s), (log_t{
                                               "@0 send #1",
                                               "@100 done #1 alive",
                                               "@10100 send #2",
                                               "@10200 done #2 alive",
                                               "@20200 send #3",
                                               "@20300 done #3 alive",
                                               "@30300 send #4",
                                               "@30400 done #4 alive",
                                           }));
    EXPECT_TRUE(c.is_up());
    EXPECT_EQ(c.stats().probes_sent, 4u);
    EXPECT_EQ(c.stats().successes, 4u);
    EXPECT_EQ(c.stats().failures(), 0u);
    EXPECT_EQ(c.stats().transitions(), 0u);
    EXPECT_EQ(c.stats().last_check, usec{30400ms});
    EXPECT_EQ(c.stats().last_result, outcome::alive);
    EXPECT_EQ(c.stats().last_reason, "TCP connection to [10.0.0.2]:tcp:80 success.");
}

TEST(HealthChecker, TimeoutsRetryAfterDelayBeforeRetryThenDownAfterOnePlusRetry) {
    health::checker c(cfg(2), 0s);
    EXPECT_EQ(run(c, {alive(100ms), silent()}, 45s), (log_t{
                                                         "@0 send #1",
                                                         "@100 done #1 alive",
                                                         "@10100 send #2",
                                                         "@13100 done #2 timeout",
                                                         "@14100 send #3", // + delay_before_retry
                                                         "@17100 done #3 timeout",
                                                         "@18100 send #4",
                                                         "@21100 done #4 timeout",
                                                         "@21100 DOWN",    // 1 + retry failures
                                                         "@31100 send #5", // DOWN: delay_loop
                                                         "@34100 done #5 timeout",
                                                         "@44100 send #6",
                                                     }));
    EXPECT_FALSE(c.is_up());
    EXPECT_EQ(c.stats().timeouts, 4u);
    EXPECT_EQ(c.stats().downs, 1u);
    EXPECT_EQ(c.stats().ups, 0u);
    EXPECT_EQ(c.consecutive_failures(), 4u);
}

TEST(HealthChecker, DownTransitionCarriesKeepalivedsReason) {
    health::checker c(cfg(1), 0s);
    ASSERT_TRUE(c.tick(0s).send);
    ASSERT_TRUE(c.on_result(5ms, 1, outcome::alive).completed);
    ASSERT_TRUE(c.tick(10005ms).send);
    health::step s = c.tick(13005ms);
    ASSERT_TRUE(s.completed);
    EXPECT_FALSE(s.change) << "first failure is retried";
    EXPECT_EQ(c.retries_used(), 1u);
    ASSERT_TRUE(c.tick(14005ms).send);
    s = c.tick(17005ms);
    ASSERT_TRUE(s.change);
    EXPECT_EQ(s.change->from, state::up);
    EXPECT_EQ(s.change->to, state::down);
    EXPECT_EQ(s.change->at, usec{17005ms});
    EXPECT_EQ(s.change->cause, outcome::timeout);
    EXPECT_EQ(s.change->failures, 2u);
    EXPECT_EQ(s.change->reason, "TCP connection to [10.0.0.2]:tcp:80 timed out. "
                                "TCP_CHECK on service [10.0.0.2]:tcp:80 failed after 1 retries.");
}

// Table: how many failures, with what spacing, take an UP server DOWN.
TEST(HealthChecker, DownTimeFollowsRetryAndDelayBeforeRetry) {
    struct row {
        std::uint32_t retry;
        usec delay_before_retry;
        usec down_at;         // first probe alive at 0, next probe at 10 s
        std::uint32_t probes; // probes sent up to and including the DOWN
    };
    // Failures start with the probe at 10 s; each ends 3 s (timeout) later.
    const row rows[] = {
        {0, 1s, 13s, 2},           // no retry: the first failure decides
        {1, 1s, 13s + 1s + 3s, 3}, // 17 s
        {3, 1s, 13s + 3 * 4s, 5},  // 25 s
        {2, 0s, 13s + 2 * 3s, 4},  // retries right after the timeout: 19 s
        {2, 5s, 13s + 2 * 8s, 4},  // 29 s
    };
    for (const row& r : rows) {
        health::checker_config conf = cfg(r.retry);
        conf.delay_before_retry = r.delay_before_retry;
        health::checker c(conf, 0s);
        ASSERT_TRUE(c.tick(0s).send);
        ASSERT_TRUE(c.on_result(0s, 1, outcome::alive).completed);
        std::optional<usec> down;
        for (int i = 0; i < 100 && !down; ++i) {
            health::step s = c.tick(c.next_deadline());
            if (s.change) {
                down = s.change->at;
            }
        }
        ASSERT_TRUE(down) << "retry " << r.retry;
        EXPECT_EQ(*down, r.down_at) << "retry " << r.retry;
        EXPECT_EQ(c.stats().probes_sent, r.probes) << "retry " << r.retry;
        EXPECT_EQ(c.stats().timeouts, r.probes - 1) << "retry " << r.retry;
    }
}

TEST(HealthChecker, RefusedIsAFailureCountedAsRefused) {
    health::checker c(cfg(1), 0s);
    EXPECT_EQ(run(c, {alive(1ms), refused(2ms)}, 15s), (log_t{
                                                           "@0 send #1",
                                                           "@1 done #1 alive",
                                                           "@10001 send #2",
                                                           "@10003 done #2 refused",
                                                           "@11003 send #3",
                                                           "@11005 done #3 refused",
                                                           "@11005 DOWN",
                                                       }));
    EXPECT_EQ(c.stats().refused, 2u);
    EXPECT_EQ(c.stats().timeouts, 0u);
    EXPECT_EQ(c.stats().last_result, outcome::refused);
    EXPECT_EQ(c.stats().last_reason, "TCP connection to [10.0.0.2]:tcp:80 refused.");
}

TEST(HealthChecker, NoRouteIsAFailureCountedAsNoRoute) {
    health::checker c(cfg(0), 0s);
    ASSERT_TRUE(c.tick(0s).send);
    ASSERT_TRUE(c.on_result(1ms, 1, outcome::alive).completed);
    ASSERT_TRUE(c.tick(10001ms).send);
    health::step s = c.on_result(10500ms, 2, outcome::no_route);
    ASSERT_TRUE(s.change);
    EXPECT_EQ(s.change->cause, outcome::no_route);
    EXPECT_EQ(s.change->reason, "TCP connection to [10.0.0.2]:tcp:80 failed: neighbour unresolved. "
                                "TCP_CHECK on service [10.0.0.2]:tcp:80 failed.");
    EXPECT_EQ(c.stats().no_route, 1u);
    EXPECT_EQ(c.next_deadline(), usec{20500ms});
}

TEST(HealthChecker, DownComesUpOnTheFirstSuccess) {
    health::checker c(cfg(0), 0s);
    // Starts UP; the first probe times out -> DOWN; failures while DOWN are
    // spaced by delay_loop; the first success -> UP.
    EXPECT_EQ(run(c, {silent(), silent(), alive(50ms)}, 30s), (log_t{
                                                                  "@0 send #1",
                                                                  "@3000 done #1 timeout",
                                                                  "@3000 DOWN",
                                                                  "@13000 send #2",
                                                                  "@16000 done #2 timeout",
                                                                  "@26000 send #3",
                                                                  "@26050 done #3 alive",
                                                                  "@26050 UP",
                                                              }));
    EXPECT_EQ(c.stats().ups, 1u);
    EXPECT_EQ(c.stats().downs, 1u);
    EXPECT_EQ(c.consecutive_failures(), 0u);
}

TEST(HealthChecker, UpTransitionCarriesKeepalivedsReason) {
    health::checker c(cfg(0, /*alpha=*/true), 0s);
    ASSERT_TRUE(c.tick(0s).send);
    health::step s = c.on_result(7ms, 1, outcome::alive);
    ASSERT_TRUE(s.change);
    EXPECT_EQ(s.change->from, state::down);
    EXPECT_EQ(s.change->to, state::up);
    EXPECT_EQ(s.change->at, usec{7ms});
    EXPECT_EQ(s.change->failures, 0u);
    EXPECT_EQ(s.change->reason, "TCP connection to [10.0.0.2]:tcp:80 success.");
}

TEST(HealthChecker, NonAlphaStartsUpAndTheFirstFailureIsEnough) {
    // keepalived check_data.c: "For non alpha mode, one failure is enough
    // initially": retry is not applied before the first completed check.
    health::checker c(cfg(3), 0s);
    EXPECT_TRUE(c.is_up());
    EXPECT_FALSE(c.has_run());
    EXPECT_EQ(run(c, {silent()}, 3s), (log_t{
                                          "@0 send #1",
                                          "@3000 done #1 timeout",
                                          "@3000 DOWN",
                                      }));
    EXPECT_TRUE(c.has_run());
}

TEST(HealthChecker, NonAlphaFirstSuccessIsNoTransition) {
    health::checker c(cfg(), 0s);
    ASSERT_TRUE(c.tick(0s).send);
    health::step s = c.on_result(1ms, 1, outcome::alive);
    EXPECT_TRUE(s.completed);
    EXPECT_FALSE(s.change);
    EXPECT_TRUE(c.has_run());
}

TEST(HealthChecker, AlphaStartsDownAndIgnoresFailuresUntilASuccess) {
    health::checker c(cfg(2, /*alpha=*/true), 0s);
    EXPECT_FALSE(c.is_up());
    EXPECT_EQ(c.current(), state::down);
    // No retries while DOWN: every probe after delay_loop.
    EXPECT_EQ(run(c, {silent(), refused(1ms), alive(2ms)}, 30s), (log_t{
                                                                     "@0 send #1",
                                                                     "@3000 done #1 timeout",
                                                                     "@13000 send #2",
                                                                     "@13001 done #2 refused",
                                                                     "@23001 send #3",
                                                                     "@23003 done #3 alive",
                                                                     "@23003 UP",
                                                                 }));
    EXPECT_EQ(c.stats().downs, 0u);
    EXPECT_EQ(c.stats().ups, 1u);
}

TEST(HealthChecker, AlphaAfterComingUpUsesRetries) {
    health::checker c(cfg(1, /*alpha=*/true), 0s);
    EXPECT_EQ(run(c, {alive(1ms), silent()}, 18s), (log_t{
                                                       "@0 send #1",
                                                       "@1 done #1 alive",
                                                       "@1 UP",
                                                       "@10001 send #2",
                                                       "@13001 done #2 timeout",
                                                       "@14001 send #3",
                                                       "@17001 done #3 timeout",
                                                       "@17001 DOWN",
                                                   }));
}

TEST(HealthChecker, ASuccessBetweenFailuresResetsTheRetryCount) {
    health::checker c(cfg(1), 0s);
    // alive, fail, alive, fail, alive...: never two failures in a row.
    std::vector<answer> script;
    for (int i = 0; i < 50; ++i) { // longer than the run: the last entry repeats
        script.push_back(alive(1ms));
        script.push_back(refused(1ms));
    }
    const log_t log = run(c, script, 60s);
    EXPECT_TRUE(c.is_up());
    EXPECT_EQ(c.stats().downs, 0u);
    EXPECT_GE(c.stats().refused, 3u);
    for (const std::string& line : log) {
        EXPECT_EQ(line.find("DOWN"), std::string::npos) << line;
    }
}

TEST(HealthChecker, WarmupDelaysTheFirstProbe) {
    health::checker c(cfg(2, false, 2500ms), 1s);
    EXPECT_EQ(c.next_deadline(), usec{3500ms});
    EXPECT_FALSE(c.tick(3499999us).send);
    health::step s = c.tick(3500ms);
    ASSERT_TRUE(s.send);
    EXPECT_EQ(s.send->id, 1u);
    EXPECT_EQ(s.send->deadline, usec{6500ms});
}

TEST(HealthChecker, NextDeadlineIsExactAtEveryStage) {
    health::checker c(cfg(1), 100ms);
    EXPECT_EQ(c.next_deadline(), usec{100ms}) << "first probe, no warmup";
    ASSERT_TRUE(c.tick(250ms).send); // a late tick: sent at 250 ms
    EXPECT_EQ(c.next_deadline(), usec{3250ms}) << "sent + connect_timeout";
    EXPECT_EQ(c.outstanding(), 1u);
    ASSERT_TRUE(c.on_result(300ms, 1, outcome::alive).completed);
    EXPECT_EQ(c.next_deadline(), usec{10300ms}) << "answer + delay_loop";
    EXPECT_FALSE(c.outstanding());
    ASSERT_TRUE(c.tick(10300ms).send);
    EXPECT_EQ(c.next_deadline(), usec{13300ms});
    ASSERT_TRUE(c.tick(13300ms).completed);
    EXPECT_EQ(c.next_deadline(), usec{14300ms}) << "timeout + delay_before_retry";
}

TEST(HealthChecker, NothingHappensBeforeADeadline) {
    health::checker c(cfg(), 0s);
    ASSERT_TRUE(c.tick(0s).send);
    health::step s = c.tick(2999999us);
    EXPECT_FALSE(s.completed);
    EXPECT_FALSE(s.send);
    EXPECT_EQ(c.outstanding(), 1u);
}

TEST(HealthChecker, ALateTickTimesOutAsOfTheDeadlineAndSendsAtOnceIfDue) {
    health::checker c(cfg(2), 0s);
    ASSERT_TRUE(c.tick(0s).send);
    ASSERT_TRUE(c.on_result(0s, 1, outcome::alive).completed);
    ASSERT_TRUE(c.tick(10s).send);
    // Timeout is due at 13 s, the retry at 14 s; the control core only gets
    // to tick at 20 s.
    health::step s = c.tick(20s);
    ASSERT_TRUE(s.completed);
    EXPECT_EQ(*s.completed, 2u);
    EXPECT_EQ(s.result, outcome::timeout);
    EXPECT_EQ(c.stats().last_check, usec{13s});
    ASSERT_TRUE(s.send);
    EXPECT_EQ(s.send->id, 3u);
    EXPECT_EQ(s.send->deadline, usec{23s}) << "timeout runs from the real send";
}

TEST(HealthChecker, ZeroDelayBeforeRetryRetriesInTheSameTick) {
    health::checker_config conf = cfg(1);
    conf.delay_before_retry = 0s;
    health::checker c(conf, 0s);
    ASSERT_TRUE(c.tick(0s).send);
    ASSERT_TRUE(c.on_result(0s, 1, outcome::alive).completed);
    ASSERT_TRUE(c.tick(10s).send);
    health::step s = c.tick(13s);
    EXPECT_EQ(s.completed, 2u);
    ASSERT_TRUE(s.send);
    EXPECT_EQ(s.send->id, 3u);
}

TEST(HealthChecker, StaleResultsAreIgnoredAndCounted) {
    health::checker c(cfg(0), 0s);
    EXPECT_FALSE(c.on_result(0s, 1, outcome::refused).completed) << "nothing in flight";
    ASSERT_TRUE(c.tick(0s).send);
    EXPECT_FALSE(c.on_result(1ms, 7, outcome::refused).completed) << "wrong id";
    ASSERT_TRUE(c.tick(3s).completed); // probe 1 times out -> DOWN
    EXPECT_FALSE(c.is_up());
    // probe 1's answer arrives late: it must not bring the server back.
    health::step s = c.on_result(3500ms, 1, outcome::alive);
    EXPECT_FALSE(s.completed);
    EXPECT_FALSE(s.change);
    EXPECT_FALSE(c.is_up());
    EXPECT_EQ(c.stats().stale_results, 3u);
    EXPECT_EQ(c.stats().successes, 0u);
}

TEST(HealthChecker, CancelReschedulesAfterDelayLoopWithoutAStateChange) {
    health::checker c(cfg(0), 0s);
    health::step s = c.tick(0s);
    ASSERT_TRUE(s.send);
    EXPECT_FALSE(c.cancel(0s, s.send->id + 1)) << "not the outstanding probe";
    EXPECT_TRUE(c.cancel(0s, s.send->id));
    EXPECT_FALSE(c.cancel(0s, s.send->id)) << "already cancelled";
    EXPECT_TRUE(c.is_up());
    EXPECT_FALSE(c.has_run());
    EXPECT_EQ(c.next_deadline(), usec{10s});
    EXPECT_EQ(c.stats().cancelled, 1u);
    EXPECT_EQ(c.stats().probes_sent, 0u);
    EXPECT_FALSE(c.on_result(1s, s.send->id, outcome::alive).completed);
    s = c.tick(10s);
    ASSERT_TRUE(s.send);
    EXPECT_EQ(s.send->id, 2u) << "ids are not reused";
}

TEST(HealthChecker, ProbeIdsIncreaseByOne) {
    health::checker c(cfg(), 0s);
    for (std::uint32_t want = 1; want <= 5; ++want) {
        health::step s = c.tick(c.next_deadline());
        ASSERT_TRUE(s.send);
        EXPECT_EQ(s.send->id, want);
        ASSERT_TRUE(c.on_result(c.next_deadline() - 1s, want, outcome::alive).completed);
    }
}
