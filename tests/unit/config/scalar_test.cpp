#include "config/scalar.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>

namespace vipgate::config {
namespace {

using namespace std::chrono_literals;

struct bool_case {
    const char* text;
    std::optional<bool> want;
};

TEST(ParseBool, Table) {
    const bool_case cases[] = {
        {"true", true},
        {"True", true},
        {"TRUE", true},
        {"yes", true},
        {"Yes", true},
        {"YES", true},
        {"on", true},
        {"On", true},
        {"ON", true},
        {"false", false},
        {"False", false},
        {"FALSE", false},
        {"no", false},
        {"NO", false},
        {"off", false},
        {"Off", false},
        {"1", std::nullopt},
        {"0", std::nullopt},
        {"", std::nullopt},
        {"tRUE", std::nullopt},
        {"y", std::nullopt},
        {"n", std::nullopt},
        {" true", std::nullopt},
        {"enabled", std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(parse_bool(c.text), c.want) << "input '" << c.text << "'";
    }
}

struct uint_case {
    const char* text;
    std::uint64_t min;
    std::uint64_t max;
    std::optional<std::uint64_t> want;
    const char* reason; // substring of the error when want is empty
};

TEST(ParseUint, Table) {
    constexpr auto u64max = std::numeric_limits<std::uint64_t>::max();
    const uint_case cases[] = {
        {"0", 0, 10, 0, ""},
        {"10", 0, 10, 10, ""},
        {"11", 0, 10, std::nullopt, "out of range"},
        {"5", 6, 10, std::nullopt, "out of range"},
        {"-1", 0, 10, std::nullopt, "out of range"},
        {"18446744073709551615", 0, u64max, u64max, ""},
        {"18446744073709551616", 0, u64max, std::nullopt, "out of range"},
        {"99999999999999999999999", 0, u64max, std::nullopt, "out of range"},
        {"010", 0, 100, std::nullopt, "leading zero"},
        {"+1", 0, 10, std::nullopt, "not an integer"},
        {"0x10", 0, 100, std::nullopt, "not an integer"},
        {"1_000", 0, 10000, std::nullopt, "not an integer"},
        {"1.0", 0, 10, std::nullopt, "not an integer"},
        {" 1", 0, 10, std::nullopt, "not an integer"},
        {"abc", 0, 10, std::nullopt, "not an integer"},
        {"", 0, 10, std::nullopt, "empty"},
    };
    for (const auto& c : cases) {
        auto r = parse_uint(c.text, c.min, c.max);
        if (c.want) {
            ASSERT_TRUE(r.ok()) << c.text << ": " << r.message();
            EXPECT_EQ(*r, *c.want) << c.text;
        } else {
            ASSERT_FALSE(r.ok()) << c.text;
            EXPECT_NE(r.message().find(c.reason), std::string::npos)
                << c.text << ": " << r.message();
        }
    }
}

TEST(UintSpec, KeywordPowerOfTwoAndExpected) {
    const uint_spec workers{.min = 0, .max = 64, .keyword = "auto", .keyword_value = 0};
    EXPECT_EQ(workers.expected(), "\"auto\" or an integer 0..64");
    auto a = workers.parse("auto");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(*a, 0u);
    EXPECT_FALSE(workers.parse("Auto").ok());
    EXPECT_FALSE(workers.parse("65").ok());

    const uint_spec ring{.min = 64, .max = 65536, .power_of_two = true};
    EXPECT_EQ(ring.expected(), "a power of two 64..65536");
    EXPECT_TRUE(ring.parse("64").ok());
    EXPECT_TRUE(ring.parse("65536").ok());
    auto bad = ring.parse("1000");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.message(), "is not a power of two");
    EXPECT_FALSE(ring.parse("32").ok());

    EXPECT_EQ(uint_spec{}.expected(), "an integer");
    EXPECT_TRUE(is_power_of_two(1));
    EXPECT_TRUE(is_power_of_two(std::uint64_t{1} << 63));
    EXPECT_FALSE(is_power_of_two(0));
    EXPECT_FALSE(is_power_of_two(6));
}

struct duration_case {
    const char* text;
    std::optional<std::chrono::nanoseconds> want;
    const char* reason;
};

TEST(ParseDuration, Table) {
    const duration_case cases[] = {
        {"1s", 1s, ""},
        {"100ms", 100ms, ""},
        {"3s", 3s, ""},
        {"0.5s", 500ms, ""},
        {"2m", 2min, ""},
        {"1.5m", 90s, ""},
        {"1h", 1h, ""},
        {"0.25h", 15min, ""},
        {"250us", 250us, ""},
        {"7ns", 7ns, ""},
        {"1.5ms", 1500us, ""},
        {"3", 3s, ""},      // plain number: seconds
        {"0.001", 1ms, ""}, // plain decimal: seconds
        {"0", 0s, ""},
        {"0.000000001s", 1ns, ""},
        {"1.000000000000s", 1s, ""}, // trailing zeros beyond ns are harmless
        {"9223372036s", 9223372036s, ""},
        {"0.0000000001s", std::nullopt, "more precise"},
        {"1.5ns", std::nullopt, "more precise"},
        {"-1s", std::nullopt, "negative"},
        {"-0.5", std::nullopt, "negative"},
        {"9223372037s", std::nullopt, "too large"},
        {"99999999999999999999s", std::nullopt, "too large"},
        {"3000000h", std::nullopt, "too large"},
        {"1d", std::nullopt, "unknown unit 'd'"},
        {"5sec", std::nullopt, "unknown unit 'sec'"},
        {"1 s", std::nullopt, "not a duration"},
        {"s", std::nullopt, "not a duration"},
        {".5s", std::nullopt, "not a duration"},
        {"1.s", std::nullopt, "not a duration"},
        {"1s2", std::nullopt, "not a duration"},
        {"1m30s", std::nullopt, "not a duration"},
        {"05s", std::nullopt, "leading zero"},
        {"", std::nullopt, "empty"},
    };
    for (const auto& c : cases) {
        auto r = parse_duration(c.text);
        if (c.want) {
            ASSERT_TRUE(r.ok()) << c.text << ": " << r.message();
            EXPECT_EQ(r->count(), c.want->count()) << c.text;
        } else {
            ASSERT_FALSE(r.ok()) << c.text << " parsed as " << r->count() << "ns";
            EXPECT_NE(r.message().find(c.reason), std::string::npos)
                << c.text << ": " << r.message();
        }
    }
}

TEST(FormatDuration, PicksLargestExactUnit) {
    EXPECT_EQ(format_duration(0s), "0s");
    EXPECT_EQ(format_duration(300s), "5m");
    EXPECT_EQ(format_duration(24h), "24h");
    EXPECT_EQ(format_duration(1500ms), "1500ms");
    EXPECT_EQ(format_duration(10ms), "10ms");
    EXPECT_EQ(format_duration(61s), "61s");
    EXPECT_EQ(format_duration(1001ns), "1001ns");
}

TEST(DurationSpec, RangeGranularityAndExpected) {
    const duration_spec whole_seconds{.min = 1s, .max = 24h, .granularity = 1s};
    EXPECT_EQ(whole_seconds.expected(), "a duration 1s..24h in whole seconds, such as 30s or 5m");
    EXPECT_TRUE(whole_seconds.parse("300s").ok());
    EXPECT_TRUE(whole_seconds.parse("5m").ok());
    auto frac = whole_seconds.parse("1500ms");
    ASSERT_FALSE(frac.ok());
    EXPECT_EQ(frac.message(), "is not in whole seconds");
    auto small = whole_seconds.parse("0.5s");
    ASSERT_FALSE(small.ok());
    EXPECT_EQ(small.message(), "is out of range");
    EXPECT_FALSE(whole_seconds.parse("25h").ok());

    const duration_spec centi{.min = 10ms, .max = 40950ms, .granularity = 10ms};
    EXPECT_NE(centi.expected().find("in multiples of 10ms"), std::string::npos);
    EXPECT_TRUE(centi.parse("1.23s").ok());
    EXPECT_FALSE(centi.parse("1.234s").ok());

    EXPECT_EQ(duration_spec{.min = 1s}.expected(),
              "a duration of at least 1s, such as 1s, 100ms or 2m");
    EXPECT_TRUE(duration_spec{}.parse("0").ok());
}

struct address_case {
    const char* prefix;
    const char* problem; // nullptr when the address is a valid host address
};

TEST(HostAddressProblem, Table) {
    const address_case cases[] = {
        {"192.168.44.44/24", nullptr},
        {"10.0.0.1/8", nullptr},
        {"10.0.0.0/31", nullptr}, // RFC 3021: both addresses of a /31 are hosts
        {"10.0.0.1/31", nullptr},
        {"10.0.0.0/32", nullptr},
        {"10.255.255.255/32", nullptr},
        {"192.168.44.0/24", "network address of 192.168.44.0/24"},
        {"192.168.44.255/24", "broadcast address of 192.168.44.0/24"},
        {"10.0.0.3/30", "broadcast address of 10.0.0.0/30"},
        {"0.0.0.0/24", "0.0.0.0/8"},
        {"0.1.2.3/24", "0.0.0.0/8"},
        {"127.0.0.1/8", "loopback"},
        {"224.0.0.18/24", "multicast"},
        {"239.1.1.1/24", "multicast"},
        {"240.0.0.1/24", "reserved"},
        {"255.255.255.255/32", "limited broadcast"},
    };
    for (const auto& c : cases) {
        auto p = net::ipv4_prefix::parse(c.prefix);
        ASSERT_TRUE(p) << c.prefix;
        auto why = host_address_problem(*p);
        if (c.problem == nullptr) {
            EXPECT_FALSE(why) << c.prefix << ": " << *why;
        } else {
            ASSERT_TRUE(why) << c.prefix;
            EXPECT_NE(why->find(c.problem), std::string::npos) << c.prefix << ": " << *why;
        }
    }
}

struct pci_case {
    const char* text;
    const char* want; // nullptr: not a PCI address
};

TEST(NormalizePciAddress, Table) {
    const pci_case cases[] = {
        {"0000:03:00.0", "0000:03:00.0"},
        {"03:00.0", "0000:03:00.0"},
        {"0001:AF:1f.7", "0001:af:1f.7"},
        {"ff:1F.7", "0000:ff:1f.7"},
        {"03:20.0", nullptr}, // device is 5 bits
        {"03:00.8", nullptr}, // function is 3 bits
        {"3:00.0", nullptr},
        {"00:03:00.0", nullptr},
        {"0000:03:00", nullptr},
        {"0000-03:00.0", nullptr},
        {"0000:03:00.0 ", nullptr},
        {"net_ring0", nullptr},
        {"", nullptr},
    };
    for (const auto& c : cases) {
        auto r = normalize_pci_address(c.text);
        if (c.want == nullptr) {
            EXPECT_FALSE(r) << c.text << " -> " << *r;
        } else {
            ASSERT_TRUE(r) << c.text;
            EXPECT_EQ(*r, c.want);
        }
    }
}

} // namespace
} // namespace vipgate::config
