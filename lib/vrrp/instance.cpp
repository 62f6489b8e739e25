#include "vrrp/instance.hpp"

#include "vrrp/format.hpp"

#include <algorithm>
#include <utility>

namespace vipgate::vrrp {

using detail::format_duration;
using detail::format_ipv4;

std::string_view state_name(instance_state s) noexcept {
    switch (s) {
    case instance_state::init:
        return "init";
    case instance_state::backup:
        return "backup";
    case instance_state::master:
        return "master";
    case instance_state::fault:
        return "fault";
    }
    return "unknown";
}

namespace {

bool due(const std::optional<time_point>& t, time_point now) {
    return t && *t <= now;
}

} // namespace

result<instance> instance::make(instance_config cfg, std::vector<std::string>* warnings) {
    auto n = normalize(std::move(cfg), warnings);
    if (!n) {
        return n.err();
    }
    return instance{std::move(n).value()};
}

instance::instance(instance_config cfg) : cfg_(std::move(cfg)) {
    for (auto a : cfg_.virtual_addresses) {
        (void)vips_.push_back(a);
    }
    base_priority_ = effective_priority_ = *cfg_.priority;
    owner_starts_master_ = base_priority_ == 255 && cfg_.initial_state == state_hint::master;
    master_adver_int_ = cfg_.advert_int;
}

// --- Observables -------------------------------------------------------------

microseconds instance::skew_time() const {
    return vrrp::skew_time(cfg_.version, effective_priority_, master_adver_int_);
}

microseconds instance::master_down_interval() const {
    return vrrp::master_down_interval(cfg_.version, effective_priority_, master_adver_int_);
}

std::optional<microseconds> instance::time_to_master_down(time_point now) const {
    if (state_ != instance_state::backup || !timer_) {
        return std::nullopt;
    }
    return std::max(microseconds{0}, *timer_ - now);
}

std::optional<time_point> instance::next_deadline() const {
    std::optional<time_point> next = timer_;
    for (const auto& t : {garp_delay_at_, garp_refresh_at_, garp_lower_prio_at_}) {
        if (t && (!next || *t < *next)) {
            next = t;
        }
    }
    return next;
}

advert instance::make_advert(std::uint8_t priority) const {
    advert a;
    a.vrid = cfg_.vrid;
    a.priority = priority;
    a.addresses = vips_;
    if (cfg_.version == 2) {
        // normalize() guarantees whole seconds in 1..255.
        a.interval = *v2_advert_int::from_duration(cfg_.advert_int);
        if (cfg_.auth == auth_kind::pass) {
            a.auth_type = auth_type_pass;
            a.auth_data = pass_auth_data(cfg_.auth_pass);
        }
    } else {
        a.interval = *v3_advert_int::from_duration(cfg_.advert_int);
    }
    return a;
}

// --- Helpers -----------------------------------------------------------------

void instance::record(time_point now, instance_state from, std::string reason,
                      std::vector<action>& out) {
    const instance_state to = state_;
    history_.push_back(transition_record{now, from, to, reason});
    while (history_.size() > history_capacity) {
        history_.pop_front();
    }
    out.emplace_back(std::in_place_type<notify>, from, to, std::move(reason));
}

void instance::send(time_point now, std::uint8_t priority, std::vector<action>& out) {
    out.emplace_back(std::in_place_type<send_advert>, priority);
    ++counters_.adverts_sent;
    if (priority == 0) {
        ++counters_.priority_zero_sent;
    } else if (state_ == instance_state::master) {
        timer_ = now + cfg_.advert_int; // RFC 5798 §6.4.3: reset the Adver_Timer
    }
}

void instance::garps(std::uint32_t count, std::vector<action>& out) {
    if (count == 0) {
        return;
    }
    out.emplace_back(std::in_place_type<send_garps>, count);
    ++counters_.garp_bursts;
}

void instance::cancel_master_timers() {
    garp_delay_at_.reset();
    garp_refresh_at_.reset();
    garp_lower_prio_at_.reset();
}

std::string instance::down_reason() const {
    switch (down_cause_) {
    case down_cause::startup:
        return "no advert within Master_Down_Interval after start";
    case down_cause::priority_zero:
        return "master resigned (priority 0), Skew_Time expired";
    case down_cause::preempt:
        return "preempting lower priority master";
    case down_cause::no_advert:
        break;
    }
    return "no advert for Master_Down_Interval";
}

// Backup with a fresh Master_Down_Timer (RFC 5798 §6.4.1 / §6.4.3).
void instance::enter_backup(time_point now, std::string reason, std::vector<action>& out) {
    cancel_master_timers();
    preempt_at_.reset();
    down_cause_ = down_cause::startup;
    timer_ = now + master_down_interval();
    const instance_state from = std::exchange(state_, instance_state::backup);
    if (from != instance_state::backup) {
        record(now, from, std::move(reason), out);
    }
}

// RFC 5798 §6.4.2 "If the Master_Down_Timer fires" and §6.4.1 for an owner.
// keepalived order (vrrp_state_master_tx): advert first so the old master
// drops the VIPs, then add the VIPs, then GARPs now and again after
// garp_master_delay; refresh every garp_master_refresh.
void instance::become_master(time_point now, std::string reason, std::vector<action>& out) {
    wants_master_ = false;
    const instance_state from = std::exchange(state_, instance_state::master);
    send(now, effective_priority_, out);
    out.emplace_back(std::in_place_type<take_vips>);
    garps(cfg_.garp_master_repeat, out);
    cancel_master_timers();
    if (cfg_.garp_master_repeat > 0 && cfg_.garp_master_delay > microseconds{0}) {
        garp_delay_at_ = now + cfg_.garp_master_delay;
    }
    if (cfg_.garp_master_refresh > microseconds{0}) {
        garp_refresh_at_ = now + cfg_.garp_master_refresh;
    }
    preempt_at_.reset();
    master_address_ = cfg_.primary_address;
    master_priority_ = effective_priority_;
    ++counters_.became_master;
    record(now, from, std::move(reason), out);
}

void instance::leave_master(time_point now, instance_state to, std::string reason, bool send_zero,
                            std::vector<action>& out) {
    if (send_zero) {
        send(now, 0, out);
    }
    out.emplace_back(std::in_place_type<release_vips>);
    cancel_master_timers();
    ++counters_.released_master;
    if (to == instance_state::backup) {
        // vrrp_state_leave_master: down timer from the (possibly adopted)
        // Master_Adver_Interval; preempt_time cleared.
        preempt_at_.reset();
        down_cause_ = down_cause::no_advert;
        timer_ = now + master_down_interval();
    } else {
        timer_.reset();
    }
    state_ = to;
    record(now, instance_state::master, std::move(reason), out);
}

void instance::leave_fault(time_point now, std::string reason, std::vector<action>& out) {
    // try_up_instance / vrrp_state_leave_fault: Master_Adver_Interval is
    // reset to our own; an owner that starts as MASTER goes Master at once.
    master_adver_int_ = cfg_.advert_int;
    if (owner_starts_master_ && !sync_hold_) {
        become_master(now, std::move(reason), out);
        return;
    }
    enter_backup(now, std::move(reason), out);
    wants_master_ = owner_starts_master_; // held by a sync group
}

void instance::update_fault(time_point now, std::string_view reason, std::vector<action>& out) {
    if (state_ == instance_state::init) {
        return; // start() looks at the flags
    }
    if (faulty() && state_ != instance_state::fault) {
        wants_master_ = false;
        if (state_ == instance_state::master) {
            leave_master(now, instance_state::fault, std::string(reason), true, out);
        } else {
            timer_.reset();
            const instance_state from = std::exchange(state_, instance_state::fault);
            record(now, from, std::string(reason), out);
        }
    } else if (!faulty() && state_ == instance_state::fault) {
        leave_fault(now, std::string(reason), out);
    }
}

// --- Inputs ------------------------------------------------------------------

void instance::start(time_point now, std::vector<action>& out) {
    if (state_ != instance_state::init) {
        return;
    }
    master_adver_int_ = cfg_.advert_int;
    master_address_.reset();
    master_priority_ = 0;
    if (faulty()) {
        timer_.reset();
        state_ = instance_state::fault;
        record(now, instance_state::init, !port_up_ ? "port down at start" : "fault at start", out);
        return;
    }
    if (owner_starts_master_ && !sync_hold_) {
        // RFC 5798 §6.4.1: the address owner becomes Master at once.
        become_master(now, "priority 255 (address owner) at start", out);
        return;
    }
    enter_backup(now, "start", out);
    wants_master_ = owner_starts_master_; // an owner held by its sync group
}

void instance::on_advert(time_point now, net::ipv4_addr src, const advert& adv,
                         std::vector<action>& out) {
    // keepalived ignores adverts in FAULT and INIT (vrrp_dispatcher_read).
    if (state_ != instance_state::backup && state_ != instance_state::master) {
        ++counters_.adverts_ignored;
        return;
    }
    if (adv.vrid != cfg_.vrid || adv.version() != cfg_.version) {
        ++counters_.adverts_ignored;
        out.emplace_back(std::in_place_type<log_message>,
                         "(" + cfg_.name + ") ignoring advert for VRID " +
                             std::to_string(adv.vrid) + " version " +
                             std::to_string(adv.version()) + " from " + format_ipv4(src));
        return;
    }
    ++counters_.adverts_received;
    if (adv.priority == 0) {
        ++counters_.priority_zero_received;
    }
    if (state_ == instance_state::backup) {
        backup_rx(now, src, adv, out);
    } else {
        master_rx(now, src, adv, out);
    }
}

// RFC 5798 §6.4.2 "If an ADVERTISEMENT is received"; keepalived
// vrrp_state_backup() (vrrp.c:1929-2000).
void instance::backup_rx(time_point now, net::ipv4_addr src, const advert& adv,
                         std::vector<action>& out) {
    if (adv.priority == 0) {
        // Set the Master_Down_Timer to Skew_Time.
        timer_ = now + skew_time();
        down_cause_ = down_cause::priority_zero;
        return;
    }
    const bool delaying =
        cfg_.preempt_delay > microseconds{0} && (!preempt_at_ || *preempt_at_ > now);
    if (!preempting() || adv.priority >= effective_priority_ || delaying) {
        if (cfg_.version == 3) {
            // RFC 5798 §6.4.2: Master_Adver_Interval := the advert's interval.
            const microseconds heard = adv.interval_duration();
            if (heard != master_adver_int_) {
                out.emplace_back(std::in_place_type<log_message>,
                                 "(" + cfg_.name + ") advertisement interval updated from " +
                                     format_duration(master_adver_int_) + " to " +
                                     format_duration(heard) + " by master");
                master_adver_int_ = heard;
                ++counters_.interval_adopted;
            }
        }
        timer_ = now + master_down_interval();
        down_cause_ = down_cause::no_advert;
        master_address_ = src;
        master_priority_ = adv.priority;
        if (cfg_.preempt_delay > microseconds{0}) {
            if (adv.priority >= effective_priority_) {
                preempt_at_.reset();
            } else if (!preempt_at_) {
                preempt_at_ = now + cfg_.preempt_delay;
            }
        }
        wants_master_ = false;
        return;
    }
    // Preempting: discard, leaving the down timer to run out (keepalived
    // records the sender as master anyway).
    ++counters_.lower_priority_discarded;
    down_cause_ = down_cause::preempt;
    master_address_ = src;
    master_priority_ = adv.priority;
    out.emplace_back(std::in_place_type<log_message>,
                     "(" + cfg_.name + ") received lower priority (" +
                         std::to_string(adv.priority) + ") advert from " + format_ipv4(src) +
                         " - discarding");
}

// RFC 5798 §6.4.3 "If an ADVERTISEMENT is received"; keepalived
// vrrp_state_master_rx() (vrrp.c:2080-2180).
void instance::master_rx(time_point now, net::ipv4_addr src, const advert& adv,
                         std::vector<action>& out) {
    const net::ipv4_addr self = cfg_.primary_address;
    auto higher = [&] {
        return adv.priority > effective_priority_ ||
               (adv.priority == effective_priority_ && src > self);
    };
    if (adv.priority == 0 || (cfg_.higher_prio_send_advert && higher())) {
        // Priority 0: send an advert and reset the Adver_Timer at once.
        send(now, effective_priority_, out);
        if (adv.priority == 0) {
            return;
        }
    }
    if (adv.priority == effective_priority_) {
        if (src == self) {
            out.emplace_back(std::in_place_type<log_message>,
                             "(" + cfg_.name +
                                 ") WARNING - equal priority advert received from remote "
                                 "host with our IP address.");
        } else if (effective_priority_ == 255) {
            // Two address owners: keepalived drops itself to 254 (vrrp.c:2117-2128).
            out.emplace_back(std::in_place_type<log_message>,
                             "(" + cfg_.name +
                                 ") CONFIGURATION ERROR: local instance and a remote instance are "
                                 "both configured "
                                 "as address owner, please fix - reducing local priority");
            effective_priority_ = base_priority_ = 254;
        }
    }
    const bool lower =
        adv.priority < effective_priority_ || (adv.priority == effective_priority_ && src < self);
    if (lower) {
        // Not in the RFC: keepalived re-advertises and re-sends GARPs so a
        // split brain heals and stale ARP caches are fixed.
        ++counters_.forced_elections;
        out.emplace_back(std::in_place_type<log_message>,
                         "(" + cfg_.name + ") Received advert from " + format_ipv4(src) +
                             " with lower priority " + std::to_string(adv.priority) + ", ours " +
                             std::to_string(effective_priority_) +
                             (cfg_.lower_prio_no_advert ? "" : ", forcing new election"));
        if (!cfg_.lower_prio_no_advert) {
            send(now, effective_priority_, out);
        }
        const std::uint32_t rep = *cfg_.garp_lower_prio_repeat;
        if (rep > 0) {
            garps(rep, out);
            // keepalived queues one timer per advert; one pending burst is kept here.
            if (*cfg_.garp_lower_prio_delay > microseconds{0} && !garp_lower_prio_at_) {
                garp_lower_prio_at_ = now + *cfg_.garp_lower_prio_delay;
            }
        }
        return;
    }
    if (higher()) {
        std::string reason = adv.priority > effective_priority_
                                 ? "higher priority " + std::to_string(adv.priority) +
                                       " advert from " + format_ipv4(src) + ", ours " +
                                       std::to_string(effective_priority_)
                                 : "same priority " + std::to_string(adv.priority) +
                                       " advert from higher address " + format_ipv4(src);
        if (cfg_.version == 3) {
            master_adver_int_ = adv.interval_duration();
        }
        master_address_ = src;
        master_priority_ = adv.priority;
        leave_master(now, instance_state::backup, std::move(reason), false, out);
    }
    // Equal priority from our own address: stay Master (logged above).
}

void instance::on_timer(time_point now, std::vector<action>& out) {
    if (state_ == instance_state::backup && due(timer_, now)) {
        if (sync_hold_) {
            // vrrp_sync_can_goto_master: wait for the rest of the group.
            wants_master_ = true;
            timer_ = now + master_down_interval();
            return;
        }
        become_master(now, down_reason(), out);
        return;
    }
    if (state_ != instance_state::master) {
        return;
    }
    if (due(timer_, now)) {
        send(now, effective_priority_, out); // RFC 5798 §6.4.3 Adver_Timer fires
    }
    if (due(garp_delay_at_, now)) {
        garp_delay_at_.reset();
        garps(cfg_.garp_master_repeat, out);
    }
    if (due(garp_lower_prio_at_, now)) {
        garp_lower_prio_at_.reset();
        garps(*cfg_.garp_lower_prio_repeat, out);
    }
    if (due(garp_refresh_at_, now)) {
        garps(cfg_.garp_master_refresh_repeat, out);
        garp_refresh_at_ = now + cfg_.garp_master_refresh;
    }
}

result<void> instance::set_priority(time_point now, std::uint8_t priority,
                                    std::vector<action>& out) {
    if (priority == 0 || priority == 255) {
        return make_error("priority must be 1..254");
    }
    if (base_priority_ == 255) {
        return make_error("(" + cfg_.name + ") address owner priority 255 cannot be changed");
    }
    base_priority_ = priority;
    update_effective(now, out);
    return {};
}

void instance::set_track_delta(time_point now, int delta, std::vector<action>& out) {
    track_delta_ = delta;
    update_effective(now, out);
}

// keepalived vrrp_set_effective_priority(): base + the tracking total,
// clamped to 1..254; an address owner's 255 never changes.
void instance::update_effective(time_point now, std::vector<action>& out) {
    (void)now;
    if (base_priority_ == 255) {
        return;
    }
    const auto priority =
        static_cast<std::uint8_t>(std::clamp(int{base_priority_} + track_delta_, 1, 254));
    if (priority == effective_priority_) {
        return;
    }
    const microseconds old_down = master_down_interval();
    out.emplace_back(std::in_place_type<log_message>,
                     "(" + cfg_.name + ") Changing effective priority from " +
                         std::to_string(effective_priority_) + " to " + std::to_string(priority));
    effective_priority_ = priority;
    if (state_ == instance_state::backup && timer_) {
        *timer_ += master_down_interval() - old_down;
    }
    if (state_ == instance_state::master) {
        master_priority_ = priority;
    }
}

result<void> instance::resign(time_point now, std::vector<action>& out) {
    if (state_ != instance_state::master) {
        return make_error("(" + cfg_.name + ") is " + std::string(state_name(state_)) +
                          ", not master");
    }
    resign_as(now, "resigned by operator", false, out);
    return {};
}

void instance::resign_as(time_point now, std::string reason, bool grace, std::vector<action>& out) {
    resigned_ = true;
    wants_master_ = false;
    leave_master(now, instance_state::backup, std::move(reason), true, out);
    if (grace) {
        // The peer's group goes master only when all its members' timers
        // fired (a lost priority 0 leaves one on its full Master_Down_Interval):
        // measure our down timer from when the peer must have become master,
        // not from the resign, so we do not take the VIPs back first.
        timer_ = now + resign_grace() + master_down_interval();
    }
}

void instance::resume(time_point now, std::vector<action>& out) {
    (void)now;
    if (!resigned_) {
        return;
    }
    resigned_ = false;
    out.emplace_back(std::in_place_type<log_message>,
                     "(" + cfg_.name + ") resumed: preempting again");
}

void instance::shutdown(time_point now, std::vector<action>& out) {
    wants_master_ = false;
    if (state_ == instance_state::master) {
        leave_master(now, instance_state::init, "shutdown", true, out);
    } else if (state_ != instance_state::init) {
        const instance_state from = std::exchange(state_, instance_state::init);
        record(now, from, "shutdown", out);
    }
    timer_.reset();
    preempt_at_.reset();
    cancel_master_timers();
}

void instance::port_up(time_point now, std::vector<action>& out) {
    port_up_ = true;
    update_fault(now, "port up", out);
}

void instance::port_down(time_point now, std::vector<action>& out) {
    port_up_ = false;
    update_fault(now, "port down", out);
}

void instance::set_fault(time_point now, bool is_faulty, std::string_view reason,
                         std::vector<action>& out) {
    admin_fault_ = is_faulty;
    update_fault(now, reason, out);
}

// --- Sync group hooks ----------------------------------------------------------

void instance::force_master(time_point now, std::string reason, std::vector<action>& out) {
    if (state_ == instance_state::backup) {
        become_master(now, std::move(reason), out);
    }
}

void instance::force_backup(time_point now, std::string reason, std::vector<action>& out) {
    if (state_ == instance_state::master) {
        leave_master(now, instance_state::backup, std::move(reason), false, out);
    }
}

void instance::set_group_fault(time_point now, bool is_faulty, std::string_view reason,
                               std::vector<action>& out) {
    group_fault_ = is_faulty;
    update_fault(now, reason, out);
}

} // namespace vipgate::vrrp
