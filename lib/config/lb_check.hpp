#pragma once
// Rules shared by the YAML section `virtual_servers` and the keepalived.conf
// importer's `virtual_server` blocks: value parsers (lb_algo, protocol,
// lb_kind, netmasks, checker names), keepalived's inheritance of settings
// from virtual server to real server to checker (check_data.c), and the
// checks that span services (unique VIP:port/proto, unique real servers,
// table limits, VIP held by VRRP, real servers reachable). These are the only
// checks of these rules: lb::service_table::build() trusts what passed them
// (and asserts them in debug builds).
//
// Each front end reads its own syntax into vs_entry / rs_entry, remembering
// where each key's value was written, calls resolve(), then check_lb().
// Internal to lib/config.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "config/yaml_util.hpp"

namespace vipgate::config::lb_rules {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// ---- values ----------------------------------------------------------------------

inline constexpr std::string_view scheduler_expected = "rr, wrr, lc, wlc, sh or mh";
// keepalived's lb_algo names vipgate implements. Another IPVS scheduler
// (lblc, dh, sed, ...) is "not supported", anything else "not a scheduler".
result<lb::scheduler_kind> parse_scheduler(std::string_view text);

inline constexpr std::string_view protocol_expected = "tcp or udp";
// Case-insensitive, as keepalived's proto_handler (strcasecmp).
result<lb::protocol> parse_protocol(std::string_view text);

inline constexpr std::string_view lb_kind_expected = "NAT (vipgate forwards by NAT only)";
// NAT (any case); DR and TUN are refused as not supported.
result<void> parse_lb_kind(std::string_view text);

inline constexpr std::string_view netmask_expected =
    "a contiguous IPv4 netmask such as 255.255.255.0";
result<net::ipv4_addr> parse_netmask(std::string_view text);

// keepalived's checker blocks other than TCP_CHECK: known, not implemented
// (the keepalived importer warns about each).
inline constexpr std::array<std::string_view, 8> other_keepalived_checkers = {
    "HTTP_GET",  "SSL_GET",    "SMTP_CHECK", "DNS_CHECK",
    "UDP_CHECK", "PING_CHECK", "FILE_CHECK", "BFD_CHECK"};

inline constexpr std::string_view check_type_expected =
    "tcp (a TCP connect, keepalived's TCP_CHECK) or misc (a script, keepalived's MISC_CHECK); "
    "other checkers are not supported yet";

// Value ranges, the same in YAML and keepalived.conf.
inline constexpr std::uint64_t max_weight = 2147483647;        // keepalived: 0..2^31-1
inline constexpr std::uint64_t max_persistence_s = 31 * 86400; // keepalived: 31 days
inline constexpr std::uint64_t keepalived_bare_persistence_s = 360;
inline constexpr std::uint64_t max_retry = 1000000;
inline constexpr duration_spec delay_loop_spec{.min = 10ms, .max = 24h, .granularity = 1ms};
inline constexpr duration_spec connect_timeout_spec{.min = 10ms, .max = 1h, .granularity = 1ms};
inline constexpr duration_spec delay_before_retry_spec{.min = 0s, .max = 1h, .granularity = 1ms};
// MISC_CHECK's misc_timeout (0: the delay_loop, as keepalived) and warmup.
inline constexpr duration_spec misc_timeout_spec{.min = 0s, .max = 24h, .granularity = 1ms};
inline constexpr duration_spec warmup_spec{.min = 0s, .max = 24h, .granularity = 1ms};

// ---- entries ---------------------------------------------------------------------

enum class dialect { yaml, keepalived };

// Health-check settings as written at one level (virtual server, real
// server, checker); unset ones are inherited from the level above.
struct check_settings {
    std::optional<milliseconds> delay_loop; // at the VS level: virtual_server_config::delay_loop
    std::optional<milliseconds> connect_timeout;
    std::optional<std::uint32_t> retry;
    std::optional<milliseconds> delay_before_retry;
};

using location_map = std::map<std::string, source_location, std::less<>>;

// One MISC_CHECK as written (keepalived.conf block or YAML check with type
// misc); delay_loop, retry and delay_before_retry are inherited as for the
// TCP check, with MISC_CHECK's own default retry of 0.
struct misc_entry {
    misc_check_config cfg;  // argv, timeout, dynamic, user, group, warmup, where
    check_settings check;   // written in the checker
    bool have_path = false; // misc_path was given (a missing one is an error)
};

struct rs_entry {
    real_server_entry cfg;       // rs.address, rs.port (0 = not written), rs.weight
    std::optional<bool> inhibit; // inhibit_on_failure written here
    check_settings defaults;     // written in the real server itself
    bool has_check = false;      // a TCP check (keepalived TCP_CHECK / YAML check)
    check_settings check;        // written in the checker
    std::optional<net::ipv4_addr> connect_ip;
    std::optional<std::uint16_t> connect_port;
    std::vector<misc_entry> misc; // MISC_CHECKs, in the order written
    // "virtual_servers[0].real_servers[1]" or
    // "virtual_server 10.0.0.100 80: real_server 10.1.0.5 80".
    std::string subject;
    location_map at; // where each key's value was written ("address", "weight", ...)

