#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "pipeline/drop_reason.hpp"

namespace vipgate::pipeline {
namespace {

TEST(DropReason, NoneIsFirstAndNamesComeFromTheTable) {
    EXPECT_EQ(to_index(drop_reason::none), 0u);
    EXPECT_STREQ(drop_reason_name(drop_reason::none), "none");
    EXPECT_STREQ(drop_reason_name(drop_reason::ipv4_bad_checksum), "ipv4_bad_checksum");
    EXPECT_STREQ(drop_reason_name(drop_reason::vrrp_no_instance), "vrrp_no_instance");
}

TEST(DropReason, ShellReasonsExist) {
    // lib/dataplane counts these itself; the names are part of the counter API.
    EXPECT_STREQ(drop_reason_name(drop_reason::multi_segment), "multi_segment");
    EXPECT_STREQ(drop_reason_name(drop_reason::punt_ring_full), "punt_ring_full");
    EXPECT_STREQ(drop_reason_name(drop_reason::tx_full), "tx_full");
    EXPECT_STREQ(drop_reason_name(drop_reason::no_service), "no_service");
}

TEST(DropReason, EveryNameIsUniqueSnakeCaseWithHelp) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < drop_reason_count; ++i) {
        const auto r = static_cast<drop_reason>(i);
        const std::string name = drop_reason_name(r);
        SCOPED_TRACE(name);
        EXPECT_TRUE(seen.insert(name).second) << "duplicate name";
        ASSERT_FALSE(name.empty());
        EXPECT_TRUE(std::islower(static_cast<unsigned char>(name.front())));
        for (const char c : name) {
            EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || c == '_' ||
                        std::isdigit(static_cast<unsigned char>(c)));
        }
        EXPECT_NE(name, "unknown");
        EXPECT_GT(std::strlen(drop_reason_help(r)), 5u);
        EXPECT_EQ(std::strchr(drop_reason_help(r), '\n'), nullptr) << "help is one line";
    }
    EXPECT_EQ(seen.size(), drop_reason_count);
}

TEST(DropReason, OutOfRangeIsUnknown) {
    const auto bad = static_cast<drop_reason>(drop_reason_count);
    EXPECT_STREQ(drop_reason_name(bad), "unknown");
    EXPECT_STREQ(drop_reason_help(bad), "unknown drop reason");
}

} // namespace
} // namespace vipgate::pipeline

// docs/operations.md must list every drop reason (the table operators read).
TEST(DropReason, EveryReasonIsDocumentedInOperationsMd) {
    std::ifstream in(std::string(VIPGATE_SOURCE_DIR) + "/docs/operations.md");
    ASSERT_TRUE(in.good()) << "docs/operations.md not found";
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string doc = ss.str();
    for (std::size_t i = 1; i < vipgate::pipeline::drop_reason_count; ++i) {
        const auto r = static_cast<vipgate::pipeline::drop_reason>(i);
        const std::string name = std::string("`") + vipgate::pipeline::drop_reason_name(r) + "`";
        EXPECT_NE(doc.find(name), std::string::npos) << name << " missing from docs/operations.md";
    }
}
