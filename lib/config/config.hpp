#pragma once
// vipgate's configuration model: what the YAML loader produces and what the
// rest of the program consumes. Pure: no DPDK.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "lb/quorum.hpp"
#include "lb/service_table.hpp"
#include "lb/tcp_state.hpp"
#include "net/types.hpp"
#include "sync/codec.hpp"
#include "sync/session.hpp"
#include "vrrp/config.hpp"

namespace vipgate::config {

// Where a value came from, for error messages on later checks.
struct source_location {
    std::string file;
    int line = 0;                  // 1-based; 0 = unknown
    int column = 0;                // 1-based; 0 = unknown
    std::string to_string() const; // "file:line:column"
};

struct port_config {
    std::string name;    // operator's name, e.g. "ext0"; unique
    std::string device;  // a DPDK vdev string ("net_af_packet0,iface=veth0") or a PCI address
    bool is_pci = false; // true when `device` parses as a PCI address (DDDD:BB:DD.F or BB:DD.F)
    net::ipv4_prefix address; // the port's primary address with its prefix
    // Next hop for destinations outside every port's subnet (e.g. clients
    // behind a router); unset: such destinations are unreachable from here.
    std::optional<net::ipv4_addr> gateway;
    source_location where;
};

struct dataplane_config {
    // Number of worker lcores; 0 = every lcore but the main one.
    unsigned workers = 0;
    std::uint32_t mbufs = 16383;               // mbufs per pool (one pool per socket)
    std::uint32_t mbuf_cache = 256;            // per-lcore mempool cache
    std::uint16_t rx_descriptors = 1024;       // per RX queue
    std::uint16_t tx_descriptors = 1024;       // per TX queue
    std::uint16_t burst = 32;                  // rx/tx burst size
    std::uint32_t punt_ring_size = 1024;       // worker -> control ring, power of two
    std::uint32_t control_tx_ring_size = 1024; // control -> worker TX ring, power of two
    std::uint32_t handoff_ring_size = 2048;    // worker -> owner worker ring, power of two
    // Idle behaviour: busy-poll (false, the default) or sleep `idle_sleep_us`
    // after `idle_polls` consecutive empty polls.
    bool idle_sleep = false;
    std::uint32_t idle_sleep_us = 100;
    std::uint32_t idle_polls = 64;
    // Slow-path protection: frames each worker may punt to the control core
    // per second, by kind (token bucket; the excess is dropped as
    // punt_rate_limited). 0 = no limit.
    std::uint32_t punt_rate_arp = 10000;
    std::uint32_t punt_rate_vrrp = 2000;
    std::uint32_t punt_rate_probe = 10000;
    // Flow-state sync datagrams (sync: section). A peer's datagrams share a
    // UDP 5-tuple, so RSS puts them all on one worker: this one bucket must
    // carry a whole bulk resync, 1,000,000 records/s at 50 records a
    // datagram (1500-byte MTU) = 20,000/s, plus ACKs and retransmissions.
    std::uint32_t punt_rate_sync = 50000;
    // SCHED_FIFO priority (1..99) of the control core's thread, so adverts
    // and GARPs leave on time on a busy machine (keepalived's
    // vrrp_rt_priority); 0 = normal scheduling.
    std::uint32_t control_rt_priority = 0;
    friend bool operator==(const dataplane_config&, const dataplane_config&) = default;
};

// A configured neighbour: never expires, never replaced by ARP.
struct static_neighbour {
    net::ipv4_addr address;
    net::mac_addr mac;
    std::string port; // port name
    source_location where;
};

struct neighbour_config {
    std::vector<static_neighbour> static_entries; // YAML: neighbours.static
    std::uint32_t max_entries = 4096;
    std::uint32_t reachable_time_s = 300;   // an entry learnt from ARP lives this long
    std::uint32_t retry_interval_ms = 1000; // between ARP requests while resolving
    std::uint32_t retries = 3;              // requests before a resolution fails
};

// keepalived's vrrp_script block (man keepalived.conf, "VRRP script(s)"):
// run by control::script_manager through exec::script_tracker.
struct vrrp_script_config {
    std::string name;
    // The command split into words (keepalived splits `script` the same way);
    // argv[0] is the script, an absolute path or a name looked up in PATH.
    std::vector<std::string> argv;
    std::chrono::milliseconds interval{1000};         // keepalived default 1 s
    std::optional<std::chrono::milliseconds> timeout; // unset: the interval
    int weight = 0;                                   // -253..253; 0: FAULT while failing
    bool weight_reverse = false;                      // `weight N reverse`
    std::uint32_t rise = 1;                           // successes before OK
    std::uint32_t fall = 1;                           // failures before KO
    std::string user;                                 // "" = global_defs script_user
    std::string group;                                // "" = the user's group
    bool init_fail = false;                           // starts KO
    source_location where;
};

// One `track_script` line of a vrrp_instance or vrrp_sync_group: a
// vrrp_script by name, optionally with its own `weight N [reverse]`.
struct track_script_ref {
    std::string script;
    std::optional<int> weight;
    std::optional<bool> reverse;
    source_location where;
};

// One `track_interface` line of a vrrp_instance or vrrp_sync_group
// (keepalived.conf(5); vrrp_track.c alloc_track_if): a port by its name in
// `ports`, optionally `weight N [reverse]`. Weight 0 (the default): FAULT
// while the port's link is down (while up with reverse); otherwise the
// priority moves by the weight (exec::effect_of, the same rule as
// track_script). keepalived turns +-254 into +-253, so does the loader.
struct track_interface_ref {
    std::string port;
    int weight = 0; // -253..253
    bool reverse = false;
    source_location where;
};

// keepalived's track_file / vrrp_track_file block (keepalived.conf(5),
// "track_file"; 2.2.7 trackers/track_file.c): a file holding a number,
// tracked by the instances and sync groups that name it (track_file_ref).
// Only in keepalived.conf; the YAML names the path in each track_file item.
struct track_file_config {
    std::string name;
    std::string path;
    int weight = 1; // -254..254; keepalived's default 1
    bool weight_reverse = false;
    // init_file [VALUE] [overwrite]: written at start when the file is
    // missing (always with overwrite, never on a reload).
    std::optional<std::int64_t> init_value;
    bool init_overwrite = false;
    source_location where;
};

// One `track_file` line of a vrrp_instance or vrrp_sync_group, resolved by
// the loader: the file's path, the line's weight/reverse or else the
// block's (YAML: weight 1, no reverse by default). Weight 0: FAULT while
// the value is non-zero (zero with reverse); otherwise the priority moves
// by value * weight (exec::file_effect).
struct track_file_ref {
    static constexpr int unset = 1000; // while the keepalived.conf importer reads
    std::string name;                  // the track_file block (keepalived.conf), else the path
    std::string path;
    int weight = 1; // -254..254
    bool reverse = false;
    bool reverse_set = false; // the line said reverse/noreverse (importer only)
    source_location where;
};

// One notify command: keepalived's `notify_master "/path arg" [USER [GROUP]]`,
// the quoted script split into words.
struct script_command {
    std::vector<std::string> argv; // empty: none configured
    std::string user;              // "" = global_defs script_user
    std::string group;
    bool empty() const { return argv.empty(); }
    friend bool operator==(const script_command&, const script_command&) = default;
};

// notify_* of a vrrp_instance or vrrp_sync_group. keepalived passes
// notify_master/backup/fault/stop their configured words only and `notify`
// four more ("INSTANCE"|"GROUP", the name, the state, the priority).
struct notify_config {
    script_command master;
    script_command backup;
    script_command fault;
    script_command stop;
    script_command any; // keepalived's `notify`
    script_command master_rx_lower_pri;
    bool empty() const {
        return master.empty() && backup.empty() && fault.empty() && stop.empty() && any.empty() &&
               master_rx_lower_pri.empty();
    }
    friend bool operator==(const notify_config&, const notify_config&) = default;
};

// global_defs settings of the scripts.
struct script_globals {
    std::string script_user;  // "" = keepalived_script if it exists, else root
    std::string script_group; // "" = the user's group
    bool enable_script_security = false;
    // keepalived's rs_init_notifies: a real server that starts up (at start,
    // or added by a reload) runs its notify_up.
    bool rs_init_notifies = false;
    std::string notify_fifo;      // every notify line (keepalived notify_fifo)
    std::string vrrp_notify_fifo; // VRRP notify lines only
    friend bool operator==(const script_globals&, const script_globals&) = default;
};

// A VRRP instance on one of the ports (keepalived's vrrp_instance).
struct vrrp_instance_config {
    std::string port;           // a port name from `ports` (keepalived: `interface`)
    vrrp::instance_config vrrp; // name, vrid, priority, ... (not yet normalized)
    std::vector<track_script_ref> track_scripts;
    std::vector<track_interface_ref> track_interfaces;
    std::vector<track_file_ref> track_files;
    notify_config notify;
    source_location where;
};

// keepalived's vrrp_sync_group: members change state together.
struct vrrp_sync_group_config {
    std::string name;
    std::vector<std::string> members; // vrrp instance names
    // The group's track_* lines are tracked by every member with the
    // group's weights (sync_track_weight()).
    std::vector<track_script_ref> track_scripts;
    std::vector<track_interface_ref> track_interfaces;
    std::vector<track_file_ref> track_files;
    // keepalived's sync_group_tracking_weight (or the deprecated
    // global_tracking): the members' own weighted track_* lines keep their
    // weights (sync_track_weight()).
    bool tracking_weight = false;
    notify_config notify;
    source_location where;
};

inline constexpr std::size_t max_vrrp_instances = 64;

// Flow tables (one per worker) and their timeouts.
struct load_balancing_config {
    std::uint32_t flows_per_worker = 1u << 20;      // flow table capacity per worker
    std::uint32_t persistence_templates = 1u << 16; // per worker
    lb::timeouts timeouts;                          // IPVS defaults
    // Create flows from mid-connection TCP segments (IPVS sloppy_tcp): lets a
    // new master carry established connections after a failover.
    bool sloppy_tcp = false;
    // Expiry work per worker and millisecond (flows examined); expired
    // flows found by a lookup are removed at once anyway.
    std::uint32_t expire_budget = 128;
    friend bool operator==(const load_balancing_config&, const load_balancing_config&) = default;
};

// keepalived's TCP_CHECK: a TCP connect (SYN) to the real server.
struct tcp_check_config {
    std::chrono::milliseconds connect_timeout{5000};    // keepalived default 5 s
    std::uint32_t retry = 1;                            // keepalived: `retry` (nb_get_retry)
    std::chrono::milliseconds delay_before_retry{1000}; // keepalived default 1 s
    std::optional<net::ipv4_addr> connect_ip;           // default: the real server's address
    std::optional<std::uint16_t> connect_port;          // default: the real server's port
    // Interval between checks, resolved by the loader: the checker's own
    // delay_loop, else the real server's, else the virtual server's.
    std::chrono::milliseconds delay_loop{60000};
};

// keepalived's MISC_CHECK (man keepalived.conf, MISC_CHECK; check_misc.c):
// a script whose exit status is the verdict. Several per real server; a
// real server is up only while every one of its checkers is up.
struct misc_check_config {
    std::vector<std::string> argv;                      // misc_path, split into words
    std::optional<std::chrono::milliseconds> timeout;   // misc_timeout; unset: delay_loop
    bool dynamic = false;                               // misc_dynamic: exit 2..255 sets weight
    std::string user;                                   // "" = global_defs script_user
    std::string group;                                  // "" = the user's group
    std::uint32_t retry = 0;                            // MISC_CHECK's default is 0
    std::chrono::milliseconds delay_before_retry{1000}; // keepalived default 1 s
    std::chrono::milliseconds delay_loop{60000};        // resolved as for TCP_CHECK
    // First run after a random delay up to this (keepalived's warmup); unset:
    // vipgate's spread (at most a second).
    std::optional<std::chrono::milliseconds> warmup;
    source_location where;
};

// As the loader leaves it, keepalived's inheritance resolved (check_data.c):
// rs.port is never 0 (the service's port when none was written);
// inhibit_on_failure is the real server's own, else the virtual server's;
// every tcp_check_config duration and `retry` come from the checker, else
// the real server, else the virtual server, else keepalived's default.
struct real_server_entry {
    lb::real_server_config rs;             // address, port, weight
    bool inhibit_on_failure = false;       // on failure: weight 0 instead of removal
    std::optional<tcp_check_config> check; // none: always up
    std::vector<misc_check_config> misc_checks;
    // keepalived's notify_up / notify_down "CMD ARGS" [USER [GROUP]]: run
    // with their configured words only when the real server's health
    // changes (every checker up / one down; ipwrapper.c do_rs_notifies()).
    script_command notify_up;
    script_command notify_down;
    source_location where;
};

// keepalived's virtual_server (NAT only).
struct virtual_server_config {
    // vip, port, protocol, lb_algo, persistence; service.real_servers[i] is
    // real_servers[i].rs (the loader fills both).
    lb::service_config service;
    std::vector<real_server_entry> real_servers;
    std::chrono::milliseconds delay_loop{60000}; // keepalived default 60 s
    // keepalived's quorum / hysteresis (lib/lb/quorum.hpp) and the scripts
    // run when the quorum is gained / lost (configured words only).
    lb::quorum_rule quorum;
    script_command quorum_up;
    script_command quorum_down;
    std::string name; // "VIP:port/proto", for messages
    source_location where;
};

// Flow-state sync with the peer gateway (issue 11, docs/ha.md; keepalived's
// lvs_sync_daemon). Parsed and validated by lib/config; run by
// control::sync_manager. The retransmission and peer timers stay at lib/sync's
// session_config defaults.
struct sync_config {
    std::string port;                                // a port name: sync rides on this port, as UDP
    net::ipv4_addr group = sync::default_group;      // multicast group (unused with peers)
    std::vector<net::ipv4_addr> peers;               // unicast peers; empty: multicast to `group`
    std::uint16_t udp_port = sync::default_udp_port; // source and destination port
    std::uint32_t id = 0;                            // sync id, the header's 32-bit field
    std::string key_file;                            // as written ("" = no authentication)
    // Its bytes, read at load time (HMAC-SHA256 key). A secret: never log,
    // show or export it (show config / JSON print key_file only).
    std::vector<std::uint8_t> key;
    // The VRRP instance whose preemption waits for the bulk resync and whose
    // state `show sync` reports; "" = every VRRP instance on the node. Every
    // node sends the flows it forwards either way (docs/ha.md).
    std::string instance;
    std::chrono::milliseconds flush_interval = sync::session_config{}.flush_interval;
    std::uint32_t bulk_rate = sync::session_config{}.bulk_rate; // bulk records per second
    // Longest a starting node holds VRRP preemption while its bulk resync
    // has not completed (then it may preempt anyway, logged).
    std::chrono::milliseconds resync_timeout = std::chrono::seconds(30);
    source_location where;
};

struct config {
    std::string source_file; // the YAML file this came from ("<string>" for tests)
    std::vector<port_config> ports;
    dataplane_config dataplane;
    neighbour_config neighbours;
    std::vector<vrrp_instance_config> vrrp_instances; // at most max_vrrp_instances
    std::vector<vrrp_sync_group_config> vrrp_sync_groups;
    std::vector<vrrp_script_config> vrrp_scripts; // keepalived vrrp_script blocks
    std::vector<track_file_config> track_files;   // keepalived track_file blocks
    script_globals scripts;
    std::vector<virtual_server_config> virtual_servers;
    load_balancing_config load_balancing;
    // Absent: no flow-state sync, vipgate behaves exactly as without it.
    std::optional<sync_config> sync;
    // Problems that did not stop the load, one per entry, each as
    // "FILE:LINE:COLUMN: what": a value adjusted the way keepalived adjusts it
    // (advert_int rounding, auth_pass truncation), a keepalived.conf keyword
    // vipgate ignores. The loader and import_keepalived() fill it; the
    // program prints them.
    std::vector<std::string> warnings;
};

// Parse and validate. On failure the error message holds every problem found,
// one per line, each as "FILE:LINE:COLUMN: what was wrong; expected what".
// On success, config::warnings lists what was accepted with a remark.
result<config> load_file(const std::string& path);
result<config> load_string(const std::string& text, const std::string& filename = "<string>");

// The ports an instance tracks besides its own (keepalived 2.2.7
// vrrp_complete_instance() and sync_group_tracking_init()): its own
// track_interface lines without its own port (already tracked: FAULT) and
// without repeats (the first line counts), then those of its sync group
// (`group`, or null): a port the instance tracks already keeps the
// instance's line when that is unweighted, else takes the group's weight;
// when a member of the group is an address owner (priority 255) the
// group's lines are unweighted. One place for these rules: the loaders
// warn with `notes`, control::vrrp_manager tracks the result.
struct track_note {
    source_location where;
    std::string text;
    bool of_group = false; // about a line of the sync group (else the instance's)
};
std::vector<track_interface_ref> tracked_interfaces(const vrrp_instance_config& instance,
                                                    const vrrp_sync_group_config* group,
                                                    bool group_has_owner,
                                                    std::vector<track_note>* notes = nullptr);
// keepalived 2.2.7's one rule for the weights of tracked objects and sync
// groups (vrrp.c vrrp_complete_instance() and sync_group_tracking_init();
// keepalived.conf(5), vrrp_sync_group and track_file):
// * a line of the sync group is tracked by every member with the group's
//   weight; when a member is an address owner (priority 255) the weight
//   is cleared (weight 0: FAULT), for scripts, interfaces and files alike;
// * a member's own weighted line, when its group has no
//   sync_group_tracking_weight (or the instance is an address owner):
//   a script is not tracked; a file with weight 1 (its default) is tracked
//   with weight 0, with another weight not tracked; an interface keeps its
//   weight (keepalived logs "ignoring weight" but has registered the
//   weight already, vrrp.c adds the tracker before it clears it);
// * anything else keeps its weight.
// One place for the rule: the loaders warn with `note`, control tracks.
enum class track_kind { script, interface, file };
struct track_weight {
    bool tracked = true;
    int weight = 0;
    std::string note; // "" when nothing changed
};
struct track_context {
    bool of_group = false;        // the sync group's line (else the instance's)
    bool in_group = false;        // the instance is a sync group member
    bool tracking_weight = false; // its group has sync_group_tracking_weight
    bool owner = false;           // the instance is an address owner
    bool group_has_owner = false; // a member of its group is an address owner
};
track_weight sync_track_weight(track_kind kind, const track_context& c, int weight);
struct config;
// The sync group `instance` belongs to (nullptr: none), and the context of
// sync_track_weight() for a line of the instance (of_group false) or of its
// group (true).
const vrrp_sync_group_config* sync_group_of(const config& cfg, const std::string& instance);
track_context track_context_of(const config& cfg, const vrrp_instance_config& instance,
                               bool of_group);

// keepalived's address owner: priority 255 (written, or from state MASTER
// without a priority).
bool address_owner(const vrrp_instance_config& instance);

// Every key the loader accepts, as paths: "ports", "ports[].name",
// "dataplane.workers", ... Lets tests check that docs/config.md and
// conf/example.yaml cover the whole schema.
std::vector<std::string> schema_keys();

} // namespace vipgate::config
