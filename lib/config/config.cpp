// The YAML loader: one field table per section, read with yaml_util's
// read_fields, then the checks that span several values (unique port names,
// devices and addresses). To add a top-level section: write its table (or a
// reader for a sequence of items), add one line to top_fields(), and document
// it in docs/config.md. The VRRP sections live in vrrp_yaml.cpp, the
// load-balancing ones in lb_yaml.cpp, `sync` in sync_yaml.cpp.

#include "config/config.hpp"

#include <cerrno>
#include <cstdio>
#include <map>
#include <system_error>

#include "config/lb_yaml.hpp"
#include "config/sync_yaml.hpp"
#include "config/vrrp_yaml.hpp"
#include "config/yaml_util.hpp"

namespace vipgate::config {

namespace {

using namespace std::chrono_literals;

// ---- ports ------------------------------------------------------------------

constexpr std::string_view name_expected =
    "a port name of 1 to 32 characters: a letter, then letters, digits, '_', '.' or '-'";
constexpr std::string_view device_expected =
    "a DPDK vdev such as \"net_af_packet0,iface=eth1\" (driver name starting with net_) or a "
    "PCI address such as 0000:03:00.0 or 03:00.0";
constexpr std::string_view address_expected =
    "the port's unicast IPv4 address with its prefix length 1..32, such as 192.168.44.44/24";
constexpr std::string_view gateway_expected =
    "the IPv4 address of a router in the port's subnet, other than the port's own address";
constexpr std::size_t max_name_length = 32;

bool valid_port_name(std::string_view s) {
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (s.empty() || s.size() > max_name_length || !alpha(s.front())) {
        return false;
    }
    for (char c : s) {
        if (!alpha(c) && !digit(c) && c != '_' && c != '.' && c != '-') {
            return false;
        }
    }
    return true;
}

struct device_info {
    std::string device; // as stored in port_config (PCI part normalised)
    std::string id;     // what DPDK names the device: vdev name or canonical PCI address
    bool is_pci = false;
};

// DPDK devargs: "<name>[,key=value...]" where name is a vdev driver instance
// (net_af_packet0) or a PCI address. Returns the reason phrase on failure.
result<device_info> parse_device(std::string_view text) {
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            return make_error("contains whitespace");
        }
    }
    const auto comma = text.find(',');
    const std::string_view head = text.substr(0, comma);
    const std::string_view args =
        comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (comma != std::string_view::npos) {
        if (args.empty() || args.front() == ',' || args.back() == ',' ||
            args.find(",,") != std::string_view::npos) {
            return make_error("has an empty device argument");
        }
    }
    device_info info;
    if (auto pci = normalize_pci_address(head)) {
        info.is_pci = true;
        info.id = *pci;
        info.device = *pci;
        if (!args.empty()) {
            info.device += ',';
            info.device += args;
        }
        return info;
    }
    constexpr std::string_view prefix = "net_";
    if (head.size() <= prefix.size() || head.substr(0, prefix.size()) != prefix) {
        return make_error("is neither a net_ vdev nor a PCI address");
    }
    for (char c : head) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) {
            return make_error("has an invalid vdev name " + quote(head));
        }
    }
    info.id = std::string(head);
    info.device = std::string(text);
    return info;
}

const std::vector<field<port_config>>& port_fields() {
    static const std::vector<field<port_config>> fields = {
        required(field<port_config>{
            "name", std::string(name_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, port_config& out) {
                auto s = read_string(d, n, p, name_expected);
                if (!s) {
                    return;
                }
                if (!valid_port_name(*s)) {
                    d.error(n, subject(p) + describe(n) + " is not a valid port name",
                            name_expected);
                    return;
                }
                out.name = std::move(*s);
            }}),
        required(field<port_config>{
            "device", std::string(device_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, port_config& out) {
                auto s = read_string(d, n, p, device_expected);
                if (!s) {
                    return;
                }
                auto dev = parse_device(*s);
                if (!dev.ok()) {
                    d.error(n, subject(p) + describe(n) + ' ' + dev.message(), device_expected);
                    return;
                }
                out.device = std::move(dev->device);
                out.is_pci = dev->is_pci;
            }}),
        required(field<port_config>{
            "address", std::string(address_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, port_config& out) {
                auto a = read_ipv4_prefix(d, n, p, 1, 32);
                if (!a) {
                    return;
                }
                if (auto why = host_address_problem(*a)) {
                    d.error(n, subject(p) + describe(n) + ' ' + *why, address_expected);
                    return;
                }
                out.address = *a;
            }}),
        field<port_config>{
            "gateway", std::string(gateway_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, port_config& out) {
                // Checked against the port's subnet in read_ports(): `address`
                // may come later in the map.
                out.gateway = read_ipv4_addr(d, n, p);
            }},
    };
    return fields;
}