    source_location where_of(std::string_view key) const;
};

struct vs_entry {
    virtual_server_config cfg; // service (vip, port, proto, ...), delay_loop, where
    dialect syntax = dialect::yaml;
    std::string subject; // "virtual_servers[0]" or "virtual_server 10.0.0.100 80"
    location_map at;
    // False when address, port or protocol had an error: the entry then
    // stays out of the uniqueness check (its key is not what was meant).
    bool key_ok = true;
    bool inhibit = false;     // inhibit_on_failure of the virtual server
    check_settings defaults;  // connect_timeout, retry, delay_before_retry (delay_loop: cfg)
    std::vector<rs_entry> rs; // in the order written
    // Already checked by an earlier load (YAML services seen by the
    // keepalived importer): takes part in the uniqueness, limit and VIP
    // checks only.
    bool checked = false;

    // at[key], or the entry's own position when the key was not written.
    source_location where_of(std::string_view key) const;
    // The start of a message about `key`: "virtual_servers[0].port: " or
    // "virtual_server 10.0.0.100 80: port: ".
    std::string subject_of(std::string_view key) const;
};

// keepalived's inheritance (check_data.c): fills cfg.name ("VIP:port/proto"),
// cfg.service.real_servers and cfg.real_servers from `rs`: a real server's
// port defaults to the service's; inhibit_on_failure and the check settings
// come from the checker, else the real server, else the virtual server,
// else keepalived's defaults (delay_loop: the virtual server's).
void resolve(vs_entry& e);

// keepalived's quorum checks (check_data.c validate_check_config()), after
// resolve(): a quorum above the real servers' total weight is lowered to it,
// a hysteresis at or above the quorum to quorum - 1, each with a warning at
// the value (the quorum could never be reached, or never lost).
void settle_quorum(diagnostics& diag, vs_entry& e);

// The warning for a VIP that no VRRP instance holds, at cfg.where (so that
// the keepalived importer can find and withdraw the YAML loader's warning
// once imported instances hold the VIP).
std::string vip_not_held(const vs_entry& e, bool any_vrrp_instance);

// Every cross check, each problem recorded in `diag` at the offending value:
//  * at most lb::table_limits' services and real servers in all;
//  * unique (VIP, port, protocol); unique real server (address, port) per
//    service; a real server is not a port's own address;
//  * warnings: a VIP that no VRRP instance holds, a real server in no
//    port's subnet when no port has a gateway, a service without real
//    servers, hash_port with a scheduler that does not hash;
//  * together with the value parsers, every rule lb::service_table::build()
//    relies on: ports 1..65535, tcp or udp, weights up to 2^31-1,
//    persistence up to 31 days with a contiguous netmask.
void check_lb(diagnostics& diag, const std::vector<port_config>& ports,
              const std::vector<vrrp_instance_config>& vrrp_instances,
              const std::vector<vs_entry>& entries);

} // namespace vipgate::config::lb_rules
