#include "config/sync_check.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "config/vrrp_check.hpp"
#include "pipeline/pipeline.hpp"

namespace vipgate::config::sync_rules {

namespace {

// Multicast groups a sync stream must not use, and why.
struct reserved_group {
    net::ipv4_addr addr;
    std::string_view why;
};
constexpr std::array<reserved_group, 5> reserved_groups = {{
    {net::ipv4_addr(224, 0, 0, 0), "is the reserved base address (RFC 5771)"},
    {net::ipv4_addr(224, 0, 0, 1),
     "is the all-systems group (RFC 1112): every host on the link would receive the stream"},
    {net::ipv4_addr(224, 0, 0, 2),
     "is the all-routers group (RFC 1112): every router on the link would receive the stream"},
    {net::ipv4_addr(224, 0, 0, 18),
     "is VRRP's group (RFC 5798 §5.1.1.2): VRRP routers on the link would receive the stream"},
    {net::ipv4_addr(224, 0, 0, 81),
     "is IPVS's sync group (keepalived's lvs_sync_daemon default): a half-migrated pair would "
     "exchange frames neither side can read; vipgate's default is 224.0.0.84"},
}};

constexpr std::string_view group_expected =
    "an IPv4 multicast group (224.0.0.0/4) of its own, such as 224.0.0.84 (the default)";
constexpr std::string_view peer_expected =
    "the unicast IPv4 address of the peer gateway, in the sync port's subnet or behind its "
    "gateway";

std::string port_list(const std::vector<port_config>& ports) {
    std::string s;
    for (const auto& p : ports) {
        s += (s.empty() ? "" : ", ") + p.name;
    }
    return s.empty() ? "the name of a port defined in `ports`" : "one of the ports " + s;
}

std::string instance_list(const std::vector<vrrp_instance_config>& instances) {
    std::string s;
    for (const auto& i : instances) {
        s += (s.empty() ? "" : ", ") + i.vrrp.name;
    }
    return s.empty() ? "the name of a VRRP instance (there is none)"
                     : "the name of a VRRP instance: one of " + s;
}

void check_group(diagnostics& diag, const sync_entry& e) {
    const net::ipv4_addr g = e.cfg.group;
    if (!e.cfg.peers.empty()) {
        if (e.group_written) {
            diag.warning(e.where_of("group"),
                         e.subject_of("group") + g.to_string() +
                             " is not used: the stream goes to the unicast peers");
        }
        return;
    }
    if ((g.value >> 28) != 0xe) {
        diag.error(e.where_of("group"),
                   e.subject_of("group") + g.to_string() + " is not a multicast address",
                   group_expected);
        return;
    }
    for (const auto& r : reserved_groups) {
        if (r.addr == g) {
            diag.error(e.where_of("group"),
                       e.subject_of("group") + g.to_string() + ' ' + std::string(r.why),
                       group_expected);
            return;
        }
    }
}

void check_peers(diagnostics& diag, const std::vector<port_config>& ports, const port_config* port,
                 const sync_entry& e) {
    std::map<std::uint32_t, std::size_t> seen;
    for (std::size_t i = 0; i < e.cfg.peers.size(); ++i) {
        const net::ipv4_addr a = e.cfg.peers[i];
        const std::string key = "peers[" + std::to_string(i) + "]";
        std::string why;
        const auto own = std::find_if(ports.begin(), ports.end(),
                                      [&](const port_config& p) { return p.address.addr == a; });
        if (auto problem = vrrp_rules::address_problem(a)) {
            why = *problem;
        } else if (own != ports.end()) {
            why = "is the address of port " + quote(own->name) + " (this node)";
        } else if (auto [it, fresh] = seen.try_emplace(a.value, i); !fresh) {
            why = "is listed twice (first as peers[" + std::to_string(it->second) + "])";
        } else if (port != nullptr && port->address.addr.value != 0 && !port->address.contains(a) &&
                   !port->gateway) {
            const std::uint32_t net = port->address.addr.value & port->address.mask();
            why = "is not in the subnet of port " + quote(port->name) + " (" +
                  net::ipv4_prefix{net::ipv4_addr(net), port->address.len}.to_string() +
                  ") and the port has no gateway";
        }
        if (!why.empty()) {
            diag.error(e.where_of(key), e.subject_of(key) + a.to_string() + ' ' + why,
                       peer_expected);
        }
    }
}

} // namespace

source_location sync_entry::where_of(std::string_view key) const {
    auto it = at.find(key);
    return it != at.end() ? it->second : cfg.where;
}

std::string sync_entry::subject_of(std::string_view key) const {
    if (syntax == dialect::yaml) {
        return subject + "." + std::string(key) + ": ";
    }
    // keepalived's names for the keys its line has.
    std::string_view kw = key;
    if (key == "port") {
        kw = "interface";
    } else if (key == "udp_port") {
        kw = "port";
    } else if (key == "instance") {
        kw = "inst";
    }
    return subject + ": " + std::string(kw) + ": ";
}

std::string directory_of(const std::string& file) {
    const auto slash = file.find_last_of('/');
    return slash == std::string::npos ? std::string() : file.substr(0, slash + 1);
}

result<std::vector<std::uint8_t>> read_key_file(const std::string& path,
                                                const std::string& base_dir) {
    const std::string full = !path.empty() && path.front() != '/' ? base_dir + path : path;
    std::FILE* f = std::fopen(full.c_str(), "rb");
    if (f == nullptr) {
        return make_error("cannot be opened (" + full +
                          "): " + std::generic_category().message(errno));
    }
    struct stat st {};
    if (::fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
        std::fclose(f);
        return make_error("is not a regular file (" + full + ")");
    }
    std::vector<std::uint8_t> key(max_key_size + 1);
    const std::size_t n = std::fread(key.data(), 1, key.size(), f);
    const int read_errno = std::ferror(f) ? errno : 0;
    std::fclose(f);
    if (read_errno != 0) {
        return make_error("cannot be read (" + full +
                          "): " + std::generic_category().message(read_errno));
    }
    key.resize(n);
    if (n == 0) {
        return make_error("is empty (" + full + ")");
    }
    if (n < min_key_size) {
        return make_error("holds " + std::to_string(n) + " bytes, fewer than " +
                          std::to_string(min_key_size) +
                          " (RFC 2104 §3: an HMAC-SHA256 key shorter than the 32-byte hash "
                          "weakens it)");
    }
    if (n > max_key_size) {
        return make_error("holds more than " + std::to_string(max_key_size) +
                          " bytes: not a key file");
    }
    return key;
}

void check_sync(diagnostics& diag, const std::vector<port_config>& ports,
                const std::vector<vrrp_instance_config>& instances, const sync_entry& e) {
    const sync_config& c = e.cfg;
    const port_config* port = nullptr;
    if (!c.port.empty()) {
        auto it = std::find_if(ports.begin(), ports.end(),
                               [&](const port_config& p) { return p.name == c.port; });
        if (it == ports.end()) {
            diag.error(e.where_of("port"), e.subject_of("port") + "no port named " + quote(c.port),
                       port_list(ports));
        } else {
            port = &*it;
        }
    }
    check_group(diag, e);
    check_peers(diag, ports, port, e);
    if (c.udp_port >= pipeline::probe_port_first && c.udp_port <= pipeline::probe_port_last) {
        diag.error(e.where_of("udp_port"),
                   e.subject_of("udp_port") + std::to_string(c.udp_port) +
                       " is in the health-probe port range " +
                       std::to_string(pipeline::probe_port_first) + "-" +
                       std::to_string(pipeline::probe_port_last) +
                       " (reserved for the health checker's source ports on the port address)",
                   "a UDP port 1..65535 outside 61000-61999, such as 8847 (the default)");
    }
    if (!c.instance.empty()) {
        const bool found =
            std::any_of(instances.begin(), instances.end(),
                        [&](const vrrp_instance_config& i) { return i.vrrp.name == c.instance; });
        if (!found) {
            diag.error(e.where_of("instance"),
                       e.subject_of("instance") + "no VRRP instance named " + quote(c.instance),
                       instance_list(instances));
        }
    }
}

} // namespace vipgate::config::sync_rules