// The gateway is a host of the port's own subnet, other than the port.
void check_gateway(diagnostics& diag, const YAML::Node& item, const std::string& item_path,
                   const port_config& port) {
    if (!port.gateway || port.address.addr.value == 0) {
        return;
    }
    const YAML::Node n = item["gateway"];
    const std::string path = child_path(item_path, "gateway");
    const net::ipv4_addr gw = *port.gateway;
    std::string why;
    if (!port.address.contains(gw)) {
        const std::uint32_t net = port.address.addr.value & port.address.mask();
        why = "is not in the port's subnet " +
              net::ipv4_prefix{net::ipv4_addr(net), port.address.len}.to_string();
    } else if (gw == port.address.addr) {
        why = "is the port's own address";
    } else if (auto problem = host_address_problem(net::ipv4_prefix{gw, port.address.len})) {
        why = *problem;
    }
    if (!why.empty()) {
        diag.error(n, subject(path) + gw.to_string() + ' ' + why, gateway_expected);
    }
}

const std::string& ports_expected() {
    static const std::string s = "a sequence of at least one port, each a map with keys " +
                                 join_keys(field_keys(port_fields()));
    return s;
}

// Remembers the first holder of a unique value, to report the second.
struct first_use {
    std::string path;
    source_location at;
};

std::string first_text(const first_use& f) {
    return f.path + " at line " + std::to_string(f.at.line) + ", column " +
           std::to_string(f.at.column);
}

void read_ports(diagnostics& diag, const YAML::Node& seq, const std::string& path, config& out) {
    std::map<std::string, first_use> names;
    std::map<std::string, first_use> devices;
    std::map<std::uint32_t, first_use> addresses;
    read_sequence(
        diag, seq, path, ports_expected(), 1,
        [&](const YAML::Node& item, const std::string& item_path) {
            port_config port;
            port.where = diag.where(item);
            if (!read_fields(diag, item, item_path, port_fields(), port)) {
                return;
            }
            check_gateway(diag, item, item_path, port);
            // Uniqueness: only values that were read successfully
            // take part, so one bad value is reported once.
            if (!port.name.empty()) {
                const YAML::Node n = item["name"];
                auto [it, fresh] = names.try_emplace(
                    port.name, first_use{child_path(item_path, "name"), diag.where(n)});
                if (!fresh) {
                    diag.error(n,
                               subject(child_path(item_path, "name")) + "duplicate port name '" +
                                   port.name + "' (first used by " + first_text(it->second) + ")",
                               "a unique name for every port");
                }
            }
            if (!port.device.empty()) {
                const YAML::Node n = item["device"];
                // Re-derive the DPDK device name: the stored string
                // may carry arguments.
                auto dev = parse_device(port.device);
                const std::string id = dev.ok() ? dev->id : port.device;
                auto [it, fresh] = devices.try_emplace(
                    id, first_use{child_path(item_path, "device"), diag.where(n)});
                if (!fresh) {
                    diag.error(n,
                               subject(child_path(item_path, "device")) + "duplicate device '" +
                                   id + "' (first used by " + first_text(it->second) + ")",
                               "a different DPDK device for every port");
                }
            }
            if (port.address.addr.value != 0) {
                const YAML::Node n = item["address"];
                auto [it, fresh] = addresses.try_emplace(
                    port.address.addr.value,
                    first_use{child_path(item_path, "address"), diag.where(n)});
                if (!fresh) {
                    diag.error(n,
                               subject(child_path(item_path, "address")) + "duplicate address " +
                                   port.address.addr.to_string() + " (first used by " +
                                   first_text(it->second) + ")",
                               "a different address on every port");
                }
            }
            out.ports.push_back(std::move(port));
        });
}

// ---- dataplane ----------------------------------------------------------------

