#include "lb/service_table.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <tuple>

#include "lb/hash.hpp"
#include "lb/maglev.hpp"

namespace vipgate::lb {

namespace {

constexpr std::uint32_t max_weight = 0x7fffffffu;    // keepalived: 0..2^31-1
constexpr seconds max_persistence{31LL * 24 * 3600}; // keepalived: at most 31 days

constexpr std::uint64_t endpoint_word(net::ipv4_addr a, std::uint16_t port, protocol p) noexcept {
    return (std::uint64_t{a.value} << 24) | (std::uint64_t{port} << 8) | to_ip_proto(p);
}

std::uint64_t endpoint_hash(net::ipv4_addr a, std::uint16_t port, protocol p) noexcept {
    return fmix64(endpoint_word(a, port, p));
}

bool contiguous_mask(std::uint32_t m) noexcept {
    // 1...10...0: the complement plus one is a power of two (or zero for /0).
    const std::uint32_t inv = ~m;
    return (inv & (inv + 1)) == 0;
}

// The rules config::lb_rules::check_lb() enforces on every configuration
// (the YAML loader's and the keepalived importer's; docs/config.md) and
// build() relies on: one place decides them, debug builds assert them here.
[[maybe_unused]] bool satisfies_config_rules(std::span<const service_config> configs) {
    std::set<std::uint64_t> service_keys;
    for (const auto& c : configs) {
        if (c.port == 0 || (c.proto != protocol::tcp && c.proto != protocol::udp) ||
            !service_keys.insert(endpoint_word(c.vip, c.port, c.proto)).second ||
            c.persistence_timeout.count() < 0 || c.persistence_timeout > max_persistence ||
            !contiguous_mask(c.persistence_netmask.value)) {
            return false;
        }
        std::set<std::uint64_t> rs_keys;
        for (const auto& r : c.real_servers) {
            const std::uint16_t port = r.port == 0 ? c.port : r.port;
            if (r.weight > max_weight ||
                !rs_keys.insert(endpoint_word(r.address, port, c.proto)).second) {
                return false;
            }
        }
        if (c.sorry_server &&
            !rs_keys
                 .insert(endpoint_word(c.sorry_server->address,
                                       c.sorry_server->port == 0 ? c.port : c.sorry_server->port,
                                       c.proto))
                 .second) {
            return false;
        }
    }
    return true;
}

// Why the table cannot hold `configs`, or "" when it can. A configuration
// stays within the limits (check_lb), but a reload keeps what it removes
// until its flows have drained, so old and new together may not fit.
std::string capacity_problem(std::span<const service_config> configs, const table_limits& limits) {
    std::string problems;
    if (configs.size() > limits.max_services) {
        problems = std::to_string(configs.size()) + " virtual servers, at most " +
                   std::to_string(limits.max_services);
    }
    std::size_t total_rs = 0;
    for (const auto& c : configs) {
        total_rs += c.real_servers.size();
    }
    if (total_rs > limits.max_real_servers) {
        problems += (problems.empty() ? "" : "; ") + std::to_string(total_rs) +
                    " real servers in all, at most " + std::to_string(limits.max_real_servers);
    }
    return problems;
}

std::vector<std::uint32_t> make_index(std::size_t n) {
    std::size_t size = 8;
    while (size < 2 * n) {
        size *= 2;
    }
    return std::vector<std::uint32_t>(size, no_index);
}

void index_insert(std::vector<std::uint32_t>& idx, std::uint64_t h, std::uint32_t value) {
    const std::size_t mask = idx.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        if (idx[i] == no_index) {
            idx[i] = value;
            return;
        }
    }
}

// ip_vs_sh.c ip_vs_sh_reassign(): buckets dealt round robin, a server keeping
// the deal until it has `weight` consecutive buckets. Only eligible servers
// are dealt (IPVS also deals weight-0 servers and then refuses the clients
// that hash to them unless sh-fallback is set).
void build_sh_table(std::span<const real_server> rs, std::span<std::uint16_t> table) {
    std::vector<std::uint16_t> elig;
    for (std::size_t i = 0; i < rs.size(); ++i) {
        if (rs[i].eligible()) {
            elig.push_back(static_cast<std::uint16_t>(i));
        }
    }
    if (elig.empty()) {
        std::fill(table.begin(), table.end(), maglev_empty);
        return;
    }
    std::size_t p = 0;
    std::uint32_t d_count = 0;
    for (auto& b : table) {
        b = elig[p];
        if (++d_count >= rs[elig[p]].weight) {
            p = (p + 1) % elig.size();
            d_count = 0;
        }
    }
}

// Union-find over service indices (owner policy groups).
struct disjoint_sets {
    std::vector<std::uint32_t> parent;
    explicit disjoint_sets(std::size_t n) : parent(n) {
        std::iota(parent.begin(), parent.end(), 0u);
    }
    std::uint32_t find(std::uint32_t x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }
    void unite(std::uint32_t a, std::uint32_t b) { parent[find(a)] = find(b); }
};

// Picks free slots: first those neither kept nor used by the previous
// snapshot, then any that is not kept.
class slot_allocator {
  public:
    slot_allocator(std::size_t n, const std::set<std::uint16_t>& previously_used)
        : taken_(n, false), prev_(n, false) {
        for (auto s : previously_used) {
            if (s < n) {
                prev_[s] = true;
            }
        }
    }
    void keep(std::uint16_t s) { taken_[s] = true; }
    bool taken(std::uint16_t s) const { return taken_[s]; }
    std::uint16_t take() {
        for (int pass = 0; pass < 2; ++pass) {
            for (std::size_t i = 0; i < taken_.size(); ++i) {
                if (!taken_[i] && (pass == 1 || !prev_[i])) {
                    taken_[i] = true;
                    return static_cast<std::uint16_t>(i);
                }
            }
        }
        return no_slot;
    }

