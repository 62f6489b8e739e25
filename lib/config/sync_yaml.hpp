#pragma once
// The YAML section `sync` (flow-state sync with the peer gateway, issue 11,
// docs/ha.md; keepalived's lvs_sync_daemon). Internal to lib/config:
// config.cpp registers the key and calls read_sync_section() once the whole
// document and the VRRP sections have been read, because the section refers
// to a port and a VRRP instance.

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/yaml_util.hpp"

namespace vipgate::config::sync_yaml {

// What the top-level key `sync` expects.
const std::string& sync_expected();

// Reads root["sync"] (when present and a value) into cfg.sync, reads the key
// file, runs sync_rules::check_sync against cfg.ports and
// cfg.vrrp_instances, and records errors and warnings in diag.
void read_sync_section(diagnostics& diag, const YAML::Node& root, config& cfg);

// Schema paths: "sync.port", "sync.group", ...
void append_schema_keys(std::vector<std::string>& keys);

} // namespace vipgate::config::sync_yaml