const std::vector<field<dataplane_config>>& dataplane_fields() {
    using d = dataplane_config;
    static const std::vector<field<d>> fields = {
        uint_field("workers", &d::workers,
                   {.min = 0, .max = 64, .keyword = "auto", .keyword_value = 0}),
        uint_field("mbufs", &d::mbufs, {.min = 1023, .max = 16777215}),
        // DPDK caps the per-lcore cache at RTE_MEMPOOL_CACHE_MAX_SIZE (512)
        // and at mbufs / 1.5, which 1023 mbufs already satisfy.
        uint_field("mbuf_cache", &d::mbuf_cache, {.min = 0, .max = 512}),
        uint_field("rx_descriptors", &d::rx_descriptors,
                   {.min = 64, .max = 16384, .power_of_two = true}),
        uint_field("tx_descriptors", &d::tx_descriptors,
                   {.min = 64, .max = 16384, .power_of_two = true}),
        uint_field("burst", &d::burst, {.min = 1, .max = 256}),
        // rte_ring sizes are powers of two (without RING_F_EXACT_SZ).
        uint_field("punt_ring_size", &d::punt_ring_size,
                   {.min = 64, .max = 65536, .power_of_two = true}),
        uint_field("control_tx_ring_size", &d::control_tx_ring_size,
                   {.min = 64, .max = 65536, .power_of_two = true}),
        uint_field("handoff_ring_size", &d::handoff_ring_size,
                   {.min = 64, .max = 65536, .power_of_two = true}),
        bool_field("idle_sleep", &d::idle_sleep),
        uint_field("idle_sleep_us", &d::idle_sleep_us, {.min = 1, .max = 100000}),
        uint_field("idle_polls", &d::idle_polls, {.min = 1, .max = 1000000}),
        uint_field("punt_rate_arp", &d::punt_rate_arp, {.min = 0, .max = 10000000}),
        uint_field("punt_rate_vrrp", &d::punt_rate_vrrp, {.min = 0, .max = 10000000}),
        uint_field("punt_rate_probe", &d::punt_rate_probe, {.min = 0, .max = 10000000}),
        uint_field("control_rt_priority", &d::control_rt_priority, {.min = 0, .max = 99}),
    };
    return fields;
}

// A burst larger than a descriptor ring can never be filled in one call.
void check_dataplane(diagnostics& diag, const YAML::Node& map, const std::string& path,
                     dataplane_config& dp) {
    const unsigned smallest = std::min(dp.rx_descriptors, dp.tx_descriptors);
    if (dp.burst <= smallest) {
        return;
    }
    const YAML::Node burst = map["burst"];
    const YAML::Node at = burst ? burst : map;
    diag.error(at,
               subject(child_path(path, "burst")) + std::to_string(dp.burst) +
                   " is larger than the descriptor ring (" + std::to_string(smallest) + ")",
               "a burst no larger than rx_descriptors and tx_descriptors");
}

// ---- neighbours ---------------------------------------------------------------

constexpr std::string_view port_name_expected = "the name of a port defined in `ports`";

// A key read after the rest of the document (it refers to other sections,
// which may come later in the file). Empty (`static:`) means none.
template <class T>
field<T> deferred_field(std::string_view key, const std::string& expected) {
    field<T> f{key, expected, [](diagnostics&, const YAML::Node&, const std::string&, T&) {}};
    f.nullable = true;
    return f;
}

const std::string& static_neighbours_expected() {
    static const std::string s = "a sequence of static neighbours, each a map with keys address, "
                                 "mac, port";
    return s;
}

const std::vector<field<neighbour_config>>& neighbour_fields() {
    using n = neighbour_config;
    static const std::vector<field<n>> fields = {
        uint_field("max_entries", &n::max_entries, {.min = 16, .max = 1048576}),
        duration_count_field<std::chrono::seconds>("reachable_time", &n::reachable_time_s,
                                                   {.min = 1s, .max = 24h}),
        duration_count_field<std::chrono::milliseconds>("retry_interval", &n::retry_interval_ms,
                                                        {.min = 10ms, .max = 60s}),
        uint_field("retries", &n::retries, {.min = 1, .max = 100}),
        deferred_field<n>("static", static_neighbours_expected()),
    };
    return fields;
}

// ---- neighbours.static ------------------------------------------------------------

constexpr std::string_view mac_expected = "a unicast MAC address xx:xx:xx:xx:xx:xx";
constexpr std::string_view static_address_expected =
    "a host address in the subnet of the port the neighbour is reached through";

