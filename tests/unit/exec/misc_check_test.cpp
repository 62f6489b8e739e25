// MISC_CHECK's exit-status rule, with and without misc_dynamic.
#include "exec/misc_check.hpp"

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
