#pragma once
// One VRRP instance: the RFC 5798 §6 / RFC 3768 §6 state machine with
// keepalived 2.2.7's behaviour where it differs or adds to the RFC.
//
// Pure: no I/O, no clock. Every input takes `now`; outputs are actions
// appended to a caller-provided vector (control path: allocation is fine).
// The caller arms one timer at next_deadline() and calls on_timer() when it
// passes; calling on_timer() early or late is harmless.
//
// Threads: control core only. Nothing here is shared with workers.

#include "common/result.hpp"
#include "net/types.hpp"
#include "vrrp/advert.hpp"
#include "vrrp/config.hpp"
#include "vrrp/timers.hpp"
#include "vrrp/units.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vipgate::vrrp {

// RFC 5798 §6.4 states plus keepalived's FAULT. After shutdown() the
// instance is back in init (keepalived's STOP).
enum class instance_state : std::uint8_t { init, backup, master, fault };
std::string_view state_name(instance_state s) noexcept;

// --- Actions --------------------------------------------------------------
// Send one advert with this priority (0 = resign); build it with
// instance::make_advert(). Multicast, or one copy per unicast peer.
struct send_advert {
    std::uint8_t priority = 0;
    friend bool operator==(const send_advert&, const send_advert&) = default;
};
// A burst of `count` gratuitous ARPs for every VIP.
struct send_garps {
    std::uint32_t count = 0;
    friend bool operator==(const send_garps&, const send_garps&) = default;
};
// Own the VIPs: answer ARP for them, accept and forward their traffic.
struct take_vips {
    friend bool operator==(const take_vips&, const take_vips&) = default;
};
// Stop owning the VIPs.
struct release_vips {
    friend bool operator==(const release_vips&, const release_vips&) = default;
};
// A state change, for logs, notify scripts and the console.
struct notify {
    instance_state from = instance_state::init;
    instance_state to = instance_state::init;
    std::string reason;
    friend bool operator==(const notify&, const notify&) = default;
};
// Something worth a log line that is not a state change (keepalived's
// wording where it has one), e.g. a discarded lower priority advert.
struct log_message {
    std::string text;
    friend bool operator==(const log_message&, const log_message&) = default;
};
using action = std::variant<send_advert, send_garps, take_vips, release_vips, notify, log_message>;

struct instance_counters {
    std::uint64_t adverts_sent = 0;
    std::uint64_t adverts_received = 0;         // handed to on_advert in backup/master
    std::uint64_t adverts_ignored = 0;          // in init/fault, or wrong VRID/version
    std::uint64_t lower_priority_discarded = 0; // backup, preempting (keepalived "discarding")
    std::uint64_t priority_zero_sent = 0;
    std::uint64_t priority_zero_received = 0;
    std::uint64_t became_master = 0;
    std::uint64_t released_master = 0;
    std::uint64_t forced_elections = 0; // master heard a lower priority advert
    std::uint64_t garp_bursts = 0;
    std::uint64_t interval_adopted = 0; // v3: Master_Adver_Interval changed by an advert
    friend bool operator==(const instance_counters&, const instance_counters&) = default;
};

struct transition_record {
    time_point at;
    instance_state from = instance_state::init;
    instance_state to = instance_state::init;
    std::string reason;
};

class sync_group;

class instance {
  public:
    static constexpr std::size_t history_capacity = 32;

    // Normalizes `cfg` (see normalize()) and builds the instance in init.
    static result<instance> make(instance_config cfg, std::vector<std::string>* warnings = nullptr);

    // --- Inputs -----------------------------------------------------------
    // Init -> Master at once for an address owner (priority 255, RFC 5798
    // §6.4.1), else Backup with the Master_Down timer; Fault if the port is down.
    void start(time_point now, std::vector<action>& out);
    // An advert that passed decode() and check_advert() for this instance.
    void on_advert(time_point now, net::ipv4_addr src, const advert& adv, std::vector<action>& out);
    // Runs every timer that is due at `now`.
    void on_timer(time_point now, std::vector<action>& out);
    // Operator priority change, 1..254; an owner's 255 never changes
    // (keepalived vrrp_set_effective_priority). A Backup's down timer moves by
    // the change of Skew_Time; a Master advertises it at the next advert.
    result<void> set_priority(time_point now, std::uint8_t priority, std::vector<action>& out);
    // (set_priority sets the base; the effective one adds the track delta.)
    // Tracking (track_script weights, keepalived's total_priority): the
    // effective priority becomes base + delta clamped to 1..254; an address
    // owner's 255 is left alone. Same timer rules as set_priority().
    void set_track_delta(time_point now, int delta, std::vector<action>& out);
    int track_delta() const { return track_delta_; }
    // Master only: send priority 0, release the VIPs, go Backup, and stop
    // preempting until resume() (so the new master keeps the VIPs). A resigned
    // Backup still takes over when the new master goes silent. In a sync
    // group, call sync_group::resign() instead: it resigns every member.
    result<void> resign(time_point now, std::vector<action>& out);
    void resume(time_point now, std::vector<action>& out);
    // keepalived stop: a Master sends priority 0 and releases the VIPs; -> init.
    void shutdown(time_point now, std::vector<action>& out);
    // Port link state. Down -> Fault (a Master first sends priority 0 and
    // releases the VIPs, vrrp.c:1740,1802); up -> Backup, or Master at once
    // for an address owner.
    void port_up(time_point now, std::vector<action>& out);
    void port_down(time_point now, std::vector<action>& out);
    // Flow-state sync (docs/ha.md): while held, a Backup with the higher
    // priority does not preempt a live Master (its flow table is not complete
    // yet); it still takes over when the Master goes silent or resigns.
    void hold_preemption(bool hold) { preempt_hold_ = hold; }
    bool preemption_held() const { return preempt_hold_; }
    // Fault from another source (tracking, operator); same effect as a port.
    void set_fault(time_point now, bool faulty, std::string_view reason, std::vector<action>& out);