const std::vector<field<static_neighbour>>& static_neighbour_fields() {
    static const std::vector<field<static_neighbour>> fields = {
        required(field<static_neighbour>{
            "address", std::string(static_address_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, static_neighbour& out) {
                if (auto a = read_ipv4_addr(d, n, p)) {
                    out.address = *a;
                }
            }}),
        required(field<static_neighbour>{
            "mac", std::string(mac_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, static_neighbour& out) {
                auto s = read_string(d, n, p, mac_expected);
                if (!s) {
                    return;
                }
                auto m = net::mac_addr::parse(*s);
                if (!m) {
                    d.error(n, subject(p) + describe(n) + " is not a MAC address", mac_expected);
                } else if (m->is_zero()) {
                    d.error(n, subject(p) + describe(n) + " is the all-zero MAC address",
                            mac_expected);
                } else if (m->is_multicast()) {
                    d.error(n, subject(p) + describe(n) + " is a multicast MAC address",
                            mac_expected);
                } else {
                    out.mac = *m;
                }
            }}),
        required(field<static_neighbour>{
            "port", std::string(port_name_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, static_neighbour& out) {
                if (auto s = read_string(d, n, p, port_name_expected)) {
                    out.port = std::move(*s);
                }
            }}),
    };
    return fields;
}

std::string port_names(const std::vector<port_config>& ports) {
    std::string s;
    for (const auto& p : ports) {
        s += (s.empty() ? "" : ", ") + p.name;
    }
    return s.empty() ? std::string(port_name_expected) : "one of the ports " + s;
}

// After the whole document: the entries refer to ports, which may come later.
void read_static_neighbours(diagnostics& diag, const YAML::Node& root, config& cfg) {
    const YAML::Node nb = root["neighbours"];
    if (!nb || !nb.IsMap()) {
        return;
    }
    const YAML::Node seq = nb["static"];
    if (!seq || seq.IsNull()) {
        return;
    }
    std::map<std::uint32_t, first_use> seen;
    read_sequence(
        diag, seq, "neighbours.static", static_neighbours_expected(), 0,
        [&](const YAML::Node& item, const std::string& path) {
            static_neighbour e;
            e.where = diag.where(item);
            const std::size_t before = diag.count();
            if (!read_fields(diag, item, path, static_neighbour_fields(), e) ||
                diag.count() != before) {
                return;
            }
            const port_config* port = nullptr;
            for (const auto& p : cfg.ports) {
                if (p.name == e.port) {
                    port = &p;
                }
            }
            if (port == nullptr) {
                diag.error(item["port"],
                           subject(child_path(path, "port")) + "no port named " + quote(e.port),
                           port_names(cfg.ports));
                return;
            }
            const YAML::Node an = item["address"];
            const std::string apath = child_path(path, "address");
            std::string why;
            if (port->address.addr.value == 0) {
                return; // the port's address was wrong: reported
            }
            if (!port->address.contains(e.address)) {
                const std::uint32_t net = port->address.addr.value & port->address.mask();
                why = "is not in the subnet of port " + quote(port->name) + " (" +
                      net::ipv4_prefix{net::ipv4_addr(net), port->address.len}.to_string() + ")";
            } else if (e.address == port->address.addr) {
                why = "is the address of port " + quote(port->name);
            } else if (auto problem =
                           host_address_problem(net::ipv4_prefix{e.address, port->address.len})) {
                why = *problem;
            }
            if (!why.empty()) {
                diag.error(an, subject(apath) + e.address.to_string() + ' ' + why,
                           static_address_expected);
                return;
            }
            auto [it, fresh] = seen.try_emplace(e.address.value, first_use{apath, diag.where(an)});
            if (!fresh) {
                diag.error(an,
                           subject(apath) + "duplicate static neighbour " + e.address.to_string() +
                               " (first used by " + first_text(it->second) + ")",
                           "each address at most once");
                return;
            }
            cfg.neighbours.static_entries.push_back(std::move(e));
        });
}

// ---- top level ----------------------------------------------------------------------

// A top-level sequence read after the rest of the document by
// vrrp_yaml::read_vrrp_sections() or lb_yaml::read_virtual_servers(): its
// items refer to ports (and virtual servers to VRRP addresses), which may
// come later in the file. Empty (`vrrp_instances:`) means none.
field<config> deferred_sequence(std::string_view key, const std::string& expected) {
    return deferred_field<config>(key, expected);
}

