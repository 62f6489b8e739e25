#pragma once
// Flow states and their timeouts, following IPVS (net/netfilter/ipvs/
// ip_vs_proto_tcp.c: tcp_timeouts[] and the tcp_states[] table, secure_tcp
// off; ip_vs_proto_udp.c: udp_timeouts[]).
//
// IPVS does not run a TCP endpoint; it watches the flags of the segments it
// forwards and guesses the state of the connection between client and real
// server well enough to pick a timeout. RFC 9293 §3.3.2 names the real
// endpoint states; IPVS's are coarser (one FIN_WAIT, no CLOSING), and vipgate
// keeps IPVS's so that timeouts mean what an ipvsadm user expects.

#include <array>
#include <chrono>
#include <cstdint>

#include "common/result.hpp"
#include "lb/types.hpp"

namespace vipgate::lb {

// IPVS's order (IP_VS_TCP_S_*), LISTEN and SYNACK left out: the first only
// exists for IPVS's FTP helper, the second only with secure_tcp. `udp` is the
// single state of a UDP flow.
enum class flow_state : std::uint8_t {
    none,
    established,
    syn_sent,
    syn_recv,
    fin_wait,
    time_wait,
    close,
    close_wait,
    last_ack,
    udp,
};
inline constexpr std::size_t flow_state_count = 10;

// "NONE", "ESTABLISHED", ... as ipvsadm -lc prints them; "UDP".
const char* flow_state_name(flow_state s) noexcept;

// IPVS's state transition for one TCP segment of a flow in `current`:
// `dir` forward is IPVS's INPUT table (client -> VIP), reply its OUTPUT table.
// The flag that decides is, in order, RST, SYN, FIN, ACK (tcp_state_idx());
// a segment with none of them moves the flow to CLOSE, as in IPVS.
flow_state next_tcp_state(flow_state current, direction dir, std::uint8_t tcp_flags) noexcept;

// Idle timeouts per state. Defaults are IPVS's (tcp_timeouts[] / udp_timeouts[];
// what `ipvsadm --set tcp tcpfin udp` shows as 900 120 300).
struct timeouts {
    milliseconds tcp_none = seconds{2};
    milliseconds tcp_established = seconds{900};
    milliseconds tcp_syn_sent = seconds{120};
    milliseconds tcp_syn_recv = seconds{60};
    milliseconds tcp_fin_wait = seconds{120};
    milliseconds tcp_time_wait = seconds{120};
    milliseconds tcp_close = seconds{10};
    milliseconds tcp_close_wait = seconds{60};
    milliseconds tcp_last_ack = seconds{30};
    milliseconds udp = seconds{300};

    milliseconds for_state(flow_state s) const noexcept;
    friend bool operator==(const timeouts&, const timeouts&) = default;

    // Each timeout must be in [1 ms, 2^31 - 1 ms] (~24.8 days): a flow keeps
    // its deadline as a 32-bit millisecond tick compared modulo 2^32.
    result<void> validate() const;
};

} // namespace vipgate::lb
