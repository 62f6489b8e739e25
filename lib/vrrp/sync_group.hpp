#pragma once
// keepalived `vrrp_sync_group`: member instances move together.
//
//  * A member in FAULT (its port down or set_fault) puts every other member
//    in FAULT; when no member has a fault of its own they all leave FAULT.
//  * If one member goes MASTER, all go MASTER. A member whose down timer
//    expires waits (wants_master()) until every member wants MASTER, as
//    keepalived's vrrp_sync_can_goto_master() does, to avoid thrashing.
//  * If one member leaves MASTER for BACKUP, the other masters follow.
//  * resign() of one member resigns the whole group: every MASTER member
//    sends priority 0 (RFC 5798 §6.4.3) so the peer's whole group takes over
//    after Skew_Time, and no member preempts until resume() of the group.
//    Resigned members still take over a silent peer (down timer measured from
//    when the peer must have become master, instance::resign_grace()).
// Reason text: "sync group <name>: member <x> went <state>".
//
// Pure helper over instances it does not own: they must outlive it and stay
// at the same address (do not move them after make()). The
// caller feeds inputs to the members as usual, then calls sync() once with
// the same `now`; sync() returns the extra actions per member.

#include "common/result.hpp"
#include "vrrp/instance.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace vipgate::vrrp {

class sync_group {
  public:
    struct member_action {
        std::size_t member = 0; // index into members()
        action act;
    };

    // Members must be distinct and non-null. Marks them as held by the group.
    static result<sync_group> make(std::string name, std::vector<instance*> members);

    void sync(time_point now, std::vector<member_action>& out);
    // Operator resign of member `member` (must be MASTER): resigns the group.
    result<void> resign(time_point now, std::size_t member, std::vector<member_action>& out);
    // Operator resume of any member: every member preempts again.
    void resume(time_point now, std::size_t member, std::vector<member_action>& out);

    // backup, master or fault.
    instance_state state() const { return state_; }
    const std::string& name() const { return name_; }
    std::span<instance* const> members() const { return members_; }

  private:
    sync_group(std::string name, std::vector<instance*> members);
    std::string reason(const instance& member, instance_state went) const;
    void emit(std::size_t i, std::vector<action>& acts, std::vector<member_action>& out) const;

    std::string name_;
    std::vector<instance*> members_;
    instance_state state_ = instance_state::backup;
};

} // namespace vipgate::vrrp