    // --- For the caller ---------------------------------------------------
    // The advert to send for a send_advert action.
    advert make_advert(std::uint8_t priority) const;
    std::optional<time_point> next_deadline() const;

    // --- Observable state -------------------------------------------------
    instance_state state() const { return state_; }
    const instance_config& config() const { return cfg_; }
    std::uint8_t effective_priority() const { return effective_priority_; }
    std::uint8_t base_priority() const { return base_priority_; }
    microseconds advert_interval() const { return cfg_.advert_int; }
    // RFC 5798 §6.1: the Backup's view of the Master's interval (v2: own).
    microseconds master_adver_interval() const { return master_adver_int_; }
    microseconds skew_time() const;
    microseconds master_down_interval() const;
    // Master's address and priority as last heard (own address when Master).
    std::optional<net::ipv4_addr> master_address() const { return master_address_; }
    std::uint8_t master_priority() const { return master_priority_; }
    // Backup: time left before the Master is declared down.
    std::optional<microseconds> time_to_master_down(time_point now) const;
    bool resigned() const { return resigned_; }
    // In a sync group: the down timer expired but the group is not ready.
    bool wants_master() const { return wants_master_; }
    bool port_is_up() const { return port_up_; }
    const instance_counters& counters() const { return counters_; }
    // The last history_capacity transitions, oldest first.
    const std::deque<transition_record>& history() const { return history_; }

  private:
    friend class sync_group;

    // Why a Backup's timer will fire, for the reason text.
    enum class down_cause : std::uint8_t { startup, no_advert, priority_zero, preempt };

    explicit instance(instance_config cfg);

    bool faulty() const { return !port_up_ || admin_fault_ || group_fault_; }
    bool own_fault() const { return !port_up_ || admin_fault_; }
    bool preempting() const { return cfg_.preempt && !resigned_ && !preempt_hold_; }
    // Appends a transition from `from` to the current state_ (already set).
    void record(time_point now, instance_state from, std::string reason, std::vector<action>& out);
    void send(time_point now, std::uint8_t priority, std::vector<action>& out);
    void garps(std::uint32_t count, std::vector<action>& out);
    void cancel_master_timers();
    void update_effective(time_point now, std::vector<action>& out);
    void enter_backup(time_point now, std::string reason, std::vector<action>& out);
    void become_master(time_point now, std::string reason, std::vector<action>& out);
    void leave_master(time_point now, instance_state to, std::string reason, bool send_zero,
                      std::vector<action>& out);
    void leave_fault(time_point now, std::string reason, std::vector<action>& out);
    void update_fault(time_point now, std::string_view reason, std::vector<action>& out);
    void backup_rx(time_point now, net::ipv4_addr src, const advert& adv, std::vector<action>& out);
    void master_rx(time_point now, net::ipv4_addr src, const advert& adv, std::vector<action>& out);
    std::string down_reason() const;
    // Longest a Backup peer may take to declare us down after a resign
    // that it missed: 3 * Master_Adver_Interval + Skew_Time < 4 intervals
    // (RFC 5798 §6.1).
    microseconds resign_grace() const { return 4 * master_adver_int_; }
    // `grace`: the down timer first allows the peer resign_grace() to take
    // over, then runs from the peer's adverts as usual (sync group members).
    void resign_as(time_point now, std::string reason, bool grace, std::vector<action>& out);

    // Used by sync_group.
    void set_sync_hold(bool hold) { sync_hold_ = hold; }
    // A member already Backup when its group resigns: just stop preempting.
    void hold_resigned() { resigned_ = true; }
    void group_resign(time_point now, std::string reason, std::vector<action>& out) {
        resign_as(now, std::move(reason), true, out);
    }
    void force_master(time_point now, std::string reason, std::vector<action>& out);
    void force_backup(time_point now, std::string reason, std::vector<action>& out);
    void set_group_fault(time_point now, bool faulty, std::string_view reason,
                         std::vector<action>& out);

    instance_config cfg_;
    address_list vips_;
    bool owner_starts_master_ = false;

    instance_state state_ = instance_state::init;
    std::uint8_t base_priority_ = 100;
    std::uint8_t effective_priority_ = 100;
    microseconds master_adver_int_{};
    // Master: the Adver_Timer; Backup: the Master_Down_Timer (RFC 5798 §6.2).
    std::optional<time_point> timer_;
    down_cause down_cause_ = down_cause::startup;
    // keepalived's preempt_time: until then a lower priority advert still resets
    // the down timer (preempt_delay).
    std::optional<time_point> preempt_at_;
    std::optional<time_point> garp_delay_at_;      // second burst after becoming Master
    std::optional<time_point> garp_refresh_at_;    // periodic refresh
    std::optional<time_point> garp_lower_prio_at_; // second burst after a lower priority advert
    std::optional<net::ipv4_addr> master_address_;
    std::uint8_t master_priority_ = 0;

    bool port_up_ = true;
    bool admin_fault_ = false;
    int track_delta_ = 0;
    bool group_fault_ = false;
    bool resigned_ = false;
    bool preempt_hold_ = false;
    bool sync_hold_ = false;
    bool wants_master_ = false;

    instance_counters counters_;
    std::deque<transition_record> history_;
};

} // namespace vipgate::vrrp
