// `sync`: one key table, read with yaml_util's read_fields, then
// sync_rules::check_sync() for what spans the section, `ports` and
// `vrrp_instances`.

#include "config/sync_yaml.hpp"

#include <utility>

#include "config/sync_check.hpp"

namespace vipgate::config::sync_yaml {

namespace {

using sync_rules::sync_entry;

constexpr std::string_view port_expected =
    "the name of the port the sync stream rides on, a port defined in `ports`";
constexpr std::string_view group_expected =
    "an IPv4 multicast group such as 224.0.0.84 (the default)";
constexpr std::string_view peers_expected =
    "a sequence of at least one unicast IPv4 address of the peer gateway, such as [10.0.0.2]";
constexpr std::string_view instance_expected = "the name of a VRRP instance";

// Remembers where the value of `p`'s last key was written, for check_sync.
void mark(diagnostics& d, const YAML::Node& n, const std::string& p, sync_entry& out) {
    out.at[p.substr(p.find_last_of('.') + 1)] = d.where(n);
}

template <class Set>
field<sync_entry> uint_key(std::string_view key, uint_spec spec, Set set) {
    return {
        key, spec.expected(),
        [spec, set](diagnostics& d, const YAML::Node& n, const std::string& p, sync_entry& out) {
            mark(d, n, p, out);
            if (auto v = read_uint(d, n, p, spec)) {
                set(out.cfg, *v);
            }
        }};
}

void read_peers(diagnostics& d, const YAML::Node& n, const std::string& p, sync_entry& out) {
    mark(d, n, p, out);
    read_sequence(d, n, p, peers_expected, 1, [&](const YAML::Node& item, const std::string& ip) {
        auto s = read_scalar(d, item, ip, peers_expected);
        if (!s) {
            return;
        }
        auto a = net::ipv4_addr::parse(*s);
        if (!a) {
            d.error(item, subject(ip) + describe(item) + " is not an IPv4 address", peers_expected);
            return;
        }
        out.at["peers[" + std::to_string(out.cfg.peers.size()) + "]"] = d.where(item);
        out.cfg.peers.push_back(*a);
    });
}

void read_key(diagnostics& d, const YAML::Node& n, const std::string& p, sync_entry& out) {
    mark(d, n, p, out);
    auto s = read_string(d, n, p, sync_rules::key_file_expected);
    if (!s) {
        return;
    }
    // Relative to the configuration file, so a pair's files can be moved
    // together.
    auto key = sync_rules::read_key_file(*s, sync_rules::directory_of(d.file()));
    if (!key.ok()) {
        d.error(n, subject(p) + describe(n) + ' ' + key.message(), sync_rules::key_file_expected);
        return;
    }
    out.cfg.key_file = std::move(*s);
    out.cfg.key = std::move(*key);
}

const std::vector<field<sync_entry>>& sync_fields() {
    using c = sync_config;
    static const std::vector<field<sync_entry>> fields = {
        required(field<sync_entry>{
            "port", std::string(port_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, sync_entry& out) {
                mark(d, n, p, out);
                if (auto s = read_string(d, n, p, port_expected)) {
                    out.cfg.port = std::move(*s);
                }
            }}),
        field<sync_entry>{
            "group", std::string(group_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, sync_entry& out) {
                mark(d, n, p, out);
                if (auto a = read_ipv4_addr(d, n, p)) {
                    out.cfg.group = *a;
                    out.group_written = true;
                }
            }},
        field<sync_entry>{"peers", std::string(peers_expected), read_peers},
        uint_key("udp_port", sync_rules::udp_port_spec,
                 [](c& x, std::uint64_t v) { x.udp_port = static_cast<std::uint16_t>(v); }),
        uint_key("id", sync_rules::id_spec,
                 [](c& x, std::uint64_t v) { x.id = static_cast<std::uint32_t>(v); }),
        field<sync_entry>{"key_file", std::string(sync_rules::key_file_expected), read_key},
        field<sync_entry>{
            "instance", std::string(instance_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, sync_entry& out) {
                mark(d, n, p, out);
                if (auto s = read_string(d, n, p, instance_expected)) {
                    out.cfg.instance = std::move(*s);
                }
            }},
        field<sync_entry>{
            "flush_interval", sync_rules::flush_interval_spec.expected(),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, sync_entry& out) {
                mark(d, n, p, out);
                if (auto v = read_duration(d, n, p, sync_rules::flush_interval_spec)) {
                    out.cfg.flush_interval =
                        std::chrono::duration_cast<std::chrono::milliseconds>(*v);
                }
            }},
        uint_key("bulk_rate", sync_rules::bulk_rate_spec,
                 [](c& x, std::uint64_t v) { x.bulk_rate = static_cast<std::uint32_t>(v); }),
        field<sync_entry>{
            "resync_timeout", sync_rules::resync_timeout_spec.expected(),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, sync_entry& out) {
                mark(d, n, p, out);
                if (auto v = read_duration(d, n, p, sync_rules::resync_timeout_spec)) {
                    out.cfg.resync_timeout =
                        std::chrono::duration_cast<std::chrono::milliseconds>(*v);
                }
            }},
    };
    return fields;
}

} // namespace

const std::string& sync_expected() {
    static const std::string s = detail::map_expected(field_keys(sync_fields()));
    return s;
}

void read_sync_section(diagnostics& diag, const YAML::Node& root, config& cfg) {
    const YAML::Node n = root["sync"];
    if (!n || n.IsNull()) {
        return; // absent: no sync; `sync:` alone is reported by the top-level table
    }
    sync_entry e;
    e.subject = "sync";
    e.cfg.where = diag.where(n);
    const std::size_t before = diag.count();
    if (!read_fields(diag, n, "sync", sync_fields(), e)) {
        return;
    }
    // A value that failed is not checked again (its default would be).
    if (diag.count() != before) {
        return;
    }
    sync_rules::check_sync(diag, cfg.ports, cfg.vrrp_instances, e);
    cfg.sync = std::move(e.cfg);
}

void append_schema_keys(std::vector<std::string>& keys) {
    for (const auto& k : field_keys(sync_fields())) {
        keys.push_back("sync." + std::string(k));
    }
}

} // namespace vipgate::config::sync_yaml
