// vipgatectl: send one console command to a running vipgate over its control
// socket, print the reply, exit non-zero when the command failed.
//
//   vipgatectl [-s PATH] COMMAND...     e.g. vipgatectl show port stats all json

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "console/client.hpp"
#include "vipgate_version.h"

namespace {

void usage(std::ostream& os) {
    os << "Usage: vipgatectl [-s PATH] [-t MS] COMMAND...\n"
          "Send one command to vipgate's control socket and print the reply.\n"
          "  -s, --socket PATH   control socket (default /run/vipgate/vipgate.sock)\n"
          "  -t, --timeout MS    how long to wait for the answer (default 5000)\n"
          "  -h, --help          this help;  -V, --version  the version\n"
          "Exit status: 0 the command succeeded, 1 vipgate reported an error,\n"
          "2 usage error, 3 could not talk to vipgate.\n"
          "Examples: vipgatectl show ports;  vipgatectl show port stats all json;  vipgatectl "
          "help\n";
}

} // namespace

int main(int argc, char** argv) {
    std::string path = "/run/vipgate/vipgate.sock";
    int timeout = 5000;
    std::string command;
    int i = 1;
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            usage(std::cout);
            return 0;
        }
        if (a == "-V" || a == "--version") {
            std::cout << "vipgatectl " << VIPGATE_VERSION << "\n";
            return 0;
        }
        if ((a == "-s" || a == "--socket") && i + 1 < argc) {
            path = argv[++i];
            continue;
        }
        if ((a == "-t" || a == "--timeout") && i + 1 < argc) {
            try {
                timeout = std::stoi(argv[++i]);
            } catch (...) {
                std::cerr << "vipgatectl: --timeout needs a number of milliseconds\n";
                return 2;
            }
            continue;
        }
        if (a == "--") {
            ++i;
            break;
        }
        if (!a.empty() && a[0] == '-') {
            std::cerr << "vipgatectl: unknown option " << a << "\n";
            usage(std::cerr);
            return 2;
        }
        break;
    }
    for (; i < argc; ++i) {
        if (!command.empty()) {
            command += ' ';
        }
        command += argv[i];
    }
    if (command.empty()) {
        usage(std::cerr);
        return 2;
    }
    auto r = vipgate::console::send_command(path, command, timeout);
    if (!r) {
        std::cerr << "vipgatectl: " << r.message() << "\n";
        return 3;
    }
    if (r->ok) {
        std::fputs(r->text.c_str(), stdout);
    } else {
        std::fputs(r->text.c_str(), stderr);
    }
    return r->ok ? 0 : 1;
}
