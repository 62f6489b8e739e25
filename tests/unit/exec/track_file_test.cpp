// keepalived's track_file rule (trackers/track_file.c in 2.2.7): the text
// of the file as a number, and what the number does to one instance.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "exec/track_file.hpp"

namespace vipgate::exec {
namespace {

TEST(TrackFile, Parse) {
    struct row {
        const char* text;
        std::optional<std::int64_t> want;
    };
    const row rows[] = {
        {"", 0},
        {"0\n", 0},
        {"5\n", 5},
        {"  -3", -3},
        {"+7", 7},
        {"0x10", 16},  // strtol base 0: hex
        {"010", 8},    // and octal
        {"12abc", 12}, // trailing text ignored
        {"abc", 0},    // no digits: 0
        {"2147483647", 2147483647},
        {"2147483648", 2147483648LL}, // keepalived allows INT32_MAX + 1
        {"2147483649", std::nullopt},
        {"-2147483648", -2147483648LL},
        {"-2147483649", std::nullopt},
        {"99999999999999999999", std::nullopt}, // overflow
    };
    for (const auto& r : rows) {
        EXPECT_EQ(parse_track_file(r.text), r.want) << '"' << r.text << '"';
    }
}

TEST(TrackFile, Effect) {
    struct row {
        const char* name;
        std::int64_t v;
        int weight;
        bool reverse;
        track_effect want;
    };
    const row rows[] = {
        {"w0_zero_ok", 0, 0, false, {}},
        {"w0_nonzero_fault", 3, 0, false, {.fault = true}},
        {"w0_negative_fault", -1, 0, false, {.fault = true}},
        {"w0_reverse_zero_fault", 0, 0, true, {.fault = true}},
        {"w0_reverse_nonzero_ok", 7, 0, true, {}},
        {"w1_adds_value", 10, 1, false, {.priority_delta = 10}},
        {"w1_negative_value", -20, 1, false, {.priority_delta = -20}},
        {"w_multiplies", 3, -5, false, {.priority_delta = -15}},
        {"reverse_flips_sign", 3, 5, true, {.priority_delta = -15}},
        {"clamped_to_253", 100, 10, false, {.priority_delta = 253}},
        {"minus_253_is_a_delta", -253, 1, false, {.priority_delta = -253}},
        {"minus_254_is_fault", -254, 1, false, {.fault = true}},
        {"far_below_is_fault", -2147483648LL, 254, false, {.fault = true}},
        {"far_above_clamped", 2147483648LL, 254, false, {.priority_delta = 253}},
        {"zero_weighted_nothing", 0, 50, false, {}},
    };
    for (const auto& r : rows) {
        EXPECT_EQ(file_effect(r.v, r.weight, r.reverse), r.want) << r.name;
    }
}

std::string temp_path(const char* tag) {
    return ::testing::TempDir() + "/track_file_" + tag + "_" + std::to_string(::getpid());
}

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(TrackFile, ReadMissingIsEmpty) {
    EXPECT_EQ(read_track_file("/nonexistent/vipgate/track"), "");
    const auto p = temp_path("read");
    std::ofstream(p) << "42\n";
    EXPECT_EQ(read_track_file(p), "42\n");
    std::ofstream(p) << std::string(300, '1'); // only the first 127 bytes are read
    EXPECT_EQ(read_track_file(p).size(), track_file_read_max);
    std::remove(p.c_str());
}

TEST(TrackFile, InitFile) {
    const auto p = temp_path("init");
    std::remove(p.c_str());
    EXPECT_EQ(init_track_file(p, 5, false, false), "");
    EXPECT_EQ(slurp(p), "5\n"); // created
    EXPECT_EQ(init_track_file(p, 9, false, false), "");
    EXPECT_EQ(slurp(p), "5\n"); // exists: kept without overwrite
    EXPECT_EQ(init_track_file(p, 9, true, true), "");
    EXPECT_EQ(slurp(p), "5\n"); // never on a reload
    EXPECT_EQ(init_track_file(p, -9, true, false), "");
    EXPECT_EQ(slurp(p), "-9\n"); // overwrite
    std::remove(p.c_str());
    EXPECT_NE(init_track_file(::testing::TempDir(), 1, true, false), ""); // a directory
    EXPECT_NE(init_track_file("/nonexistent/vipgate/track", 1, false, false), "");
}

} // namespace
} // namespace vipgate::exec
