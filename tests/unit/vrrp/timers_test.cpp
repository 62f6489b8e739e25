// Skew_Time and Master_Down_Interval, microsecond-exact against keepalived's
// integer formulas (vrrp.h:433-436).

#include "test_util.hpp"
#include "vrrp/timers.hpp"

namespace vipgate::vrrp::test {
namespace {

struct timer_case {
    std::uint8_t version;
    std::uint8_t priority;
    microseconds master_adver_int;
    microseconds skew;
    microseconds down;
};

TEST(timers, skew_and_master_down_match_keepalived) {
    const timer_case cases[] = {
        // v2: (256-p)*1e6/256, independent of the interval (RFC 3768 §6.1)
        {2, 100, 1s, 609375us, 3609375us},
        {2, 150, 1s, 414062us, 3414062us}, // 414062.5 truncated; Obs 3.41 s
        {2, 254, 1s, 7812us, 3007812us},
        {2, 255, 1s, 3906us, 3003906us},
        {2, 1, 1s, 996093us, 3996093us},
        {2, 100, 3s, 609375us, 9609375us},
        // v3: (256-p)*cs*625/16 (RFC 5798 §6.1)
        {3, 100, 1s, 609375us, 3609375us},
        {3, 150, 500ms, 207031us, 1707031us},
        {3, 200, 250ms, 54687us, 804687us},
        {3, 100, 10ms, 6093us, 36093us},
        {3, 254, 10ms, 78us, 30078us},
        {3, 255, 1s, 3906us, 3003906us},
        {3, 1, 40950ms, 40790039us, 163640039us},
        // v3 truncates the interval to whole centiseconds before the skew
        {3, 100, 10999us, 6093us, 39090us},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(testing::Message() << "v" << int{c.version} << " prio " << int{c.priority}
                                        << " adv " << c.master_adver_int.count() << "us");
        EXPECT_EQ(skew_time(c.version, c.priority, c.master_adver_int), c.skew);
        EXPECT_EQ(master_down_interval(c.version, c.priority, c.master_adver_int), c.down);
    }
}

TEST(timers, instance_reports_its_own_timers) {
    auto i = make_instance(v3_config(150, 500ms));
    EXPECT_EQ(i.skew_time(), 207031us);
    EXPECT_EQ(i.master_down_interval(), 1707031us);
    EXPECT_EQ(i.master_adver_interval(), 500ms);
}

} // namespace
} // namespace vipgate::vrrp::test