  private:
    std::vector<bool> taken_;
    std::vector<bool> prev_;
};

} // namespace

const char* protocol_name(protocol p) noexcept {
    return p == protocol::tcp ? "tcp" : p == protocol::udp ? "udp" : "?";
}

const char* scheduler_name(scheduler_kind k) noexcept {
    switch (k) {
    case scheduler_kind::rr:
        return "rr";
    case scheduler_kind::wrr:
        return "wrr";
    case scheduler_kind::lc:
        return "lc";
    case scheduler_kind::wlc:
        return "wlc";
    case scheduler_kind::sh:
        return "sh";
    case scheduler_kind::mh:
        return "mh";
    }
    return "?";
}

// build()'s phases, in order; each fills part of the snapshot.
class service_table_builder {
  public:
    service_table_builder(std::span<const service_config> configs, const table_limits& limits,
                          const service_table* previous)
        : configs_(configs), previous_(previous) {
        t_.limits_ = limits;
    }

    void assign_slots();
    void add_services();
    void add_lookup_tables();
    void set_owner_policy();
    void add_indices();
    service_table take() && { return std::move(t_); }

  private:
    std::span<const service_config> configs_;
    const service_table* previous_;
    service_table t_;
    std::vector<std::uint16_t> svc_slot_;             // per config
    std::vector<std::vector<std::uint16_t>> rs_slot_; // per config, per real server
};

// Stable slots: pass 1 keeps what the previous snapshot had, pass 2 fills
// the rest.
void service_table_builder::assign_slots() {
    const table_limits& limits = t_.limits_;
    std::set<std::uint16_t> prev_svc_slots;
    std::set<std::uint16_t> prev_rs_slots;
    if (previous_ != nullptr) {
        for (const auto& s : previous_->services_) {
            prev_svc_slots.insert(s.slot);
        }
        for (const auto& r : previous_->real_servers_) {
            prev_rs_slots.insert(r.slot);
        }
    }
    slot_allocator svc_slots(limits.max_services, prev_svc_slots);
    slot_allocator rs_slots(limits.max_real_servers, prev_rs_slots);
    svc_slot_.assign(configs_.size(), no_slot);
    rs_slot_.assign(configs_.size(), {});
    for (std::size_t i = 0; i < configs_.size(); ++i) {
        const auto& c = configs_[i];
        rs_slot_[i].assign(c.real_servers.size(), no_slot);
        const service* old =
            previous_ != nullptr ? previous_->find_service(c.vip, c.port, c.proto) : nullptr;
        if (old == nullptr) {
            continue;
        }
        if (old->slot < limits.max_services && !svc_slots.taken(old->slot)) {
            svc_slot_[i] = old->slot;
            svc_slots.keep(old->slot);
        }
        const auto old_rs = previous_->real_servers(*old);
        for (std::size_t j = 0; j < c.real_servers.size(); ++j) {
            const auto& r = c.real_servers[j];
            const std::uint16_t port = r.port == 0 ? c.port : r.port;
            for (const auto& o : old_rs) {
                if (o.address == r.address && o.port == port && o.slot < limits.max_real_servers &&
                    !rs_slots.taken(o.slot)) {
                    rs_slot_[i][j] = o.slot;
                    rs_slots.keep(o.slot);
                    break;
                }
            }
        }
    }
    for (std::size_t i = 0; i < configs_.size(); ++i) {
        if (svc_slot_[i] == no_slot) {
            svc_slot_[i] = svc_slots.take();
        }
        for (auto& s : rs_slot_[i]) {
            if (s == no_slot) {
                s = rs_slots.take();
            }
        }
    }
}

