#include "lb/tcp_state.hpp"

#include <string>

namespace vipgate::lb {

namespace {

[[maybe_unused]] constexpr auto sNO = flow_state::none; // a column, never a target
constexpr auto sES = flow_state::established;
constexpr auto sSS = flow_state::syn_sent;
constexpr auto sSR = flow_state::syn_recv;
constexpr auto sFW = flow_state::fin_wait;
constexpr auto sTW = flow_state::time_wait;
constexpr auto sCL = flow_state::close;
constexpr auto sCW = flow_state::close_wait;
constexpr auto sLA = flow_state::last_ack;

constexpr std::size_t tcp_state_columns = 9; // sNO .. sLA

using row = std::array<flow_state, tcp_state_columns>;

// ip_vs_proto_tcp.c tcp_states[] (the non-secure table), INPUT and OUTPUT
// parts, without the sLI and sSA columns. Rows: syn, fin, ack, rst.
//                                sNO  sES  sSS  sSR  sFW  sTW  sCL  sCW  sLA
constexpr std::array<row, 4> input_table = {{
    /*syn*/ {sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR},
    /*fin*/ {sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA},
    /*ack*/ {sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL},
    /*rst*/ {sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA},
}};
constexpr std::array<row, 4> output_table = {{
    /*syn*/ {sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS},
    /*fin*/ {sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA},
    /*ack*/ {sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA},
    /*rst*/ {sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL},
}};

constexpr const char* state_names[flow_state_count] = {
    "NONE",      "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT",
    "TIME_WAIT", "CLOSE",       "CLOSE_WAIT", "LAST_ACK", "UDP",
};

} // namespace

const char* flow_state_name(flow_state s) noexcept {
    const auto i = static_cast<std::size_t>(s);
    return i < flow_state_count ? state_names[i] : "?";
}

flow_state next_tcp_state(flow_state current, direction dir, std::uint8_t tcp_flags) noexcept {
    const auto col = static_cast<std::size_t>(current);
    if (col >= tcp_state_columns) {
        return flow_state::close; // not a TCP state
    }
    // tcp_state_idx(): RST wins over SYN over FIN over ACK.
    std::size_t idx;
    if ((tcp_flags & net::tcp_flag_rst) != 0) {
        idx = 3;
    } else if ((tcp_flags & net::tcp_flag_syn) != 0) {
        idx = 0;
    } else if ((tcp_flags & net::tcp_flag_fin) != 0) {
        idx = 1;
    } else if ((tcp_flags & net::tcp_flag_ack) != 0) {
        idx = 2;
    } else {
        return flow_state::close; // set_tcp_state(): new_state starts as CLOSE
    }
    const auto& table = dir == direction::forward ? input_table : output_table;
    return table[idx][col];
}

milliseconds timeouts::for_state(flow_state s) const noexcept {
    switch (s) {
    case flow_state::none:
        return tcp_none;
    case flow_state::established:
        return tcp_established;
    case flow_state::syn_sent:
        return tcp_syn_sent;
    case flow_state::syn_recv:
        return tcp_syn_recv;
    case flow_state::fin_wait:
        return tcp_fin_wait;
    case flow_state::time_wait:
        return tcp_time_wait;
    case flow_state::close:
        return tcp_close;
    case flow_state::close_wait:
        return tcp_close_wait;
    case flow_state::last_ack:
        return tcp_last_ack;
    case flow_state::udp:
        return udp;
    }
    return tcp_close;
}

result<void> timeouts::validate() const {
    constexpr milliseconds max{0x7fffffff};
    for (std::size_t i = 0; i < flow_state_count; ++i) {
        const auto s = static_cast<flow_state>(i);
        const milliseconds t = for_state(s);
        if (t < milliseconds{1} || t > max) {
            return make_error(std::string("timeout for ") + flow_state_name(s) +
                              " must be between 1 ms and 2147483647 ms, got " +
                              std::to_string(t.count()) + " ms");
        }
    }
    return {};
}

} // namespace vipgate::lb
