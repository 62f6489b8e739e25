// instance_config normalization (keepalived defaults and derivations) and the
// per-instance advert checks.

#include "test_util.hpp"
#include "vrrp/config.hpp"

#include <functional>

namespace vipgate::vrrp::test {
namespace {

instance_config normalized(instance_config c, std::vector<std::string>* w = nullptr) {
    auto r = normalize(std::move(c), w);
    if (!r.ok()) {
        ADD_FAILURE() << r.message();
        return {};
    }
    return std::move(r).value();
}

TEST(config, keepalived_defaults) {
    instance_config c;
    c.name = "VI_1";
    c.vrid = 51;
    const auto n = normalized(c);
    EXPECT_EQ(n.priority, 100);
    EXPECT_EQ(n.version, 2);
    EXPECT_EQ(n.advert_int, 1s);
    EXPECT_TRUE(n.preempt);
    EXPECT_TRUE(n.accept);
    EXPECT_EQ(n.initial_state, state_hint::backup);
    EXPECT_EQ(n.garp_master_delay, 5s);
    EXPECT_EQ(n.garp_master_repeat, 5u);
    EXPECT_EQ(n.garp_master_refresh, 0s);
    EXPECT_EQ(n.garp_master_refresh_repeat, 1u);
    EXPECT_EQ(n.garp_lower_prio_delay, 5s);
    EXPECT_EQ(n.garp_lower_prio_repeat, 5u);
    EXPECT_FALSE(n.lower_prio_no_advert);
    EXPECT_FALSE(n.higher_prio_send_advert);
}

TEST(config, state_master_without_priority_is_owner) {
    auto c = v2_config();
    c.priority.reset();
    c.initial_state = state_hint::master;
    EXPECT_EQ(normalized(c).priority, 255);
    c.initial_state.reset();
    EXPECT_EQ(normalized(c).priority, 100);
    c.priority = 255;
    EXPECT_EQ(normalized(c).initial_state, state_hint::master);
}

TEST(config, garp_lower_prio_follows_garp_master) {
    auto c = v2_config();
    c.garp_master_delay = 2s;
    c.garp_master_repeat = 3;
    const auto n = normalized(c);
    EXPECT_EQ(n.garp_lower_prio_delay, 2s);
    EXPECT_EQ(n.garp_lower_prio_repeat, 3u);
}

struct adjust_case {
    const char* name;
    instance_config cfg;
    std::function<void(const instance_config&)> check;
};

TEST(config, adjustments_warn) {
    auto v2_subsecond = v2_config();
    v2_subsecond.advert_int = 1500ms;
    auto v3_odd = v3_config(100, 12345us);
    auto v3_auth = v3_config();
    v3_auth.auth = auth_kind::pass;
    v3_auth.auth_pass = "x";
    auto no_pass = v2_config();
    no_pass.auth = auth_kind::pass;
    auto long_pass = v2_config();
    long_pass.auth = auth_kind::pass;
    long_pass.auth_pass = "secret12345";
    auto owner_nopreempt = v2_config(255);
    owner_nopreempt.preempt = false;
    auto master_nopreempt = v2_config(150);
    master_nopreempt.initial_state = state_hint::master;
    master_nopreempt.preempt = false;
    master_nopreempt.preempt_delay = 10s;
    auto nopreempt_delay = v2_config();
    nopreempt_delay.preempt = false;
    nopreempt_delay.preempt_delay = 10s;

    const adjust_case cases[] = {
        {"v2 1.5 s rounds to 2 s", v2_subsecond,
         [](const instance_config& n) { EXPECT_EQ(n.advert_int, 2s); }},
        {"v3 12.345 ms rounds to 10 ms", v3_odd,
         [](const instance_config& n) { EXPECT_EQ(n.advert_int, 10ms); }},
        {"v3 drops auth", v3_auth,
         [](const instance_config& n) { EXPECT_EQ(n.auth, auth_kind::none); }},
        {"PASS without password", no_pass,
         [](const instance_config& n) { EXPECT_EQ(n.auth, auth_kind::none); }},
        {"password over 8", long_pass,
         [](const instance_config& n) { EXPECT_EQ(n.auth, auth_kind::pass); }},
        {"owner cannot be nopreempt", owner_nopreempt,
         [](const instance_config& n) { EXPECT_TRUE(n.preempt); }},
        {"state MASTER clears nopreempt and preempt_delay", master_nopreempt,
         [](const instance_config& n) {
             EXPECT_TRUE(n.preempt);
             EXPECT_EQ(n.preempt_delay, 0s);
         }},
        {"nopreempt clears preempt_delay", nopreempt_delay,
         [](const instance_config& n) {
             EXPECT_FALSE(n.preempt);
             EXPECT_EQ(n.preempt_delay, 0s);
         }},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        std::vector<std::string> warnings;
        const auto n = normalized(c.cfg, &warnings);
        c.check(n);
        EXPECT_FALSE(warnings.empty());
    }
}

TEST(config, errors) {
    auto no_name = v2_config();
    no_name.name.clear();
    auto vrid0 = v2_config();
    vrid0.vrid = 0;
    auto v4 = v2_config();
    v4.version = 4;
    auto prio0 = v2_config();
    prio0.priority = 0;
    auto v2_long = v2_config();
    v2_long.advert_int = 256s;
    auto v3_long = v3_config(100, 41s);
    auto delay = v2_config();
    delay.preempt_delay = 1001s;
    auto dup = v2_config();
    dup.virtual_addresses.push_back(dup.virtual_addresses[0]);
    auto v3_novip = v3_config();
    v3_novip.virtual_addresses.clear();
    auto many = v2_config();
    many.virtual_addresses.clear();
    for (unsigned i = 0; i < 256; ++i) {
        many.virtual_addresses.push_back(
            ipv4_addr{10, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)});
    }
    auto mcast_peer = v2_config();
    mcast_peer.unicast_peers = {ipv4_addr{224, 0, 0, 18}};
    for (const auto& c :
         {no_name, vrid0, v4, prio0, v2_long, v3_long, delay, dup, v3_novip, many, mcast_peer}) {
        EXPECT_FALSE(normalize(c).ok()) << c.name << " vrid " << int{c.vrid};
    }
    auto v2_novip = v2_config();
    v2_novip.virtual_addresses.clear();
    EXPECT_TRUE(normalize(v2_novip).ok()); // keepalived allows it for v2
}

struct check_case {
    const char* name;
    instance_config cfg;
    advert adv;
    ipv4_addr dst;
    reject_reason want;
};

TEST(config, check_advert_reasons) {
    const ipv4_addr src{10, 99, 0, 1};
    const ipv4_addr unicast_dst{10, 99, 0, 2};
    auto pass = v2_config();
    pass.auth = auth_kind::pass;
    pass.auth_pass = "secret12345"; // only "secret12" counts
    const auto pass_n = normalized(pass);
    const auto plain = normalized(v2_config());
    const auto v3 = normalized(v3_config());
    auto two_vips = v2_config();
    two_vips.virtual_addresses = {ipv4_addr{10, 99, 0, 100}, ipv4_addr{10, 99, 0, 101}};
    const auto two = normalized(two_vips);
    auto uni = v2_config();
    uni.unicast_peers = {ipv4_addr{10, 99, 0, 1}};
    const auto uni_n = normalized(uni);
    auto uni_strict = uni;
    uni_strict.check_unicast_src = true;
    const auto uni_strict_n = normalized(uni_strict);

    auto adv = [](const instance_config& c) { return make_instance(c).make_advert(100); };
    auto modified = [&](const instance_config& c, auto f) {
        auto a = adv(c);
        f(a);
        return a;
    };
    const ipv4_addr mc = multicast_group;
    const check_case cases[] = {
        {"ok v2 PASS", pass_n, adv(pass_n), mc, reject_reason::none},
        {"ok v3", v3, adv(v3), mc, reject_reason::none},
        {"other VRID", plain, modified(plain, [](advert& a) { a.vrid = 52; }), mc,
         reject_reason::unknown_vrid},
        {"v3 advert, v2 instance", plain, adv(v3), mc, reject_reason::version_mismatch},
        {"auth type 3", plain, modified(plain, [](advert& a) { a.auth_type = 3; }), mc,
         reject_reason::bad_auth_type},
        {"received 0 auth, expecting 1", pass_n, adv(plain), mc, reject_reason::auth_type_mismatch},
        {"received AH, expecting none", plain,
         modified(plain, [](advert& a) { a.auth_type = auth_type_ah; }), mc,
         reject_reason::auth_type_mismatch},
        {"wrong password", pass_n,
         modified(pass_n, [](advert& a) { a.auth_data = pass_auth_data("secret13"); }), mc,
         reject_reason::auth_mismatch},
        {"v2 interval 2 s vs 1 s", plain,
         modified(plain, [](advert& a) { a.interval = v2_advert_int{2}; }), mc,
         reject_reason::interval_mismatch},
        {"v3 interval differs: adopted, not rejected", v3,
         modified(v3, [](advert& a) { a.interval = v3_advert_int{50}; }), mc, reject_reason::none},
        {"1 address, expected 2", two, adv(plain), mc, reject_reason::address_count_mismatch},
        {"VIPs in another order", two,
         modified(two,
                  [](advert& a) {
                      a.addresses = {ipv4_addr{10, 99, 0, 101}, ipv4_addr{10, 99, 0, 100}};
                  }),
         mc, reject_reason::none},
        {"a VIP missing", two,
         modified(two,
                  [](advert& a) {
                      a.addresses = {ipv4_addr{10, 99, 0, 101}, ipv4_addr{10, 99, 0, 102}};
                  }),
         mc, reject_reason::address_mismatch},
        {"unicast to a multicast instance", plain, adv(plain), unicast_dst,
         reject_reason::unexpected_unicast},
        {"multicast to a unicast instance", uni_n, adv(uni_n), mc,
         reject_reason::unexpected_multicast},
        {"unicast from a peer", uni_strict_n, adv(uni_n), unicast_dst, reject_reason::none},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(reject_reason_name(check_advert(c.adv, c.cfg, src, c.dst)),
                  reject_reason_name(c.want));
    }
    // The unicast source check only with check_unicast_src.
    const ipv4_addr stranger{10, 99, 0, 77};
    EXPECT_EQ(check_advert(adv(uni_n), uni_n, stranger, unicast_dst), reject_reason::none);
    EXPECT_EQ(check_advert(adv(uni_n), uni_strict_n, stranger, unicast_dst),
              reject_reason::unknown_unicast_peer);
}

} // namespace
} // namespace vipgate::vrrp::test
