#pragma once
// Every reason the load-balancing core refuses a packet, in one table.
//
// The names carry an `lb_` prefix and none of them exists in
// pipeline/drop_reason.hpp, so the pipeline can splice this list into its own
// table (VIPGATE_DROP_REASONS) with `VIPGATE_LB_DROP_REASONS(X)` and map
// lb::drop_reason to pipeline::drop_reason by name.

#include <cstddef>
#include <cstdint>

// X(name, help)
#define VIPGATE_LB_DROP_REASONS(X)                                                                 \
    X(lb_not_tcp_udp, "load-balanced packet that is neither TCP nor UDP")                          \
    X(lb_ttl_exceeded, "TTL <= 1, not forwarded (RFC 1812 5.3.1; no ICMP time exceeded is sent)")  \
    X(lb_no_service, "TCP/UDP to a VIP with no virtual service for this port and protocol")        \
    X(lb_tcp_not_syn, "TCP segment without SYN for a flow that does not exist (sloppy_tcp off)")   \
    X(lb_tcp_rst_no_flow, "TCP RST for a flow that does not exist")                                \
    X(lb_no_real_server, "the scheduler found no eligible real server (all down or weight 0)")     \
    X(lb_flow_table_full, "the worker's flow table is full, new flow refused")                     \
    X(lb_reverse_in_use,                                                                           \
      "another flow already uses this real server endpoint for this client endpoint")              \
    X(lb_reply_no_flow, "packet from a real server that matches no flow")                          \
    X(lb_icmp_not_error, "ICMP type is not an error the load balancer translates (3, 11, 12)")     \
    X(lb_icmp_bad_checksum, "ICMP error whose checksum does not verify")                           \
    X(lb_icmp_bad_quote, "ICMP error quoting no IPv4 header plus 8 bytes, or a bad one")           \
    X(lb_icmp_quote_unsupported,                                                                   \
      "ICMP error quoting neither TCP nor UDP, or a non-first fragment")                           \
    X(lb_icmp_no_flow, "ICMP error quoting a packet of no known flow")

namespace vipgate::lb {

enum class drop_reason : std::uint8_t {
    none,
#define VIPGATE_LB_DROP_REASON_ENUM(name, help) name,
    VIPGATE_LB_DROP_REASONS(VIPGATE_LB_DROP_REASON_ENUM)
#undef VIPGATE_LB_DROP_REASON_ENUM
};

inline constexpr std::size_t drop_reason_count = 1
#define VIPGATE_LB_DROP_REASON_COUNT(name, help) +1
    VIPGATE_LB_DROP_REASONS(VIPGATE_LB_DROP_REASON_COUNT)
#undef VIPGATE_LB_DROP_REASON_COUNT
    ;

// "none" or the snake_case name, e.g. "lb_flow_table_full".
const char* drop_reason_name(drop_reason r) noexcept;
const char* drop_reason_help(drop_reason r) noexcept;

} // namespace vipgate::lb
