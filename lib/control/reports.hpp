#pragma once
// Typed reports of the control core. The console formats them as tables;
// to_json() serialises each with the keys, in the order, that `show ...
// json`, the control socket and telemetry have always used. Nobody reads a
// report back by JSON key.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/json.hpp"
#include "control/port_steering.hpp"
#include "lb/tcp_state.hpp"
#include "lb/types.hpp"
#include "neigh/neighbour_table.hpp"
#include "net/types.hpp"
#include "vrrp/instance.hpp"

namespace vipgate::control {

// Counters in display order (name, value).
using named_counters = std::vector<std::pair<std::string, std::uint64_t>>;

// `show info`: one-line status.
struct summary_report {
    std::chrono::seconds uptime{0};
    std::uint64_t ports = 0;
    unsigned workers = 0;
    std::string config; // the configuration file
};

// `show ports`: one port and its link.
struct port_row {
    std::string name;
    unsigned port_id = 0;
    std::string device, driver; // ethdev name, PMD
    net::mac_addr mac;
    net::ipv4_prefix address;
    bool link_up = false;
    std::uint64_t speed_mbps = 0;
    unsigned queues = 0;
    // The tx queue adverts, GARPs, ARP requests and probes leave by;
    // std::nullopt: they go via worker 0.
    std::optional<unsigned> control_queue;
    // Whether the NIC puts both directions of a flow on its owner's queue
    // (docs/load-balancing.md, "The owner function and NIC steering").
    port_steering steering;
};
std::string control_tx_text(const port_row& r); // "queue N" or "via worker 0"
// "nic (N rules)", "rss+handoff (reason)" or "none (reason)".
std::string steering_text(const port_steering& s);

// `show arp`: one neighbour entry.
struct arp_row {
    net::ipv4_addr address;
    std::optional<net::mac_addr> mac; // none while incomplete or failed
    std::string port;                 // the port's name, "?" if unknown
    neigh::state state = neigh::state::incomplete;
    std::optional<std::chrono::seconds> age; // since learnt; none for static entries
    std::uint32_t probes = 0;
};

// `show health`: one checker of a real server (a real server with several
// checkers has several rows; it is up only while all of them are).
struct health_row {
    std::string virtual_server;
    net::ipv4_addr rs_address;
    std::uint16_t rs_port = 0;
    std::string checker; // keepalived's block: "TCP_CHECK", "MISC_CHECK"
    bool up = false;     // this checker's verdict
    // The last probe's outcome; a MISC_CHECK's last run: "succeeded",
    // "exited with status 1", "timed out", ...
    std::string reason;
    // A MISC_CHECK counts its runs as probes; refused and no_route stay 0.
    std::uint64_t probes = 0, successes = 0, timeouts = 0, refused = 0, no_route = 0;
};

// `show flows`: one flow of the workers' tables.
struct flow_row {
    lb::protocol protocol = lb::protocol::tcp;
    net::ipv4_addr client, vip, rs;
    std::uint16_t client_port = 0, vport = 0, rs_port = 0;
    lb::flow_state state{};
    std::chrono::milliseconds expires_in{0};
};

// "10.0.0.1:80": how the reports print an endpoint.
std::string endpoint_text(net::ipv4_addr a, std::uint16_t port);

json to_json(const summary_report& s);
json to_json(const std::vector<port_row>& rows);
json to_json(const std::vector<arp_row>& rows);
json to_json(const std::vector<health_row>& rows);
json to_json(const std::vector<flow_row>& rows);

// `show port stats all`: a port's NIC counters since `clear stats`.
struct port_stats_row {
    std::string name;
    unsigned port_id = 0;
    std::uint64_t rx_packets = 0, rx_bytes = 0, rx_missed = 0, rx_errors = 0, rx_nombuf = 0;
    std::uint64_t tx_packets = 0, tx_bytes = 0, tx_errors = 0;
};

// `show lcores`: one worker.
struct lcore_row {
    unsigned worker = 0;
    unsigned lcore = 0;
    std::uint64_t rx_packets = 0, tx_packets = 0, replies = 0, punts = 0, control_tx = 0, drops = 0,
                  polls = 0;
    double busy_pct = 0; // share of polls that found a packet
    std::uint64_t idle_sleeps = 0;
    // Load-balancing counters and gauges (since start), when flow tables exist.
    struct lb_counters {
        std::uint64_t forwarded = 0, new_flows = 0, conn_reused = 0, persist_hits = 0,
                      persist_resched = 0, sorry_flows = 0, flows = 0, flow_capacity = 0,
                      handoffs_out = 0, handoffs_in = 0, expired = 0, taken_over = 0;
    };
    std::optional<lb_counters> lb;
};

// `show stats`.
struct stats_report {
    std::uint64_t drops_total = 0;
    named_counters drops;      // every drop reason but none, in the table's order
    named_counters control;    // the control core's counters
    named_counters neighbours; // the neighbour table's
    std::optional<json> vrrp;  // vrrp_manager::tx_report, when VRRP runs
    std::uint64_t since_s = 0; // since `clear stats` (or start)
};

// `show virtual-servers` (like ipvsadm -Ln --stats): one real server.
struct real_server_row {
    std::string address;
    unsigned port = 0;
    std::string forward = "Masq";
    std::uint32_t weight = 0;           // the operator's
    std::uint32_t effective_weight = 0; // what the scheduler uses (0 when down)
    std::string state;                  // up, down, disabled, draining
    std::string check;                  // tcp, none
    std::string health;                 // the last probe's outcome
    double health_since_s = 0;
    bool inhibit_on_failure = false;
    std::uint64_t active_conns = 0, inactive_conns = 0, packets = 0, bytes = 0;
};

// One virtual service; its counters are its real servers' sums.
struct virtual_server_row {
    std::string name, protocol, address;
    unsigned port = 0;
    std::string scheduler;
    std::uint64_t persistence_timeout_s = 0;
    double delay_loop_s = 0;
    // keepalived's quorum (lib/lb/quorum.hpp): settings, state ("up" /
    // "down"), the live weight it was last judged on, changes so far.
    std::uint64_t quorum = 1, hysteresis = 0;
    std::string quorum_state;
    std::uint64_t live_weight = 0, quorum_transitions = 0;
    std::uint64_t active_conns = 0, inactive_conns = 0, packets = 0, bytes = 0;
    std::vector<real_server_row> real_servers;
};

// `show vrrp`: one instance.
struct vrrp_instance_row {
    std::string name, port;
    unsigned vrid = 0, version = 0;
    std::string state; // INIT, BACKUP, MASTER, FAULT
    unsigned priority = 0, effective_priority = 0;
    std::string master_address; // "-" when unknown
    unsigned master_priority = 0;
    double advert_interval_s = 0, master_adver_interval_s = 0, master_down_interval_s = 0;
    std::optional<double> time_to_master_down_s; // only while BACKUP
    bool preempt = false;
    double preempt_delay_s = 0;
    bool resigned = false, owns_vips = false;
    std::vector<std::string> virtual_addresses;
    std::string source_address, mac;
    std::vector<std::string> unicast_peers;
    std::string authentication; // PASS, none
    std::optional<std::string> sync_group;
    vrrp::instance_counters counters;
    std::uint64_t adverts_accepted_by_workers = 0;
    std::uint64_t rejected_total = 0;
    named_counters rejected; // by the workers, per reason
    struct rejection {
        std::string reason, source;
    };
    std::optional<rejection> last_rejected;
    struct transition {
        double ago_s = 0;
        std::string from, to, reason;
    };
    std::vector<transition> transitions; // oldest first
};

json to_json(const named_counters& c); // an object, in order
json to_json(const std::vector<port_stats_row>& rows);
json to_json(const std::vector<lcore_row>& rows);
json to_json(const stats_report& s);
json to_json(const std::vector<virtual_server_row>& rows);
json to_json(const vrrp_instance_row& r);
json to_json(const std::vector<vrrp_instance_row>& rows);

} // namespace vipgate::control
