#pragma once
// The VRRP rules shared by the two front ends, the YAML sections
// `vrrp_instances` / `vrrp_sync_groups` and the keepalived.conf importer:
// value rules (instance names, virtual addresses) and the checks that span
// keys, instances and sections (port names, unique (port, VRID), the
// instance limit, sync group membership, vrrp::normalize's verdict).
//
// Each front end reads its own syntax into vrrp_entry / vrrp_group_entry,
// remembering where every key's value was written, then calls check_vrrp().
// Internal to lib/config.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/yaml_util.hpp"

namespace vipgate::config::vrrp_rules {

// ---- values ----------------------------------------------------------------

inline constexpr std::size_t max_name_length = 64;
inline constexpr std::string_view name_expected =
    "a name of 1 to 64 characters: letters, digits, '_', '.', '-' or ':', starting with a "
    "letter or digit";
// Instance and sync group names are used in the console, logs and notify
// reasons: no spaces or quotes.
bool valid_name(std::string_view s);

// Why `a` cannot be a virtual, unicast source or peer address (multicast,
// 0/8, loopback, ...), or nullopt.
std::optional<std::string> address_problem(net::ipv4_addr a);

inline constexpr std::string_view state_expected = "MASTER or BACKUP";
// keepalived spells the state hint in upper case only (vrrp_parser.c).
std::optional<vrrp::state_hint> parse_state(std::string_view text);

// keepalived copies at most 8 characters of auth_pass into the advert
// (vrrp_parser.c: "Truncating auth_pass to 8 characters").
inline constexpr std::size_t auth_pass_size = 8;

// ---- entries -----------------------------------------------------------------

enum class dialect { yaml, keepalived };

// One instance as a front end read it.
struct vrrp_entry {
    vrrp_instance_config cfg;
    dialect syntax = dialect::yaml;
    // "vrrp_instances[2]" (YAML) or "vrrp_instance VI_1" (keepalived.conf).
    std::string subject;
    // Where each key's value was written, by its YAML key name ("port",
    // "advert_int", ...; keepalived's `interface` is recorded as "port").
    std::map<std::string, source_location, std::less<>> at;
    // False when reading this entry reported an error: the checks that would
    // only repeat it (normalize) are skipped.
    bool read_ok = true;
    // Already checked by an earlier load (YAML instances seen by the
    // keepalived importer): takes part in the uniqueness checks only.
    bool checked = false;

    // at[key], or the instance's own position when the key was not written.
    source_location where_of(std::string_view key) const;
    // The start of a message about `key`: "vrrp_instances[2].port: " or
    // "vrrp_instance VI_1: interface: ".
    std::string subject_of(std::string_view key) const;
};

struct vrrp_group_entry {
    vrrp_sync_group_config cfg;
    dialect syntax = dialect::yaml;
    std::string subject;                    // "vrrp_sync_groups[0]" / "vrrp_sync_group G1"
    source_location name_at;                // where the name was written
    std::vector<source_location> member_at; // parallel to cfg.members
    bool checked = false;
};

// Every cross check, each problem recorded in `diag` at the offending value:
//  * at most max_vrrp_instances instances;
//  * unique instance names, and unique (port, virtual_router_id);
//  * `port` names a port in `ports`;
//  * vrrp::normalize() accepts the instance (errors), and what it adjusts
//    becomes a warning at the key it concerns;
//  * a unicast_src_ip other than the port's address is a warning;
//  * sync groups: unique names, members exist, are listed once and belong to
//    one group only; a group of one is a warning.
// Entries are not modified: the caller stores the un-normalized configs.
void check_vrrp(diagnostics& diag, const std::vector<port_config>& ports,
                const std::vector<vrrp_entry>& instances,
                const std::vector<vrrp_group_entry>& groups);

} // namespace vipgate::config::vrrp_rules
