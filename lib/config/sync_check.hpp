#pragma once
// The flow-state sync rules shared by the YAML section `sync` and the
// keepalived.conf importer's `lvs_sync_daemon` line: value ranges, the key
// file, and the checks against ports and VRRP instances. These are the only
// checks of these rules: the sync shell (docs/ha.md) trusts what passed them.
//
// Each front end reads its own syntax into a sync_entry, remembering where
// every key's value was written, then calls check_sync(). Internal to
// lib/config.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "config/yaml_util.hpp"

namespace vipgate::config::sync_rules {

using namespace std::chrono_literals;

// ---- values ----------------------------------------------------------------------

// Longest a queued event waits for company before its message leaves. 1 ms
// is the control core's timer resolution; beyond 1 s a failover could lose
// a second of new flows. The default is lib/sync's (5 ms): small against
// any VRRP failover (3 advert intervals + skew, at least 30 ms), and at
// 100k new flows/s it still fills a 1500-byte message (50 records) before
// it expires.
inline constexpr duration_spec flush_interval_spec{.min = 1ms, .max = 1s, .granularity = 1ms};
// Bulk resync rate, records/s. At the default (lib/sync's 1,000,000) a
// table of 1M flows resyncs in about 1 s (issue 11's target); the floor
// keeps a resync of a full table from taking hours.
inline constexpr uint_spec bulk_rate_spec{.min = 1000, .max = 100'000'000};
// How long a starting node holds VRRP preemption waiting for its bulk
// resync (docs/ha.md "Takeover gating"). The default, 30 s, is 30 times
// what 1M flows take at the default bulk_rate. 0 is refused: it would turn
// the gate off, and a returning higher-priority node would take the VIPs
// before it has the master's flows (issue 11: takeover only when in sync);
// a node without `sync` has no gate. The ceiling keeps a peer that never
// completes its bulk from keeping the preferred master out for long.
inline constexpr duration_spec resync_timeout_spec{.min = 1s, .max = 10min, .granularity = 1ms};
// The header's sync id is 32 bits (sync/codec.hpp); keepalived's syncid is
// 0..255 (IPVS's 8-bit field), a subset.
inline constexpr uint_spec id_spec{.min = 0, .max = 4294967295u};
inline constexpr uint_spec keepalived_id_spec{.min = 0, .max = 255};
inline constexpr uint_spec udp_port_spec{.min = 1, .max = 65535};

// HMAC-SHA256 key length. RFC 2104 §3: a key shorter than the hash output
// (L = 32 bytes for SHA-256) lowers the strength of the MAC and is "strongly
// discouraged"; RFC 4868 §2.1.2 requires 256-bit keys for HMAC-SHA-256. The
// upper bound only catches a wrong file (keys longer than the 64-byte block
// are hashed first, so nothing is gained).
inline constexpr std::size_t min_key_size = 32;
inline constexpr std::size_t max_key_size = 4096;
inline constexpr std::string_view key_file_expected =
    "the path of a readable file holding the HMAC-SHA256 key: 32 to 4096 bytes, used as they "
    "are (e.g. head -c 32 /dev/urandom > sync.key)";

// Reads the key: the file's bytes, as they are. `path` relative: relative to
// `base_dir` (the directory of the configuration file, "" for none). The
// error is a phrase ("cannot be opened: No such file or directory", "holds
// 5 bytes, fewer than 32").
result<std::vector<std::uint8_t>> read_key_file(const std::string& path,
                                                const std::string& base_dir);
// The directory part of a configuration file's path ("" when it has none).
std::string directory_of(const std::string& file);

// ---- entries ---------------------------------------------------------------------

enum class dialect { yaml, keepalived };

struct sync_entry {
    sync_config cfg;
    dialect syntax = dialect::yaml;
    // "sync" (YAML) or "global_defs: lvs_sync_daemon" (keepalived.conf).
    std::string subject;
    // Where each key's value was written, by its YAML key name ("port",
    // "group", "peers[1]", ...).
    std::map<std::string, source_location, std::less<>> at;
    bool group_written = false; // `group` given explicitly

    source_location where_of(std::string_view key) const;
    // "sync.port: " or "global_defs: lvs_sync_daemon: interface: ".
    std::string subject_of(std::string_view key) const;
};

// Every check that spans keys and sections, each problem recorded in `diag`
// at the offending value:
//  * `port` names a port of `ports`;
//  * `group` is an IPv4 multicast address (224.0.0.0/4) and none of the
//    reserved groups (224.0.0.0, all-systems 224.0.0.1, all-routers
//    224.0.0.2, VRRP's 224.0.0.18, IPVS's sync group 224.0.0.81);
//  * `peers` are unicast, distinct, not a port's own address, and in the
//    sync port's subnet unless that port has a gateway; with peers, an
//    explicit `group` is a warning (it is unused);
//  * `udp_port` is outside the health-probe port range (61000-61999);
//  * `instance`, when given, names a VRRP instance.
void check_sync(diagnostics& diag, const std::vector<port_config>& ports,
                const std::vector<vrrp_instance_config>& instances, const sync_entry& e);

} // namespace vipgate::config::sync_rules
