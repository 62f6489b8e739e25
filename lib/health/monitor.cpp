#include "health/monitor.hpp"

namespace vipgate::health {

checker_id monitor::add(const checker_config& cfg, usec now) {
    const checker_id id = next_id_++;
    checkers_.emplace(id, checker(cfg, now));
    return id;
}

bool monitor::remove(checker_id id) {
    if (checkers_.erase(id) == 0) {
        return false;
    }
    table_.release(id);
    return true;
}

const checker* monitor::find(checker_id id) const {
    auto it = checkers_.find(id);
    return it == checkers_.end() ? nullptr : &it->second;
}

std::optional<usec> monitor::next_deadline() const {
    std::optional<usec> best;
    for (const auto& [id, c] : checkers_) {
        const usec d = c.next_deadline();
        if (!best || d < *best) {
            best = d;
        }
    }
    return best;
}

// A probe that ended in the checker (timeout, no_route) frees its port; an
// answered probe's port was freed by probe_table::match() already, and
// release() then finds nothing.
void monitor::record(checker_id id, step&& s, actions& out) {
    if (s.completed) {
        table_.release(id);
    }
    if (s.change) {
        out.changes.push_back(state_change{id, std::move(*s.change)});
    }
}

actions monitor::tick(usec now) {
    actions out;
    for (auto& [id, c] : checkers_) {
        step s = c.tick(now);
        std::optional<probe> send = s.send;
        record(id, std::move(s), out);
        if (!send) {
            continue;
        }
        auto syn = table_.open(id, send->id, c.config().target);
        if (!syn) {
            c.cancel(now, send->id);
            continue;
        }
        out.syns.push_back(syn_order{id, send->id, *syn});
    }
    return out;
}

actions monitor::on_segment(usec now, const segment& seg) {
    actions out;
    match_result m = table_.match(seg);
    if (m.rst) {
        out.rsts.push_back(*m.rst);
    }
    if (m.what != verdict::matched) {
        return out;
    }
    auto it = checkers_.find(m.owner);
    if (it == checkers_.end()) {
        ++orphan_answers_;
        return out;
    }
    step s = it->second.on_result(now, m.probe_id, m.result);
    if (!s.completed) {
        ++orphan_answers_;
    }
    record(m.owner, std::move(s), out);
    return out;
}

actions monitor::on_no_route(usec now, checker_id id, std::uint32_t probe_id) {
    actions out;
    auto it = checkers_.find(id);
    if (it == checkers_.end()) {
        return out;
    }
    record(id, it->second.on_result(now, probe_id, outcome::no_route), out);
    return out;
}

} // namespace vipgate::health
