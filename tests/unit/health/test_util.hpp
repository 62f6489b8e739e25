#pragma once
// A fake clock that drives one checker against a scripted server: it jumps
// from one event to the next (the checker's next_deadline() or the arrival
// of a scripted answer) and logs what the checker did, in milliseconds.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "health/checker.hpp"

namespace health_test {

using vipgate::health::outcome;
using vipgate::health::usec;

// How the server answers one probe: `o` after `after`; timeout = silence.
struct answer {
    outcome o = outcome::timeout;
    usec after{0};
};

inline answer alive(usec after) {
    return {outcome::alive, after};
}
inline answer refused(usec after) {
    return {outcome::refused, after};
}
inline answer silent() {
    return {outcome::timeout, usec{0}};
}
inline answer no_route(usec after) {
    return {outcome::no_route, after};
}

inline std::string at(usec t) {
    std::string s = "@";
    s += std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t).count());
    return s;
}

// Runs `c` until `until`; probe n (1-based) gets script[n-1], the last entry
// repeats. Log lines: "@ms send #id", "@ms done #id outcome", "@ms UP|DOWN".
inline std::vector<std::string> run(vipgate::health::checker& c, const std::vector<answer>& script,
                                    usec until) {
    std::vector<std::string> log;
    // (not std::optional: GCC 12 -O2 warns maybe-uninitialized through it)
    struct inflight {
        bool set = false;
        std::uint32_t id = 0;
        usec when{0};
        outcome o = outcome::timeout;
    } reply;
    std::size_t sent = 0;
    for (int guard = 0; guard < 10000; ++guard) {
        usec t = c.next_deadline();
        const bool answer_first = reply.set && reply.when < t;
        if (answer_first) {
            t = reply.when;
        }
        if (t > until) {
            break;
        }
        vipgate::health::step s;
        if (answer_first) {
            s = c.on_result(t, reply.id, reply.o);
            reply.set = false;
        } else {
            s = c.tick(t);
        }
        if (!s.completed && !s.send && !s.change) {
            log.push_back(at(t) + " idle"); // jumped to a deadline with nothing to do: a bug
        }
        if (s.completed) {
            log.push_back(at(t) + " done #" + std::to_string(*s.completed) + " " +
                          vipgate::health::outcome_name(*s.result));
        }
        if (s.change) {
            log.push_back(at(t) + " " + vipgate::health::state_name(s.change->to));
        }
        if (s.send) {
            log.push_back(at(t) + " send #" + std::to_string(s.send->id));
            const answer a = script[std::min(sent, script.size() - 1)];
            ++sent;
            if (a.o != outcome::timeout) {
                reply = inflight{true, s.send->id, t + a.after, a.o};
            }
        }
    }
    return log;
}

} // namespace health_test
