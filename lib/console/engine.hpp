#pragma once
// The command language shared by the interactive console, the control socket
// and the tests: a table of commands, each a sequence of literal words and
// arguments, with one handler. Pure (no DPDK): the cmdline glue and the
// socket server both end in engine::execute().

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vipgate::console {

struct reply {
    bool ok = true;
    std::string text;  // human text or JSON; ends with a newline when non-empty
    bool quit = false; // the session asked to end ("quit")

    static reply success(std::string t) { return {true, std::move(t), false}; }
    static reply failure(std::string t) { return {false, std::move(t), false}; }
};

// One token of a command pattern.
struct token {
    enum class kind { literal, argument } k = kind::literal;
    std::vector<std::string> words; // literal: accepted words (e.g. {"enable","disable"})
    std::string name;               // argument: its name, e.g. "name", "N"
    std::string help;               // argument: what it is
};

struct args {
    std::map<std::string, std::string> values; // argument name -> word
    std::vector<std::string> words;            // the whole command as typed
    bool json = false;                         // trailing `json` given
    const std::string& operator[](const std::string& k) const { return values.at(k); }
};

using handler = std::function<reply(const args&)>;

struct command {
    std::vector<token> pattern;
    bool json_ok = false; // accepts a trailing `json`
    std::string help;
    handler fn;
    std::string usage() const; // "show vrrp <name> [json]"
};

class engine {
  public:
    // Pattern syntax: words separated by spaces; `a|b` alternatives;
    // `<name>` an argument; a trailing `[json]` makes json optional.
    // Example: "set vrrp <name> priority <N> [json]".
    void add(std::string_view pattern, std::string help, handler fn,
             std::map<std::string, std::string> arg_help = {});

    reply execute(std::string_view line) const;
    reply execute(const std::vector<std::string>& words) const;

    const std::vector<command>& commands() const { return commands_; }
    std::string help_text() const;

    static std::vector<std::string> tokenize(std::string_view line, std::string* err = nullptr);

  private:
    std::vector<command> commands_;
};

} // namespace vipgate::console
