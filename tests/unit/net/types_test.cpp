#include <gtest/gtest.h>

#include <optional>
#include <string_view>

#include "net/types.hpp"
#include "printers.hpp"

namespace vipgate::net {
namespace {

struct ipv4_case {
    std::string_view text;
    std::optional<ipv4_addr> want;
};

TEST(Ipv4Addr, ParseTable) {
    const ipv4_case cases[] = {
        {.text = "0.0.0.0", .want = ipv4_addr{0}},
        {.text = "192.168.44.44", .want = ipv4_addr{192, 168, 44, 44}},
        {.text = "255.255.255.255", .want = ipv4_addr{0xffffffffu}},
        {.text = "10.0.0.1", .want = ipv4_addr{10, 0, 0, 1}},
        {.text = "1.2.3.4", .want = ipv4_addr{0x01020304u}},
        {.text = "", .want = std::nullopt},
        {.text = "1.2.3", .want = std::nullopt},
        {.text = "1.2.3.4.5", .want = std::nullopt},
        {.text = "256.1.1.1", .want = std::nullopt},
        {.text = "1.2.3.256", .want = std::nullopt},
        {.text = "1.2.3.1000", .want = std::nullopt},
        {.text = "01.2.3.4", .want = std::nullopt}, // leading zero: octal ambiguity
        {.text = "1.2.3.00", .want = std::nullopt},
        {.text = "1.2.3.4 ", .want = std::nullopt},
        {.text = " 1.2.3.4", .want = std::nullopt},
        {.text = "1. 2.3.4", .want = std::nullopt},
        {.text = "+1.2.3.4", .want = std::nullopt},
        {.text = "-1.2.3.4", .want = std::nullopt},
        {.text = "1.2.3.", .want = std::nullopt},
        {.text = ".1.2.3", .want = std::nullopt},
        {.text = "1..2.3", .want = std::nullopt},
        {.text = "1.2.3.4/24", .want = std::nullopt},
        {.text = "0x1.2.3.4", .want = std::nullopt},
        {.text = "a.b.c.d", .want = std::nullopt},
        {.text = "4294967295", .want = std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(ipv4_addr::parse(c.text), c.want) << "input '" << c.text << "'";
    }
}

TEST(Ipv4Addr, ToStringRoundTrips) {
    for (const std::string_view s :
         {"0.0.0.0", "1.2.3.4", "192.168.44.150", "255.255.255.255", "10.100.200.9"}) {
        const auto a = ipv4_addr::parse(s);
        ASSERT_TRUE(a) << s;
        EXPECT_EQ(a->to_string(), s);
    }
    EXPECT_EQ(ipv4_addr(172, 18, 0, 2).to_string(), "172.18.0.2");
}

struct mac_case {
    std::string_view text;
    std::optional<mac_addr> want;
};

TEST(MacAddr, ParseTable) {
    const mac_case cases[] = {
        {.text = "00:00:00:00:00:00", .want = mac_addr{}},
        {.text = "ff:ff:ff:ff:ff:ff", .want = mac_addr::broadcast()},
        {.text = "02:aB:cD:0e:F0:99", .want = mac_addr{{0x02, 0xab, 0xcd, 0x0e, 0xf0, 0x99}}},
        {.text = "", .want = std::nullopt},
        {.text = "02:ab:cd:0e:f0", .want = std::nullopt},
        {.text = "02:ab:cd:0e:f0:99:11", .want = std::nullopt},
        {.text = "02-ab-cd-0e-f0-99", .want = std::nullopt},
        {.text = "02:ab:cd:0e:f0:9g", .want = std::nullopt},
        {.text = "2:ab:cd:0e:f0:99:", .want = std::nullopt},
        {.text = " 02:ab:cd:0e:f0:9", .want = std::nullopt},
        {.text = "02:ab:cd:0e:f0:99 ", .want = std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(mac_addr::parse(c.text), c.want) << "input '" << c.text << "'";
    }
}

TEST(MacAddr, ToStringAndPredicates) {
    const mac_addr m{{0x02, 0xab, 0xcd, 0x0e, 0xf0, 0x99}};
    EXPECT_EQ(m.to_string(), "02:ab:cd:0e:f0:99");
    EXPECT_EQ(mac_addr::parse(m.to_string()), m);
    EXPECT_FALSE(m.is_multicast());
    EXPECT_FALSE(m.is_zero());
    EXPECT_TRUE(mac_addr::broadcast().is_multicast());
    EXPECT_TRUE((mac_addr{{0x01, 0x00, 0x5e, 0, 0, 0x12}}.is_multicast()));
    EXPECT_TRUE(mac_addr{}.is_zero());
}

struct prefix_case {
    std::string_view text;
    std::optional<ipv4_prefix> want;
};

TEST(Ipv4Prefix, ParseTable) {
    const prefix_case cases[] = {
        {.text = "192.168.44.44/24", .want = ipv4_prefix{ipv4_addr{192, 168, 44, 44}, 24}},
        {.text = "0.0.0.0/0", .want = ipv4_prefix{ipv4_addr{0}, 0}},
        {.text = "10.1.2.3/32", .want = ipv4_prefix{ipv4_addr{10, 1, 2, 3}, 32}},
        {.text = "10.1.2.3/33", .want = std::nullopt},
        {.text = "10.1.2.3/", .want = std::nullopt},
        {.text = "10.1.2.3", .want = std::nullopt}, // length is required
        {.text = "10.1.2.3/08", .want = std::nullopt},
        {.text = "10.1.2.3/-1", .want = std::nullopt},
        {.text = "10.1.2.3/24 ", .want = std::nullopt},
        {.text = "10.1.2.3 /24", .want = std::nullopt},
        {.text = "10.1.2/24", .want = std::nullopt},
        {.text = "/24", .want = std::nullopt},
        {.text = "10.1.2.3/24/1", .want = std::nullopt},
        {.text = "10.1.2.3/100", .want = std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(ipv4_prefix::parse(c.text), c.want) << "input '" << c.text << "'";
    }
}

TEST(Ipv4Prefix, MaskContainsToString) {
    const auto p = ipv4_prefix::parse("192.168.44.44/24");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->mask(), 0xffffff00u);
    EXPECT_TRUE(p->contains(ipv4_addr{192, 168, 44, 150}));
    EXPECT_FALSE(p->contains(ipv4_addr{192, 168, 45, 1}));
    EXPECT_EQ(p->to_string(), "192.168.44.44/24");
    EXPECT_EQ((ipv4_prefix{ipv4_addr{0}, 0}.mask()), 0u);
    EXPECT_EQ((ipv4_prefix{ipv4_addr{0}, 32}.mask()), 0xffffffffu);
}

} // namespace
} // namespace vipgate::net
