#include "vrrp/sync_group.hpp"

#include <algorithm>
#include <utility>

namespace vipgate::vrrp {

result<sync_group> sync_group::make(std::string name, std::vector<instance*> members) {
    if (members.empty()) {
        return make_error("vrrp_sync_group " + name + ": no members");
    }
    for (std::size_t i = 0; i < members.size(); ++i) {
        if (!members[i]) {
            return make_error("vrrp_sync_group " + name + ": null member");
        }
        for (std::size_t j = i + 1; j < members.size(); ++j) {
            if (members[i] == members[j]) {
                return make_error("vrrp_sync_group " + name + ": instance " +
                                  members[i]->config().name + " listed twice");
            }
        }
    }
    return sync_group{std::move(name), std::move(members)};
}

sync_group::sync_group(std::string name, std::vector<instance*> members)
    : name_(std::move(name)), members_(std::move(members)) {
    for (auto* m : members_) {
        m->set_sync_hold(true);
    }
}

std::string sync_group::reason(const instance& member, instance_state went) const {
    return "sync group " + name_ + ": member " + member.config().name + " went " +
           std::string(state_name(went));
}

void sync_group::emit(std::size_t i, std::vector<action>& acts,
                      std::vector<member_action>& out) const {
    for (auto& a : acts) {
        out.push_back(member_action{i, std::move(a)});
    }
    acts.clear();
}

void sync_group::sync(time_point now, std::vector<member_action>& out) {
    std::vector<action> acts;
    auto active = [](const instance* m) { return m->state() != instance_state::init; };

    // FAULT first (vrrp_sync_fault / vrrp_sync_leave_fault).
    const auto faulted = std::find_if(members_.begin(), members_.end(),
                                      [&](const instance* m) { return m->own_fault(); });
    if (faulted != members_.end() && state_ != instance_state::fault) {
        state_ = instance_state::fault;
        const std::string why = reason(**faulted, instance_state::fault);
        for (std::size_t i = 0; i < members_.size(); ++i) {
            members_[i]->set_group_fault(now, true, why, acts);
            emit(i, acts, out);
        }
    } else if (faulted == members_.end() && state_ == instance_state::fault) {
        state_ = instance_state::backup;
        const std::string why = "sync group " + name_ + ": all members up";
        for (std::size_t i = 0; i < members_.size(); ++i) {
            members_[i]->set_group_fault(now, false, why, acts);
            emit(i, acts, out);
        }
    }
    if (state_ == instance_state::fault) {
        return;
    }

    if (state_ != instance_state::master) {
        // One member already MASTER (an owner, or promoted elsewhere)?
        auto leader = std::find_if(members_.begin(), members_.end(), [](const instance* m) {
            return m->state() == instance_state::master;
        });
        if (leader == members_.end()) {
            // Everyone ready? (vrrp_sync_can_goto_master)
            const bool all_want =
                std::all_of(members_.begin(), members_.end(), [&](const instance* m) {
                    return !active(m) || m->wants_master() || m->state() == instance_state::master;
                });
            const bool any_want = std::any_of(members_.begin(), members_.end(),
                                              [](const instance* m) { return m->wants_master(); });
            if (!all_want || !any_want) {
                return;
            }
            leader = std::find_if(members_.begin(), members_.end(),
                                  [](const instance* m) { return m->wants_master(); });
            const auto li = static_cast<std::size_t>(leader - members_.begin());
            (*leader)->force_master(
                now, "sync group " + name_ + ": every member's down timer expired", acts);
            emit(li, acts, out);
        }
        state_ = instance_state::master;
        const std::string why = reason(**leader, instance_state::master);
        for (std::size_t i = 0; i < members_.size(); ++i) {
            if (members_[i] == *leader) {
                continue;
            }
            members_[i]->force_master(now, why, acts);
            emit(i, acts, out);
        }
        return;
    }

    // Group MASTER: one member went BACKUP (higher priority heard, resign...).
    const auto left = std::find_if(members_.begin(), members_.end(), [&](const instance* m) {
        return active(m) && m->state() == instance_state::backup;
    });
    if (left == members_.end()) {
        return;
    }
    state_ = instance_state::backup;
    const std::string why = reason(**left, instance_state::backup);
    for (std::size_t i = 0; i < members_.size(); ++i) {
        members_[i]->force_backup(now, why, acts);
        emit(i, acts, out);
    }
}

result<void> sync_group::resign(time_point now, std::size_t member,
                                std::vector<member_action>& out) {
    if (member >= members_.size()) {
        return make_error("sync group " + name_ + ": no member " + std::to_string(member));
    }
    instance& named = *members_[member];
    if (named.state() != instance_state::master) {
        return make_error("(" + named.config().name + ") is " +
                          std::string(state_name(named.state())) + ", not master");
    }
    // A member left MASTER without priority 0 would keep the peer's group
    // waiting a full Master_Down_Interval while ours may fire first.
    const std::string why =
        "sync group " + name_ + ": member " + named.config().name + " resigned by operator";
    std::vector<action> acts;
    for (std::size_t i = 0; i < members_.size(); ++i) {
        instance& m = *members_[i];
        acts.emplace_back(std::in_place_type<log_message>,
                          "(" + m.config().name + ") " + why + ", resigning the group");
        if (m.state() == instance_state::master) {
            m.group_resign(now, why, acts);
        } else {
            m.hold_resigned();
        }
        emit(i, acts, out);
    }
    state_ = instance_state::backup;
    return {};
}

void sync_group::resume(time_point now, std::size_t member, std::vector<member_action>& out) {
    const std::string who = member < members_.size() ? members_[member]->config().name : "?";
    std::vector<action> acts;
    for (std::size_t i = 0; i < members_.size(); ++i) {
        if (!members_[i]->resigned()) {
            continue;
        }
        acts.emplace_back(std::in_place_type<log_message>,
                          "(" + members_[i]->config().name + ") sync group " + name_ + ": member " +
                              who + " resumed by operator, resuming the group");
        members_[i]->resume(now, acts);
        emit(i, acts, out);
    }
}

} // namespace vipgate::vrrp
