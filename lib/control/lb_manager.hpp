#pragma once
// Virtual services on the control core: the configured services with their
// runtime state (operator weight, enable/disable, health), the service
// snapshot the workers read, and the reports (show virtual-servers).
//
// Threads: control core only. The lb::service_table it builds is immutable
// once published (shared with worker snapshots).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/json.hpp"
#include "common/result.hpp"
#include "config/config.hpp"
#include "control/reports.hpp"
#include "control/shell.hpp"
#include "lb/service_table.hpp"

namespace vipgate::control {

using usec = std::chrono::microseconds;

class lb_manager {
  public:
    struct rs_state {
        config::real_server_entry cfg;
        std::uint32_t weight = 1; // operator's (starts as configured)
        bool enabled = true;      // operator's enable/disable
        bool healthy = true;      // health-check verdict (true without a check)
        // MISC_CHECK's misc_dynamic: exit status - 2 replaces `weight` in the
        // service table while set (keepalived update_svr_wgt()).
        std::optional<std::uint32_t> dynamic_weight;
        std::string health_reason = "no check configured";
        usec health_since{0};
        std::uint64_t transitions = 0;
        // Removed by a reload: kept with weight 0 so its flows drain (their
        // replies stay recognised) until drain_time has passed.
        std::optional<usec> draining_since;
    };
    struct vs_state {
        config::virtual_server_config cfg;
        std::vector<rs_state> rs;
        std::optional<usec> draining_since; // the whole service was removed
        // keepalived's quorum (lib/lb/quorum.hpp), evaluated by rebuild():
        // while it is lost and the service has a sorry server, the real
        // servers get no new flows (weight 0 in the table; their flows
        // continue) and the sorry server gets them (keepalived swaps them
        // out of the pool for it).
        bool quorum_up = false;
        bool quorum_evaluated = false; // false until the first rebuild (start-up, reload)
        std::uint64_t live_weight = 0; // at the last rebuild
        std::uint64_t quorum_transitions = 0;
    };
    // A quorum gained or lost, for the caller to run quorum_up / quorum_down.
    struct quorum_event {
        net::ipv4_addr vip; // the service: VIP, port, protocol
        std::uint16_t port = 0;
        lb::protocol proto = lb::protocol::tcp;
        bool up = false;
    };

    static result<std::unique_ptr<lb_manager>> make(const config::config& cfg, usec now);

    bool empty() const { return services_.empty(); }

    // Live reload: take `next`'s services, carrying over the runtime state
    // (health verdict, operator enable/disable) of real servers that exist
    // in both; the service table is rebuilt with this table as `previous`, so
    // slots, and with them established flows and counters, are kept.
    std::string adopt(lb_manager& next, usec now);
    // Forget real servers and services that have drained for `drain_time`.
    // True when something was removed (rebuild needed).
    bool expire_draining(usec now, usec drain_time);
    std::vector<vs_state>& services() { return services_; }
    const std::vector<vs_state>& services() const { return services_; }

    // The current snapshot; rebuilt by rebuild() after a change.
    std::shared_ptr<const lb::service_table> table() const { return table_; }
    bool dirty() const { return dirty_; }
    // Evaluates each service's quorum (logged, counted, queued for
    // take_quorum_events()), then builds the service table.
    result<void> rebuild();
    std::vector<quorum_event> take_quorum_events() { return std::exchange(quorum_events_, {}); }

    // By service index of table(): 1 if the VIP is held here.
    std::vector<std::uint8_t> active_flags(const std::function<bool(net::ipv4_addr)>& held) const;

    // Operator commands. `vs` is "VIP:port" (or "VIP:port/udp"), `rs` "IP:port".
    result<void> set_weight(const std::string& vs, const std::string& rs, std::uint32_t weight);
    result<void> set_enabled(const std::string& vs, const std::string& rs, bool enabled);
    // Health verdicts (from the checker).
    void set_health(std::size_t vs, std::size_t rs, bool up, const std::string& reason, usec now);
    // misc_dynamic's weight (unset: the configured / operator's weight again).
    void set_dynamic_weight(std::size_t vs, std::size_t rs, std::optional<std::uint32_t> weight);

    // Also rebases a real-server slot's counters when its owner changed
    // (hence not const).
    std::vector<virtual_server_row> report(const shell& sh, usec now);
    std::vector<flow_row> flows(shell& sh, const std::string& vs, std::uint32_t limit) const;

    // Every address the workers will need a MAC for (real servers).
    std::vector<net::ipv4_addr> next_hops() const;

  private:
    real_server_row rs_report(const shell& sh, const vs_state& vs, const lb::service* svc,
                              const rs_state& r, usec now);
    void slot_counters(const shell& sh, const lb::service_config& sc, const lb::real_server& rs,
                       real_server_row& x);
    result<std::pair<std::size_t, std::size_t>> find(const std::string& vs,
                                                     const std::string& rs) const;

    void update_quorum(std::size_t vs);
    result<void> build_table();

    std::vector<vs_state> services_;
    std::vector<quorum_event> quorum_events_;
    std::shared_ptr<const lb::service_table> table_;
    // Who a real-server slot's counters belong to: a slot reused by another
    // real server starts from the totals its previous owner left.
    struct slot_owner {
        net::ipv4_addr address;
        std::uint16_t port = 0;
        std::uint32_t service = 0; // vip hash, to tell services apart
        std::uint64_t base_packets = 0, base_bytes = 0;
    };
    std::map<std::uint16_t, slot_owner> slot_owners_; // updated by report()
    bool dirty_ = true;
};

// "10.0.0.1:80" (+ optional "/tcp" or "/udp").
result<std::tuple<net::ipv4_addr, std::uint16_t, lb::protocol>> parse_endpoint(const std::string& s,
                                                                               bool allow_proto);

} // namespace vipgate::control
