#pragma once
// What every configuration the loaders accept must satisfy, because the rest
// of vipgate relies on it without checking again: shared by the YAML and the
// keepalived.conf fuzzers. A violation aborts (libFuzzer saves the input).

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "lb/service_table.hpp"
#include "pipeline/pipeline.hpp"
#include "vrrp/config.hpp"

namespace vipgate::fuzz {

[[noreturn]] inline void config_fail(const char* fuzzer, const std::string& what) {
    std::fprintf(stderr, "%s: invariant violated: %s\n", fuzzer, what.c_str());
    std::abort();
}

// The sync shell (docs/ha.md) trusts these (config/sync_check.hpp).
inline void check_accepted_sync(const char* fuzzer, const config::config& c,
                                const std::set<std::string>& ports,
                                const std::set<std::string>& instances) {
    if (!c.sync) {
        return;
    }
    const config::sync_config& s = *c.sync;
    if (!ports.contains(s.port)) {
        config_fail(fuzzer, "sync on an unknown port '" + s.port + "'");
    }
    if (!s.instance.empty() && !instances.contains(s.instance)) {
        config_fail(fuzzer, "sync follows an unknown VRRP instance '" + s.instance + "'");
    }
    if (s.peers.empty() && (s.group.value >> 28) != 0xe) {
        config_fail(fuzzer, "sync group is not multicast: " + s.group.to_string());
    }
    if (s.udp_port == 0 ||
        (s.udp_port >= pipeline::probe_port_first && s.udp_port <= pipeline::probe_port_last)) {
        config_fail(fuzzer, "sync UDP port 0 or in the probe range");
    }
    if (!s.key.empty() && (s.key.size() < 32 || s.key_file.empty())) {
        config_fail(fuzzer, "sync key shorter than 32 bytes, or without its file");
    }
    if (s.flush_interval < std::chrono::milliseconds{1} ||
        s.flush_interval > std::chrono::milliseconds{1000} || s.bulk_rate < 1000) {
        config_fail(fuzzer, "sync flush_interval or bulk_rate out of range");
    }
}

inline void check_accepted_config(const char* fuzzer, const config::config& c) {
    std::set<std::string> ports;
    for (const auto& p : c.ports) {
        if (p.name.empty() || !ports.insert(p.name).second) {
            config_fail(fuzzer, "port name empty or repeated: '" + p.name + "'");
        }
        if (p.address.len > 32) {
            config_fail(fuzzer, "port prefix length above 32");
        }
    }
    if (c.vrrp_instances.size() > config::max_vrrp_instances) {
        config_fail(fuzzer, "more VRRP instances than max_vrrp_instances");
    }
    std::set<std::string> names;
    std::set<std::pair<std::string, unsigned>> vrids;
    for (const auto& i : c.vrrp_instances) {
        if (!ports.contains(i.port)) {
            config_fail(fuzzer, "VRRP instance on an unknown port '" + i.port + "'");
        }
        if (!names.insert(i.vrrp.name).second) {
            config_fail(fuzzer, "VRRP instance name repeated: '" + i.vrrp.name + "'");
        }
        if (!vrids.insert({i.port, i.vrrp.vrid}).second) {
            config_fail(fuzzer, "VRID repeated on one port");
        }
        // The control core normalizes every instance at start and on reload:
        // an accepted config must not fail there.
        auto n = vrrp::normalize(i.vrrp);
        if (!n.ok()) {
            config_fail(fuzzer, "accepted VRRP instance fails vrrp::normalize(): " + n.message());
        }
    }
    for (const auto& g : c.vrrp_sync_groups) {
        for (const auto& m : g.members) {
            if (!names.contains(m)) {
                config_fail(fuzzer, "sync group member '" + m + "' is no VRRP instance");
            }
        }
    }
    for (const auto& n : c.neighbours.static_entries) {
        if (!ports.contains(n.port)) {
            config_fail(fuzzer, "static neighbour on an unknown port '" + n.port + "'");
        }
    }
    // The control core builds the workers' service table from these.
    std::vector<lb::service_config> services;
    for (const auto& vs : c.virtual_servers) {
        if (vs.service.real_servers.size() != vs.real_servers.size()) {
            config_fail(fuzzer, "virtual server's two real-server lists differ in size");
        }
        for (std::size_t i = 0; i < vs.real_servers.size(); ++i) {
            const auto& a = vs.service.real_servers[i];
            const auto& b = vs.real_servers[i].rs;
            if (a.address != b.address || a.port != b.port || a.weight != b.weight) {
                config_fail(fuzzer, "virtual server's two real-server lists differ");
            }
            if (b.port == 0) {
                config_fail(fuzzer, "real server port 0 after inheritance");
            }
        }
        services.push_back(vs.service);
    }
    auto built = lb::service_table::build(services);
    if (!built.ok()) {
        config_fail(fuzzer,
                    "accepted virtual servers fail service_table::build(): " + built.message());
    }
    check_accepted_sync(fuzzer, c, ports, names);
}

} // namespace vipgate::fuzz
