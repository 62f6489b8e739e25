// keepalived's virtual_server quorum rule (lib/lb/quorum.hpp), against
// keepalived 2.2.7's ipwrapper.c update_quorum_state(): gained at
// live >= quorum + hysteresis, lost at live < quorum - hysteresis or 0.
#include <gtest/gtest.h>

#include "lb/quorum.hpp"

namespace vipgate::lb {
namespace {

struct quorum_case {
    const char* name;
    quorum_rule rule;
    bool up;
    std::uint64_t live;
    bool first = false;
    bool sorry = false;
    // expected
    bool want_up;
    quorum_change want_change;
    std::int64_t want_threshold;
};

const quorum_case cases[] = {
    // Defaults (quorum 1, hysteresis 0): lost only when nothing is live.
    {.name = "default up, live 1",
     .rule = {},
     .up = true,
     .live = 1,
     .want_up = true,
     .want_change = quorum_change::none,
     .want_threshold = 1},
    {.name = "default up, live 0",
     .rule = {},
     .up = true,
     .live = 0,
     .want_up = false,
     .want_change = quorum_change::lost,
     .want_threshold = 1},
    {.name = "default down, live 1",
     .rule = {},
     .up = false,
     .live = 1,
     .want_up = true,
     .want_change = quorum_change::gained,
     .want_threshold = 1},
    {.name = "default down, live 0",
     .rule = {},
     .up = false,
     .live = 0,
     .want_up = false,
     .want_change = quorum_change::none,
     .want_threshold = 1},
    // quorum 4, hysteresis 1: lost below 3, regained at 5.
    {.name = "q4h1 up, live 3 stays",
     .rule = {4, 1},
     .up = true,
     .live = 3,
     .want_up = true,
     .want_change = quorum_change::none,
     .want_threshold = 3},
    {.name = "q4h1 up, live 2 lost",
     .rule = {4, 1},
     .up = true,
     .live = 2,
     .want_up = false,
     .want_change = quorum_change::lost,
     .want_threshold = 3},
    {.name = "q4h1 down, live 4 stays down",
     .rule = {4, 1},
     .up = false,
     .live = 4,
     .want_up = false,
     .want_change = quorum_change::none,
     .want_threshold = 5},
    {.name = "q4h1 down, live 5 gained",
     .rule = {4, 1},
     .up = false,
     .live = 5,
     .want_up = true,
     .want_change = quorum_change::gained,
     .want_threshold = 5},
    {.name = "q4h1 down, live 9 gained",
     .rule = {4, 1},
     .up = false,
     .live = 9,
     .want_up = true,
     .want_change = quorum_change::gained,
     .want_threshold = 5},
    // quorum 3, no hysteresis: exactly at the quorum is enough.
    {.name = "q3 up, live 3",
     .rule = {3, 0},
     .up = true,
     .live = 3,
     .want_up = true,
     .want_change = quorum_change::none,
     .want_threshold = 3},
    {.name = "q3 up, live 2",
     .rule = {3, 0},
     .up = true,
     .live = 2,
     .want_up = false,
     .want_change = quorum_change::lost,
     .want_threshold = 3},
    {.name = "q3 down, live 3",
     .rule = {3, 0},
     .up = false,
     .live = 3,
     .want_up = true,
     .want_change = quorum_change::gained,
     .want_threshold = 3},
    // A hysteresis at or above the quorum (the loader refuses it): live 0
    // still loses the quorum (keepalived's `!weight_sum`).
    {.name = "q2h5 up, live 0",
     .rule = {2, 5},
     .up = true,
     .live = 0,
     .want_up = false,
     .want_change = quorum_change::lost,
     .want_threshold = -3},
    {.name = "q2h5 up, live 1",
     .rule = {2, 5},
     .up = true,
     .live = 1,
     .want_up = true,
     .want_change = quorum_change::none,
     .want_threshold = -3},
    // Start-up: gained when enough; without it, reported lost only with a
    // sorry server (init_service_vs(): "Starting with quorum down").
    {.name = "first, enough",
     .rule = {2, 0},
     .up = false,
     .live = 2,
     .first = true,
     .sorry = true,
     .want_up = true,
     .want_change = quorum_change::gained,
     .want_threshold = 2},
    {.name = "first, short, sorry",
     .rule = {2, 0},
     .up = false,
     .live = 1,
     .first = true,
     .sorry = true,
     .want_up = false,
     .want_change = quorum_change::lost,
     .want_threshold = 2},
    {.name = "first, short, no sorry",
     .rule = {2, 0},
     .up = false,
     .live = 1,
     .first = true,
     .sorry = false,
     .want_up = false,
     .want_change = quorum_change::none,
     .want_threshold = 2},
    {.name = "not first, short, sorry",
     .rule = {2, 0},
     .up = false,
     .live = 1,
     .first = false,
     .sorry = true,
     .want_up = false,
     .want_change = quorum_change::none,
     .want_threshold = 2},
    // Large weights (31-bit weights summed) do not overflow.
    {.name = "large live",
     .rule = {4000000000u, 1},
     .up = false,
     .live = 0x7fffffffull * 4096,
     .want_up = true,
     .want_change = quorum_change::gained,
     .want_threshold = 4000000001},
};

TEST(quorum, table) {
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const quorum_step s = next_quorum(c.up, c.live, c.rule, c.first, c.sorry);
        EXPECT_EQ(s.up, c.want_up);
        EXPECT_EQ(quorum_change_name(s.change), quorum_change_name(c.want_change));
        EXPECT_EQ(s.threshold, c.want_threshold);
    }
}

// A walk down and up with quorum 4, hysteresis 1: the state only flips at
// the two edges, never in between.
TEST(quorum, hysteresis_walk) {
    const quorum_rule rule{4, 1};
    const std::uint64_t live[] = {6, 4, 3, 2, 3, 4, 5, 4, 3, 2};
    const bool want[] = {true, true, true, false, false, false, true, true, true, false};
    bool up = true;
    for (std::size_t i = 0; i < std::size(live); ++i) {
        SCOPED_TRACE(i);
        up = next_quorum(up, live[i], rule, false, false).up;
        EXPECT_EQ(up, want[i]);
    }
}

} // namespace
} // namespace vipgate::lb
