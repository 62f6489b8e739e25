// kernel_link: an af_packet port's link comes from the kernel interface's
// carrier (DPDK 22.11's net_af_packet always reports up), read from sysfs.

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <optional>
#include <string>

#include "dataplane/kernel_link.hpp"

namespace vipgate::dataplane {
namespace {

TEST(KernelLink, AfPacketIfaceFromTheDeviceString) {
    struct row {
        const char* device;
        std::optional<std::string> iface;
    };
    const row rows[] = {
        {"net_af_packet0,iface=veth0", "veth0"},
        {"net_af_packet1,qpairs=2,iface=vg-ext", "vg-ext"},
        {"net_af_packet0,iface=eth1,qpairs=4,blocksz=4096", "eth1"},
        {"net_af_packet0", std::nullopt},        // no iface=: EAL refuses it anyway
        {"net_af_packet0,iface=", std::nullopt}, // empty name
        {"net_af_packet0,ifaces=x", std::nullopt},
        {"net_pcap0,iface=eth0", std::nullopt}, // not af_packet: DPDK's report stands
        {"net_tap0,iface=tap0", std::nullopt},
        {"0000:03:00.0", std::nullopt},
        {"", std::nullopt},
    };
    for (const auto& r : rows) {
        EXPECT_EQ(af_packet_iface(r.device), r.iface) << r.device;
    }
}

TEST(KernelLink, CarrierText) {
    struct row {
        const char* text;
        std::optional<bool> up;
    };
    const row rows[] = {
        {"1\n", true},
        {"0\n", false},
        {"1", true},
        {"0", false},
        {" 1 \n", true},
        {"", std::nullopt},
        {"2\n", std::nullopt},
        {"10\n", std::nullopt},
        {"up\n", std::nullopt},
        {"1\n1\n", std::nullopt},
    };
    for (const auto& r : rows) {
        EXPECT_EQ(parse_carrier(r.text), r.up) << '"' << r.text << '"';
    }
}

TEST(KernelLink, SourceChoice) {
    using opt = std::optional<std::string>;
    struct row {
        opt carrier, operstate;
        bool up;
        const char* why;
    };
    const row rows[] = {
        {"1\n", "up\n", true, "carrier up"},
        {"0\n", "down\n", false, "carrier down"},
        {"0\n", "up\n", false, "the carrier wins when it parses"},
        {"1\n", "down\n", true, "the carrier wins when it parses"},
        {std::nullopt, "down\n", false, "admin down: carrier unreadable, operstate down"},
        {std::nullopt, "up\n", true, "carrier unreadable, operstate up"},
        {"garbage", "up\n", true, "carrier unparsable, operstate up"},
        {std::nullopt, "unknown\n", false, "only operstate up counts"},
        {std::nullopt, "lowerlayerdown\n", false, "RFC 2863 lowerLayerDown"},
        {std::nullopt, "dormant\n", false, "dormant"},
        {std::nullopt, std::nullopt, false, "no such interface"},
    };
    for (const auto& r : rows) {
        EXPECT_EQ(kernel_link_up(r.carrier, r.operstate), r.up) << r.why;
    }
}

TEST(KernelLink, PortLinkIsDpdkAndKernel) {
    struct row {
        bool dpdk;
        std::optional<bool> kernel;
        bool up;
    };
    const row rows[] = {
        {true, std::nullopt, true}, {false, std::nullopt, false}, // not af_packet
        {true, true, true},         {true, false, false},         // af_packet: the kernel's
        {false, true, false},       {false, false, false},
    };
    for (const auto& r : rows) {
        EXPECT_EQ(port_link_up(r.dpdk, r.kernel), r.up);
    }
    static_assert(!port_link_up(true, false));
}

void write(const std::string& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr) << path;
    std::fputs(text.c_str(), f);
    std::fclose(f);
}

TEST(KernelLink, ReadsSysfsFiles) {
    const std::string root = ::testing::TempDir() + "/kernel_link_sysfs";
    ::mkdir(root.c_str(), 0755);
    for (const char* i : {"up0", "down0", "admin0", "oper0"}) {
        ::mkdir((root + "/" + i).c_str(), 0755);
    }
    write(root + "/up0/carrier", "1\n");
    write(root + "/up0/operstate", "up\n");
    write(root + "/down0/carrier", "0\n");
    write(root + "/down0/operstate", "down\n");
    write(root + "/admin0/operstate", "down\n"); // carrier unreadable
    write(root + "/oper0/operstate", "up\n");
    EXPECT_TRUE(read_kernel_link("up0", root));
    EXPECT_FALSE(read_kernel_link("down0", root));
    EXPECT_FALSE(read_kernel_link("admin0", root));
    EXPECT_TRUE(read_kernel_link("oper0", root));
    EXPECT_FALSE(read_kernel_link("missing0", root));
    // Not interface names: never a path outside ROOT.
    EXPECT_FALSE(read_kernel_link("../kernel_link_sysfs/up0", root));
    EXPECT_FALSE(read_kernel_link("..", root));
    EXPECT_FALSE(read_kernel_link("", root));
    EXPECT_FALSE(read_kernel_link("a23456789012345x", root)); // 16 > IFNAMSIZ - 1
}

} // namespace
} // namespace vipgate::dataplane
