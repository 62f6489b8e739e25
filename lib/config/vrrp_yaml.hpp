#pragma once
// The YAML sections `vrrp_instances` and `vrrp_sync_groups` (keepalived's
// vrrp_instance and vrrp_sync_group, with keepalived's key names). Internal
// to lib/config: config.cpp registers the keys and calls read_vrrp_sections()
// once the whole document has been read, because instances refer to ports
// that may come later in the file.

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/yaml_util.hpp"

namespace vipgate::config::vrrp_yaml {

// What the top-level keys expect, for the key table and messages.
const std::string& instances_expected();
const std::string& groups_expected();

// Reads root["vrrp_instances"] and root["vrrp_sync_groups"] (when present and
// not empty) into cfg, runs the cross checks against cfg.ports, and records
// errors and warnings in diag. `root` is the document's top-level map.
void read_vrrp_sections(diagnostics& diag, const YAML::Node& root, config& cfg);

// Schema paths: "vrrp_instances[].name", ...,
// "vrrp_instances[].authentication.auth_type", "vrrp_sync_groups[].group".
void append_schema_keys(std::vector<std::string>& keys);

} // namespace vipgate::config::vrrp_yaml
