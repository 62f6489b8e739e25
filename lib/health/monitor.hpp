#pragma once
// All the TCP_CHECKs of the control core: checkers plus the probe table,
// glued so that the caller only moves frames and time.
//
//   tick(now)            -> SYNs to send, state changes (timeouts)
//   on_segment(now, seg) -> RSTs to send, state changes (answers)
//   on_no_route(...)     -> the caller could not resolve a probe's next hop
//   next_deadline()      -> when to call tick() again
//
// The monitor frees a probe's port whatever way the probe ends, so the
// caller cannot leak ports. Control path only; one owner, the control core.

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "health/checker.hpp"
#include "health/probe_table.hpp"

namespace vipgate::health {

using checker_id = std::uint32_t;

// Send this SYN now (source address: the port's own address).
struct syn_order {
    checker_id checker = 0;
    std::uint32_t probe_id = 0;
    syn_params syn;
};

struct state_change {
    checker_id checker = 0;
    transition change;
};

// What the caller must do after one call, in this order: apply `changes`
// (real server weight / removal, keepalived's inhibit_on_failure), send
// `rsts`, send `syns`.
struct actions {
    std::vector<syn_order> syns;
    std::vector<rst_answer> rsts;
    std::vector<state_change> changes;
    bool empty() const { return syns.empty() && rsts.empty() && changes.empty(); }
};

class monitor {
  public:
    // `ports` must pass validate().
    explicit monitor(const probe_table_config& ports) : table_(ports) {}

    // Start checking; the first probe is due at now + cfg.warmup. `cfg` must
    // pass validate(). Ids are never reused.
    checker_id add(const checker_config& cfg, usec now);
    // Stop checking; a probe in flight is forgotten (a late SYN-ACK is still
    // answered with a RST). False if there is no such checker.
    bool remove(checker_id id);

    // Probe timeouts and due probes, in checker id order. A probe that finds
    // no free port is rescheduled after delay_loop (keepalived's behaviour
    // when it cannot create a socket) and counted in probe_table stats.
    actions tick(usec now);
    // A TCP segment punted to the control core for a probe port.
    actions on_segment(usec now, const segment& seg);
    // Neighbour resolution for probe `probe_id` of checker `id` failed:
    // a failed probe (outcome::no_route). Ignored if that probe is not the
    // one in flight.
    actions on_no_route(usec now, checker_id id, std::uint32_t probe_id);

    // Earliest next_deadline() of all checkers; nothing without checkers.
    std::optional<usec> next_deadline() const;

    const checker* find(checker_id id) const;
    std::size_t size() const { return checkers_.size(); }
    const probe_table& probes() const { return table_; }
    // Segments that matched a probe of a checker that has been removed
    // meanwhile, or answered after the checker gave up on it.
    std::uint64_t orphan_answers() const { return orphan_answers_; }

  private:
    void record(checker_id id, step&& s, actions& out);

    probe_table table_;
    std::map<checker_id, checker> checkers_; // ordered: deterministic tick order
    checker_id next_id_ = 1;
    std::uint64_t orphan_answers_ = 0;
};

} // namespace vipgate::health
