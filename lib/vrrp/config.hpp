#pragma once
// Configuration of one VRRP instance, with keepalived's names and defaults
// (keepalived.conf(5) `vrrp_instance`; shared/reference checklist §2), and the
// check of a decoded advert against it.

#include "common/result.hpp"
#include "net/types.hpp"
#include "vrrp/advert.hpp"
#include "vrrp/reject_reason.hpp"
#include "vrrp/units.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vipgate::vrrp {

using namespace std::chrono_literals;

// v2 authentication (RFC 3768 §5.3.6). keepalived's AH is not supported.
enum class auth_kind : std::uint8_t { none, pass };

// keepalived's `state MASTER|BACKUP`: only a hint. Below priority 255 a
// MASTER instance still waits Master_Down_Interval (vrrp_scheduler.c:217-251).
enum class state_hint : std::uint8_t { backup, master };

struct instance_config {
    std::string name;
    std::uint8_t vrid = 0; // virtual_router_id, 1..255, required
    // Unset: 100, or 255 when `state MASTER` is given (vrrp.c:2905-2910).
    std::optional<std::uint8_t> priority;
    std::uint8_t version = 2; // vrrp_version
    // advert_int: v2 whole seconds 1..255; v3 centiseconds 1..4095
    // (0.01 s .. 40.95 s). normalize() rounds like keepalived does.
    microseconds advert_int = 1s;
    bool preempt = true;                           // keepalived `nopreempt` sets this false
    microseconds preempt_delay{0};                 // 0..1000 s
    bool accept = true;                            // keepalived default on (RFC default off)
    std::optional<state_hint> initial_state;       // unset: MASTER iff priority 255
    std::vector<net::ipv4_addr> virtual_addresses; // advertised, at most 255
    auth_kind auth = auth_kind::none;
    std::string auth_pass;                     // PASS: first 8 characters used
    std::vector<net::ipv4_addr> unicast_peers; // empty: multicast 224.0.0.18
    bool check_unicast_src = false;            // keepalived `check_unicast_src`
    bool use_vmac = false;
    // Advert source and the equal-priority tie-break: the port's primary
    // address (or keepalived's unicast_src_ip).
    net::ipv4_addr primary_address;
    microseconds garp_master_delay = 5s; // 0: no second burst
    std::uint32_t garp_master_repeat = 5;
    microseconds garp_master_refresh{0}; // 0: off
    std::uint32_t garp_master_refresh_repeat = 1;
    std::optional<microseconds> garp_lower_prio_delay;   // unset: garp_master_delay
    std::optional<std::uint32_t> garp_lower_prio_repeat; // unset: garp_master_repeat
    bool lower_prio_no_advert = false;
    bool higher_prio_send_advert = false;

    // Reload keeps an instance (state and timers) only when its whole
    // configuration is unchanged.
    friend bool operator==(const instance_config&, const instance_config&) = default;
};

// Validates `cfg` and applies keepalived's derivations (vrrp.c
// vrrp_complete_instance): resolves the optional fields, rounds advert_int,
// clears what keepalived clears. Every adjustment adds a line to `warnings`.
result<instance_config> normalize(instance_config cfg,
                                  std::vector<std::string>* warnings = nullptr);

// The receive checks that depend on the instance (RFC 3768 §7.1, RFC 5798
// §7.1, keepalived vrrp_check_packet()), for an advert that passed decode().
// `cfg` must be normalized. Allocation-free: workers may call it.
reject_reason check_advert(const advert& a, const instance_config& cfg, net::ipv4_addr src,
                           net::ipv4_addr dst) noexcept;

} // namespace vipgate::vrrp