// Services and their real servers, with the wrr parameters and the VIP filter.
void service_table_builder::add_services() {
    service_table& t = t_;
    std::size_t total_rs = 0;
    for (const auto& c : configs_) {
        total_rs += c.real_servers.size();
    }
    t.services_.reserve(configs_.size());
    t.real_servers_.reserve(total_rs);
    t.rs_by_slot_.assign(t.limits_.max_real_servers, no_index);
    t.svc_by_slot_.assign(t.limits_.max_services, no_index);
    for (std::size_t i = 0; i < configs_.size(); ++i) {
        const auto& c = configs_[i];
        service s;
        s.vip = c.vip;
        s.port = c.port;
        s.proto = c.proto;
        s.scheduler = c.scheduler;
        s.hash_port = c.hash_port;
        s.slot = svc_slot_[i];
        s.index = static_cast<std::uint32_t>(i);
        s.persistence_timeout = c.persistence_timeout;
        s.persistence_mask = c.persistence_netmask.value;
        s.first_rs = static_cast<std::uint32_t>(t.real_servers_.size());
        s.rs_count = static_cast<std::uint32_t>(c.real_servers.size());
        std::uint32_t g = 0;
        std::uint32_t max_w = 0;
        for (std::size_t j = 0; j < c.real_servers.size(); ++j) {
            const auto& rc = c.real_servers[j];
            real_server r;
            r.address = rc.address;
            r.port = rc.port == 0 ? c.port : rc.port;
            r.slot = rs_slot_[i][j];
            r.weight = rc.weight;
            r.up = rc.up;
            r.sorry = rc.sorry;
            r.service_index = s.index;
            if (r.sorry) {
                s.sorry_rs = static_cast<std::uint32_t>(t.real_servers_.size());
            }
            if (r.eligible()) {
                ++s.eligible_count;
                g = std::gcd(g, r.weight);
                max_w = std::max(max_w, r.weight);
            }
            t.rs_by_slot_[r.slot] = static_cast<std::uint32_t>(t.real_servers_.size());
            t.real_servers_.push_back(r);
        }
        // ip_vs_wrr_gcd_weight() (1 when nothing is eligible) and
        // ip_vs_wrr_init_svc(): mw = max weight - (di - 1).
        s.wrr_gcd = g == 0 ? 1 : g;
        s.wrr_max = max_w == 0 ? 0 : max_w - (s.wrr_gcd - 1);
        t.svc_by_slot_[s.slot] = s.index;
        t.vip_filter_ |= std::uint64_t{1} << service_table::vip_filter_bit(s.vip);
        t.services_.push_back(s);
    }
}

// sh and mh lookup tables, back to back.
void service_table_builder::add_lookup_tables() {
    service_table& t = t_;
    for (auto& s : t.services_) {
        const auto rs = t.real_servers(s);
        if (s.scheduler == scheduler_kind::sh) {
            s.lookup_offset = static_cast<std::uint32_t>(t.lookup_.size());
            t.lookup_.resize(t.lookup_.size() + sh_table_size);
            build_sh_table(rs, std::span<std::uint16_t>(t.lookup_).subspan(s.lookup_offset));
        } else if (s.scheduler == scheduler_kind::mh) {
            std::vector<maglev_backend> backends;
            backends.reserve(rs.size());
            for (const auto& r : rs) {
                backends.push_back({r.address, r.port, r.eligible() ? r.weight : 0});
            }
            s.lookup_offset = static_cast<std::uint32_t>(t.lookup_.size());
            t.lookup_.resize(t.lookup_.size() + maglev_table_size);
            build_maglev_table(backends, std::span<std::uint16_t>(t.lookup_).subspan(
                                             s.lookup_offset, maglev_table_size));
        }
    }
}

// Owner policy per group of services sharing a real-server endpoint
// (owner.hpp): persistent if any of them is, with the shortest mask.
void service_table_builder::set_owner_policy() {
    service_table& t = t_;
    disjoint_sets groups(t.services_.size());
    std::map<std::uint64_t, std::uint32_t> endpoint_owner;
    for (const auto& r : t.real_servers_) {
        const auto key = endpoint_word(r.address, r.port, t.services_[r.service_index].proto);
        auto [it, fresh] = endpoint_owner.emplace(key, r.service_index);
        if (!fresh) {
            groups.unite(it->second, r.service_index);
        }
    }
    struct policy {
        bool persistent = false;
        std::uint32_t mask = 0xffffffffu;
    };
    std::map<std::uint32_t, policy> group_policy;
    for (const auto& s : t.services_) {
        auto& p = group_policy[groups.find(s.index)];
        if (s.persistent()) {
            p.persistent = true;
            p.mask &= s.persistence_mask; // contiguous masks: AND = the shortest prefix
        }
    }
    for (auto& s : t.services_) {
        const auto& p = group_policy[groups.find(s.index)];
        s.owner_by_port = !p.persistent;
        s.owner_mask = p.persistent ? p.mask : 0xffffffffu;
    }
}

