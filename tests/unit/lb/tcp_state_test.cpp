// IPVS TCP state table and timeouts (ip_vs_proto_tcp.c).
#include <gtest/gtest.h>

#include "lb/tcp_state.hpp"

namespace vipgate::lb {
namespace {

using s = flow_state;
constexpr std::uint8_t SYN = net::tcp_flag_syn;
constexpr std::uint8_t ACK = net::tcp_flag_ack;
constexpr std::uint8_t FIN = net::tcp_flag_fin;
constexpr std::uint8_t RST = net::tcp_flag_rst;

struct transition_case {
    const char* name;
    flow_state from;
    direction dir;
    std::uint8_t flags;
    flow_state to;
};

class tcp_transition : public ::testing::TestWithParam<transition_case> {};

TEST_P(tcp_transition, follows_ipvs_table) {
    const auto& c = GetParam();
    EXPECT_EQ(next_tcp_state(c.from, c.dir, c.flags), c.to)
        << flow_state_name(c.from) << " -> "
        << flow_state_name(next_tcp_state(c.from, c.dir, c.flags)) << ", expected "
        << flow_state_name(c.to);
}

constexpr auto fwd = direction::forward;
constexpr auto rep = direction::reply;

INSTANTIATE_TEST_SUITE_P(
    ipvs, tcp_transition,
    ::testing::Values(
        // A normal connection, client first: SYN, SYN/ACK, ACK.
        transition_case{"syn_opens", s::none, fwd, SYN, s::syn_recv},
        transition_case{"synack_stays_syn_recv", s::syn_recv, rep, SYN | ACK, s::syn_recv},
        transition_case{"ack_establishes", s::syn_recv, fwd, ACK, s::established},
        transition_case{"data_keeps_established", s::established, rep, ACK, s::established},
        // Client closes first: INPUT fin in ES -> CLOSE_WAIT, server's FIN -> TIME_WAIT.
        transition_case{"client_fin", s::established, fwd, FIN | ACK, s::close_wait},
        transition_case{"server_fin_after", s::close_wait, rep, FIN | ACK, s::time_wait},
        // Server closes first: OUTPUT fin in ES -> FIN_WAIT, client's FIN -> TIME_WAIT.
        transition_case{"server_fin", s::established, rep, FIN | ACK, s::fin_wait},
        transition_case{"client_fin_after", s::fin_wait, fwd, FIN | ACK, s::time_wait},
        transition_case{"ack_in_fin_wait", s::fin_wait, fwd, ACK, s::fin_wait},
        // RST wins over every other flag and closes (from either side).
        transition_case{"rst_in", s::established, fwd, RST, s::close},
        transition_case{"rst_out", s::established, rep, RST | ACK, s::close},
        transition_case{"rst_beats_syn", s::established, fwd, RST | SYN, s::close},
        // IPVS quirks kept on purpose.
        transition_case{"rst_in_syn_recv_ignored", s::syn_recv, fwd, RST, s::syn_recv},
        transition_case{"rst_in_last_ack_ignored", s::last_ack, fwd, RST, s::last_ack},
        transition_case{"rst_out_time_wait_stays", s::time_wait, rep, RST, s::time_wait},
        transition_case{"ack_without_syn_from_none", s::none, fwd, ACK, s::close},
        transition_case{"no_flags_closes", s::established, fwd, 0, s::close},
        transition_case{"syn_reopens_time_wait", s::time_wait, fwd, SYN, s::syn_recv},
        transition_case{"syn_out_from_none", s::none, rep, SYN, s::syn_sent},
        transition_case{"syn_wins_over_fin", s::established, fwd, SYN | FIN, s::established},
        transition_case{"fin_wins_over_ack", s::syn_recv, fwd, FIN | ACK, s::time_wait},
        transition_case{"udp_is_not_tcp", s::udp, fwd, ACK, s::close}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(timeouts, ipvs_defaults) {
    const timeouts t;
    using std::chrono::seconds;
    EXPECT_EQ(t.for_state(s::established), seconds{900});
    EXPECT_EQ(t.for_state(s::syn_sent), seconds{120});
    EXPECT_EQ(t.for_state(s::syn_recv), seconds{60});
    EXPECT_EQ(t.for_state(s::fin_wait), seconds{120});
    EXPECT_EQ(t.for_state(s::time_wait), seconds{120});
    EXPECT_EQ(t.for_state(s::close), seconds{10});
    EXPECT_EQ(t.for_state(s::close_wait), seconds{60});
    EXPECT_EQ(t.for_state(s::last_ack), seconds{30});
    EXPECT_EQ(t.for_state(s::none), seconds{2});
    EXPECT_EQ(t.for_state(s::udp), seconds{300});
    EXPECT_TRUE(t.validate().ok());
}

TEST(timeouts, validate_rejects_zero_and_too_long) {
    timeouts t;
    t.tcp_close = milliseconds{0};
    auto r = t.validate();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find("CLOSE"), std::string::npos) << r.message();

    timeouts u;
    u.udp = std::chrono::hours{24 * 25}; // > 2^31 ms
    EXPECT_FALSE(u.validate().ok());
}

TEST(flow_state, names_match_ipvsadm) {
    EXPECT_STREQ(flow_state_name(s::established), "ESTABLISHED");
    EXPECT_STREQ(flow_state_name(s::time_wait), "TIME_WAIT");
    EXPECT_STREQ(flow_state_name(s::udp), "UDP");
}

} // namespace
} // namespace vipgate::lb
