#pragma once
// The YAML sections `load_balancing` (flow tables and timeouts) and
// `virtual_servers` (keepalived's virtual_server / real_server / TCP_CHECK,
// with keepalived's key names). Internal to lib/config: config.cpp registers
// the keys, reads `load_balancing` with the other sections and calls
// read_virtual_servers() once the whole document and the VRRP sections have
// been read, because services refer to ports and VRRP virtual addresses.

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/yaml_util.hpp"

namespace vipgate::config::lb_yaml {

// The `load_balancing` table (its `timeouts` checked by lb::timeouts::validate).
const std::vector<field<load_balancing_config>>& load_balancing_fields();

// What the top-level key `virtual_servers` expects.
const std::string& virtual_servers_expected();

// Reads root["virtual_servers"] (when present and not empty) into
// cfg.virtual_servers, runs lb_rules::check_lb against cfg.ports and
// cfg.vrrp_instances, and records errors and warnings in diag.
void read_virtual_servers(diagnostics& diag, const YAML::Node& root, config& cfg);

// Schema paths: "load_balancing.flows_per_worker", ...,
// "virtual_servers[].real_servers[].check.type".
void append_schema_keys(std::vector<std::string>& keys);

} // namespace vipgate::config::lb_yaml
