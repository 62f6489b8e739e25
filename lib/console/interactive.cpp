#include "console/interactive.hpp"

#include <poll.h>
#include <unistd.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_string.h>
#include <cmdline_socket.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vipgate::console {

// Argument tokens: any word except "json", which would make "show vrrp json"
// ambiguous between "show vrrp [json]" and "show vrrp <name>" (cmdline
// refuses a line that two instructions match).
struct arg_token {
    cmdline_token_hdr hdr;
    const char* help;
};

struct interactive::inst_data {
    interactive* self;
    std::size_t ntokens;
};

namespace {

constexpr std::size_t max_tokens = CMDLINE_PARSE_RESULT_BUFSIZE / sizeof(cmdline_fixed_string_t);

void print(cmdline* cl, const std::string& text) {
    // cmdline_printf formats into a bounded buffer: write big replies in pieces.
    const std::size_t chunk = 1024;
    for (std::size_t i = 0; i < text.size(); i += chunk) {
        cmdline_printf(cl, "%.*s", static_cast<int>(std::min(chunk, text.size() - i)),
                       text.data() + i);
    }
}

int arg_parse(cmdline_parse_token_hdr_t*, const char* buf, void* res, unsigned ressize) {
    if (buf == nullptr || *buf == 0) {
        return -1;
    }
    unsigned len = 0;
    while (!cmdline_isendoftoken(buf[len])) {
        ++len;
    }
    if (len == 0 || len >= sizeof(cmdline_fixed_string_t)) {
        return -1;
    }
    if (len == 4 && std::strncmp(buf, "json", 4) == 0) {
        return -1;
    }
    if (res != nullptr) {
        if (ressize < sizeof(cmdline_fixed_string_t)) {
            return -1;
        }
        std::memcpy(res, buf, len);
        static_cast<char*>(res)[len] = 0;
    }
    return static_cast<int>(len);
}

int arg_help(cmdline_parse_token_hdr_t* tk, char* dst, unsigned size) {
    auto* t = reinterpret_cast<arg_token*>(tk);
    std::snprintf(dst, size, "<%s>", t->help);
    return 0;
}

cmdline_token_ops arg_ops = {arg_parse, nullptr, nullptr, arg_help};

extern "C" void on_parsed(void* parsed, struct cmdline* cl, void* data) {
    auto* d = static_cast<interactive::inst_data*>(data);
    auto* base = static_cast<char*>(parsed);
    std::vector<std::string> words;
    for (std::size_t i = 0; i < d->ntokens; ++i) {
        const char* s = base + i * sizeof(cmdline_fixed_string_t);
        words.emplace_back(s, strnlen(s, sizeof(cmdline_fixed_string_t)));
    }
    d->self->dispatch(cl, words);
}

} // namespace

interactive::interactive(control::control_plane& cp, const engine& e) : cp_(cp), engine_(e) {}

interactive::~interactive() {
    stop();
    for (auto* inst : ctx_) {
        std::free(inst);
    }
}

void interactive::dispatch(cmdline* cl, const std::vector<std::string>& words) {
    reply r = engine_.execute(words);
    print(cl, r.text);
    if (r.quit) {
        cp_.request_stop("quit on the console");
        cmdline_quit(cl);
    }
}

void interactive::build_context() {
    auto make_arg = [this](const std::string& help, std::size_t index) {
        strings_.push_back(std::make_unique<std::string>(help));
        auto t = std::make_unique<arg_token>();
        t->hdr.ops = &arg_ops;
        t->hdr.offset = static_cast<unsigned>(index * sizeof(cmdline_fixed_string_t));
        t->help = strings_.back()->c_str();
        args_.push_back(std::move(t));
        return reinterpret_cast<cmdline_parse_token_hdr_t*>(args_.back().get());
    };
    auto make_token = [this](const char* str, std::size_t index) {
        auto t = std::make_unique<cmdline_token_string>();
        std::memset(t.get(), 0, sizeof *t);
        t->hdr.ops = &cmdline_token_string_ops;
        t->hdr.offset = static_cast<unsigned>(index * sizeof(cmdline_fixed_string_t));
        t->string_data.str = str;
        tokens_.push_back(std::move(t));
        return reinterpret_cast<cmdline_parse_token_hdr_t*>(tokens_.back().get());
    };
    for (const auto& c : engine_.commands()) {
        for (int with_json = 0; with_json <= (c.json_ok ? 1 : 0); ++with_json) {
            std::size_t n = c.pattern.size() + static_cast<std::size_t>(with_json);
            if (n > max_tokens) {
                continue;
            }
            auto* inst = static_cast<cmdline_inst*>(std::calloc(
                1, sizeof(cmdline_inst) + (n + 1) * sizeof(cmdline_parse_token_hdr_t*)));
            auto d = std::make_unique<inst_data>(inst_data{this, n});
            inst->f = on_parsed;
            inst->data = d.get();
            strings_.push_back(std::make_unique<std::string>(c.usage() + ": " + c.help));
            inst->help_str = strings_.back()->c_str();
            for (std::size_t i = 0; i < c.pattern.size(); ++i) {
                const token& t = c.pattern[i];
                if (t.k == token::kind::argument) {
                    inst->tokens[i] = make_arg(t.help, i);
                    continue;
                }
                std::string alts;
                for (const auto& w : t.words) {
                    alts += (alts.empty() ? "" : "#") + w;
                }
                strings_.push_back(std::make_unique<std::string>(alts));
                inst->tokens[i] = make_token(strings_.back()->c_str(), i);
            }
            if (with_json) {
                inst->tokens[c.pattern.size()] = make_token("json", c.pattern.size());
            }
            inst->tokens[n] = nullptr;
            data_.push_back(std::move(d));
            ctx_.push_back(inst);
        }
    }
    ctx_.push_back(nullptr);
}

result<void> interactive::start(const std::string& prompt) {
    build_context();
    cl_ = cmdline_stdin_new(ctx_.data(), prompt.c_str());
    if (cl_ == nullptr) {
        return make_error("cannot start the interactive console");
    }
    cp_.watch_fd(STDIN_FILENO, POLLIN, [this](short) { on_input(); });
    return {};
}

void interactive::on_input() {
    char buf[512];
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n > 0) {
        cmdline_in(cl_, buf, static_cast<int>(n));
        // cmdline_poll() only reports the status when no input is pending.
        if (cmdline_poll(cl_) == RDLINE_EXITED) {
            cp_.request_stop("console closed");
        }
        return;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        // End of input (Ctrl-D on an empty line arrives as a key; this is a
        // closed pipe or terminal): leave like testpmd does.
        cp_.unwatch_fd(STDIN_FILENO);
        eof_ = true;
        cp_.request_stop("end of console input");
    }
}

void interactive::stop() {
    if (cl_ != nullptr) {
        cp_.unwatch_fd(STDIN_FILENO);
        cmdline_printf(cl_, "\n");
        cmdline_stdin_exit(cl_);
        cl_ = nullptr;
    }
}

} // namespace vipgate::console
