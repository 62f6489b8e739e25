// libFuzzer harness: the console command language, console::engine
// (tokenizer, pattern matcher, "did you mean" hints), as the interactive
// console and the control socket use it.
//
// The command table has the patterns of lib/console/commands.cpp with stub
// handlers (the real ones call the control plane, which needs EAL). Each
// stub checks what the matcher promises a handler: every argument of its
// pattern is present, the word count matches the pattern (+1 for a trailing
// `json`), literals are as declared; then it parses its arguments with the
// same pure parsers the real handlers use (std::stoi/stoul, lib/net's
// address parsers), so odd words reach them too.
//
// Input: one command per line (a control-socket session). Checks beyond the
// sanitizers: every reply is empty or ends with a newline; a line of only
// blanks or a comment is a no-op success; `quit` ends the session.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "console/engine.hpp"
#include "net/types.hpp"

namespace {

using namespace vipgate;
using console::args;
using console::reply;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz_console: invariant violated: %s\n", what.c_str());
    std::abort();
}

// "1.2.3.4:80" the way the real handlers split an endpoint.
bool parse_endpoint(const std::string& s) {
    const auto colon = s.rfind(':');
    if (colon == std::string::npos) {
        return net::ipv4_addr::parse(s).has_value();
    }
    auto ip = net::ipv4_addr::parse(std::string_view(s).substr(0, colon));
    try {
        std::size_t used = 0;
        const unsigned long port = std::stoul(s.substr(colon + 1), &used);
        return ip.has_value() && used == s.size() - colon - 1 && port > 0 && port < 65536;
    } catch (...) {
        return false;
    }
}

reply number(const std::string& s, unsigned long max) {
    std::size_t used = 0;
    const unsigned long v = std::stoul(s, &used); // throws: the engine turns it into an error
    if (used != s.size() || v > max) {
        return reply::failure("error: '" + s + "' is out of range\n");
    }
    return reply::success(std::to_string(v) + "\n");
}

struct table {
    console::engine eng;

    // A stub for `pattern` that checks the matcher's promises, then runs
    // `body` (or answers "ok").
    void add(std::string_view pattern, std::function<reply(const args&)> body = {}) {
        std::vector<std::string> want_args;
        std::vector<std::vector<std::string>> literals; // empty: an argument
        bool json_ok = false;
        std::size_t start = 0;
        const std::string p(pattern);
        for (std::size_t i = 0; i <= p.size(); ++i) {
            if (i == p.size() || p[i] == ' ') {
                std::string w = p.substr(start, i - start);
                start = i + 1;
                if (w.empty()) {
                    continue;
                }
                if (w == "[json]") {
                    json_ok = true;
                } else if (w.front() == '<') {
                    want_args.push_back(w.substr(1, w.size() - 2));
                    literals.emplace_back();
                } else {
                    std::vector<std::string> alts;
                    std::size_t a = 0;
                    for (std::size_t j = 0; j <= w.size(); ++j) {
                        if (j == w.size() || w[j] == '|') {
                            alts.push_back(w.substr(a, j - a));
                            a = j + 1;
                        }
                    }
                    literals.push_back(alts);
                }
            }
        }
        eng.add(pattern, "stub", [=, pat = p](const args& a) -> reply {
            const std::size_t n = literals.size() + (a.json ? 1 : 0);
            if (a.words.size() != n) {
                fail("'" + pat + "' called with " + std::to_string(a.words.size()) + " words");
            }
            if (a.json && !json_ok) {
                fail("'" + pat + "' called with json");
            }
            if (a.json && a.words.back() != "json") {
                fail("'" + pat + "' json flag without a trailing json");
            }
            for (std::size_t i = 0; i < literals.size(); ++i) {
                if (literals[i].empty()) {
                    continue;
                }
                bool found = false;
                for (const auto& l : literals[i]) {
                    found = found || l == a.words[i];
                }
                if (!found) {
                    fail("'" + pat + "' matched with word '" + a.words[i] + "'");
                }
            }
            for (const auto& name : want_args) {
                if (!a.values.contains(name)) {
                    fail("'" + pat + "' called without argument <" + name + ">");
                }
            }
            if (a.values.size() != want_args.size()) {
                fail("'" + pat + "' called with extra arguments");
            }
            return body ? body(a) : reply::success("ok\n");
        });
    }

    table() {
        add("help", [this](const args&) { return reply::success(eng.help_text()); });
        add("show ports [json]");
        add("show port stats all [json]");
        add("show lcores [json]");
        add("show stats [json]");
        add("show arp [json]");
        add("show info [json]");
        add("show vrrp [json]");
        add("show vrrp <name> [json]");
        add("set vrrp <name> priority <N>", [](const args& a) {
            std::size_t used = 0;
            const int n = std::stoi(a["N"], &used);
            if (used != a["N"].size() || n < 1 || n > 254) {
                return reply::failure("error: priority '" + a["N"] + "' is not 1..254\n");
            }
            return reply::success(a["name"] + ": priority " + a["N"] + "\n");
        });
        add("vrrp <name> resign");
        add("vrrp <name> resume");
        add("show virtual-servers [json]");
        add("show health [json]");
        add("show sync [json]");
        add("show flows [json]");
        add("show flows limit <N> [json]", [](const args& a) { return number(a["N"], 100000); });
        add("show flows <vip:port> [json]", [](const args& a) {
            return parse_endpoint(a["vip:port"]) ? reply::success("ok\n")
                                                 : reply::failure("error: bad endpoint\n");
        });
        add("show flows <vip:port> limit <N> [json]", [](const args& a) {
            if (!parse_endpoint(a["vip:port"])) {
                return reply::failure("error: bad endpoint\n");
            }
            return number(a["N"], 100000);
        });
        add("set real-server <vip:port> <rs:port> weight <N>", [](const args& a) {
            if (!parse_endpoint(a["vip:port"]) || !parse_endpoint(a["rs:port"])) {
                return reply::failure("error: bad endpoint\n");
            }
            return number(a["N"], 2147483647ul);
        });
        add("real-server <vip:port> <rs:port> enable|disable", [](const args& a) {
            const bool en = a.words.back() == "enable";
            return reply::success(a["rs:port"] + (en ? ": enabled\n" : ": disabled\n"));
        });
        add("arp resolve <address>", [](const args& a) {
            auto ip = net::ipv4_addr::parse(a["address"]);
            if (!ip) {
                return reply::failure("error: '" + a["address"] + "' is not an IPv4 address\n");
            }
            return reply::success("resolving " + ip->to_string() + "\n");
        });
        add("clear stats");
        add("reload");
        add("quit", [](const args&) {
            reply r = reply::success("");
            r.quit = true;
            return r;
        });
    }
};

const table& t() {
    static const table tb;
    return tb;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    std::size_t start = 0;
    while (start <= in.size()) {
        std::size_t end = in.find('\n', start);
        if (end == std::string_view::npos) {
            end = in.size();
        }
        const std::string_view line = in.substr(start, end - start);
        start = end + 1;
        const reply r = t().eng.execute(line);
        if (!r.text.empty() && r.text.back() != '\n') {
            fail("reply without a final newline for '" + std::string(line) + "'");
        }
        std::string err;
        const auto words = console::engine::tokenize(line, &err);
        if (words.empty() && err.empty() && (!r.ok || !r.text.empty())) {
            fail("an empty line is not a silent success");
        }
        if (r.quit) {
            if (words.size() != 1 || words[0] != "quit") {
                fail("quit from a line that is not 'quit'");
            }
            break; // the session ends here
        }
    }
    return 0;
}