const std::vector<field<config>>& top_fields() {
    static const std::vector<field<config>> fields = {
        required(field<config>{"ports", ports_expected(), read_ports}),
        section_field("dataplane", &config::dataplane, dataplane_fields(), check_dataplane),
        section_field("neighbours", &config::neighbours, neighbour_fields()),
        deferred_sequence("vrrp_instances", vrrp_yaml::instances_expected()),
        deferred_sequence("vrrp_sync_groups", vrrp_yaml::groups_expected()),
        section_field("load_balancing", &config::load_balancing, lb_yaml::load_balancing_fields()),
        deferred_sequence("virtual_servers", lb_yaml::virtual_servers_expected()),
        // Read after the VRRP sections (it names a port and an instance).
        // Not nullable: `sync:` alone has no port, and sync off is no key.
        field<config>{"sync", sync_yaml::sync_expected(),
                      [](diagnostics&, const YAML::Node&, const std::string&, config&) {}},
    };
    return fields;
}

template <class T>
void append_keys(std::vector<std::string>& out, std::string_view parent,
                 const std::vector<field<T>>& fields) {
    for (const auto& k : field_keys(fields)) {
        out.push_back(child_path(parent, k));
    }
}

void read_document(diagnostics& diag, const std::string& text, config& cfg) {
    const std::string expected = detail::map_expected(field_keys(top_fields()));
    const auto root = parse_single_document(diag, text, expected);
    if (!root) {
        return;
    }
    if (root->IsNull()) {
        diag.error(*root, "top level: has no value", expected);
        return;
    }
    if (read_fields(diag, *root, "", top_fields(), cfg)) {
        vrrp_yaml::read_vrrp_sections(diag, *root, cfg);
        read_static_neighbours(diag, *root, cfg);
        lb_yaml::read_virtual_servers(diag, *root, cfg);
        sync_yaml::read_sync_section(diag, *root, cfg);
    }
}

} // namespace

result<config> load_string(const std::string& text, const std::string& filename) {
    diagnostics diag(filename);
    config cfg;
    cfg.source_file = filename;
    try {
        read_document(diag, text, cfg);
    } catch (const YAML::Exception& e) {
        // Not expected (parse errors are handled in parse_single_document and
        // no throwing accessor is used), but nothing may escape this boundary.
        diag.error(diag.where(e.mark), "YAML error: " + e.msg, "well-formed YAML");
    } catch (const std::exception& e) {
        diag.error(source_location{filename, 0, 0}, std::string("cannot load: ") + e.what(),
                   "a configuration within memory limits");
    } catch (...) {
        diag.error(source_location{filename, 0, 0}, "cannot load: unknown exception",
                   "a valid configuration");
    }
    if (!diag.ok()) {
        return make_error(diag.message());
    }
    cfg.warnings = diag.warnings();
    return cfg;
}

std::vector<std::string> schema_keys() {
    std::vector<std::string> keys;
    append_keys(keys, "", top_fields());
    append_keys(keys, "ports[]", port_fields());
    append_keys(keys, "dataplane", dataplane_fields());
    append_keys(keys, "neighbours", neighbour_fields());
    append_keys(keys, "neighbours.static[]", static_neighbour_fields());
    vrrp_yaml::append_schema_keys(keys);
    lb_yaml::append_schema_keys(keys);
    sync_yaml::append_schema_keys(keys);
    return keys;
}

result<config> load_file(const std::string& path) {
    // A configuration is small; anything bigger is a mistake (wrong file).
    constexpr std::size_t max_size = 16u << 20;
    try {
        std::FILE* f = std::fopen(path.c_str(), "rb");
        if (f == nullptr) {
            return make_error(path + ": cannot open: " + std::generic_category().message(errno) +
                              "; expected a readable YAML file");
        }
        std::string text;
        char buf[65536];
        std::size_t n = 0;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && text.size() <= max_size) {
            text.append(buf, n);
        }
        const int read_errno = std::ferror(f) ? errno : 0;
        std::fclose(f);
        if (read_errno != 0) {
            return make_error(path +
                              ": cannot read: " + std::generic_category().message(read_errno) +
                              "; expected a readable YAML file");
        }
        if (text.size() > max_size) {
            return make_error(path + ": is larger than 16 MiB; expected a YAML configuration file");
        }
        return load_string(text, path);
    } catch (const std::exception& e) {
        return make_error(path + ": cannot load: " + e.what());
    }
}

} // namespace vipgate::config