// The fast path's lookups: services by VIP:port/proto, real servers by
// endpoint (the first of a shared endpoint), and each real server's first.
void service_table_builder::add_indices() {
    service_table& t = t_;
    t.svc_index_ = make_index(t.services_.size());
    for (const auto& s : t.services_) {
        index_insert(t.svc_index_, endpoint_hash(s.vip, s.port, s.proto), s.index);
    }
    t.rs_index_ = make_index(t.real_servers_.size());
    for (std::uint32_t i = 0; i < t.real_servers_.size(); ++i) {
        const auto& r = t.real_servers_[i];
        const auto proto = t.services_[r.service_index].proto;
        if (t.find_real_server(r.address, r.port, proto) == nullptr) {
            index_insert(t.rs_index_, endpoint_hash(r.address, r.port, proto), i);
        }
    }
    t.endpoint_first_.resize(t.real_servers_.size());
    for (std::uint32_t i = 0; i < t.real_servers_.size(); ++i) {
        const auto& r = t.real_servers_[i];
        const real_server* first =
            t.find_real_server(r.address, r.port, t.services_[r.service_index].proto);
        t.endpoint_first_[i] = static_cast<std::uint32_t>(first - t.real_servers_.data());
    }
}

result<service_table> service_table::build(std::span<const service_config> configs,
                                           const table_limits& limits,
                                           const service_table* previous) {
    assert(limits.max_real_servers < no_slot); // no_slot marks "none"
    assert(satisfies_config_rules(configs));
    // A sorry server is one more real server of its service, flagged, the
    // last one: slots, indices and counters treat it as any other.
    std::vector<service_config> expanded;
    const bool any_sorry = std::any_of(configs.begin(), configs.end(),
                                       [](const auto& c) { return c.sorry_server.has_value(); });
    if (any_sorry) {
        expanded.assign(configs.begin(), configs.end());
        for (auto& c : expanded) {
            if (c.sorry_server) {
                c.real_servers.push_back(*c.sorry_server);
                c.real_servers.back().sorry = true;
            }
        }
        configs = expanded;
    }
    if (auto full = capacity_problem(configs, limits); !full.empty()) {
        return make_error(full);
    }
    service_table_builder b(configs, limits, previous);
    b.assign_slots();
    b.add_services();
    b.add_lookup_tables();
    b.set_owner_policy();
    b.add_indices();
    return std::move(b).take();
}

const service* service_table::find_service(net::ipv4_addr vip, std::uint16_t port,
                                           protocol proto) const noexcept {
    if (svc_index_.empty()) {
        return nullptr;
    }
    const std::size_t mask = svc_index_.size() - 1;
    for (std::size_t i = endpoint_hash(vip, port, proto) & mask;; i = (i + 1) & mask) {
        const std::uint32_t v = svc_index_[i];
        if (v == no_index) {
            return nullptr;
        }
        const service& s = services_[v];
        if (s.vip == vip && s.port == port && s.proto == proto) {
            return &s;
        }
    }
}

const real_server* service_table::find_real_server(net::ipv4_addr addr, std::uint16_t port,
                                                   protocol proto) const noexcept {
    if (rs_index_.empty()) {
        return nullptr;
    }
    const std::size_t mask = rs_index_.size() - 1;
    for (std::size_t i = endpoint_hash(addr, port, proto) & mask;; i = (i + 1) & mask) {
        const std::uint32_t v = rs_index_[i];
        if (v == no_index) {
            return nullptr;
        }
        const real_server& r = real_servers_[v];
        if (r.address == addr && r.port == port && services_[r.service_index].proto == proto) {
            return &r;
        }
    }
}

std::span<const std::uint16_t> service_table::lookup_table(const service& s) const noexcept {
    if (s.lookup_offset == no_index) {
        return {};
    }
    const std::size_t n = s.scheduler == scheduler_kind::sh ? sh_table_size : maglev_table_size;
    return std::span<const std::uint16_t>(lookup_).subspan(s.lookup_offset, n);
}

} // namespace vipgate::lb
