#pragma once
// keepalived's script security check (lib/notify.c check_script_secure() and
// check_security() in 2.2.7; man keepalived.conf, "SCRIPTS" and global_defs'
// enable_script_security): a script that runs as root must not be
// modifiable or replaceable by a non-root user.
//
// Pure over a stat provider, so every case is testable without touching the
// file system; system_files() is the real provider.

#include "exec/types.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace vipgate::exec {

// What lstat()/stat() say about one path.
struct file_info {
    std::uint32_t mode = 0; // st_mode: type and permission bits
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
};

class file_system {
  public:
    virtual ~file_system() = default;
    // lstat(): a symbolic link is reported as itself. nullopt: no such path.
    virtual std::optional<file_info> lstat(const std::string& path) const = 0;
    // stat(): links followed.
    virtual std::optional<file_info> stat(const std::string& path) const = 0;
    // realpath(): absolute, no "." / ".." / links. nullopt: cannot resolve.
    virtual std::optional<std::string> realpath(const std::string& path) const = 0;
};

// The real file system.
std::unique_ptr<file_system> system_files();

// keepalived find_path(): a script named without a '/' is searched for in
// `path_env` (PATH; empty: confstr(_CS_PATH)'s "/bin:/usr/bin"); the first
// regular file executable by `as` wins, and keepalived warns "script `x`
// resolved by path search to `/usr/bin/x`. Please specify full path." A
// name with a '/' is returned as is. nullopt: not found.
std::optional<std::string> find_in_path(std::string_view name, std::string_view path_env,
                                        user_id as, const file_system& fs);

struct script_check {
    bool run = false;      // may be run
    bool insecure = false; // runs as root but a non-root user could change it
    std::string reason;    // why not run / why insecure (empty when fine)
};

// `path` is the script (argv[0], absolute), `as` the user it runs as,
// `script_security` global_defs' enable_script_security. keepalived's rules:
//  * the script must exist and be executable by `as` (else disabled);
//  * only a script run by uid 0 or gid 0, or a setuid/setgid root file, is
//    checked further ("if a script is executed by root, then it cannot be
//    modified or replaced by a non root user");
//  * then "/" and every directory down to the script, and the script, must
//    be owned by root; a directory without the sticky bit, or the file, must
//    not be writable by others, nor by its group unless the group is root;
//    checked on the path with its directories resolved and on the fully
//    resolved path (a link to the script is itself checked);
//  * an insecure script is disabled with enable_script_security, and only
//    reported without it (keepalived then logs "SECURITY VIOLATION - scripts
//    are being executed but script_security not enabled").
script_check check_script(std::string_view path, user_id as, bool script_security,
                          const file_system& fs);

} // namespace vipgate::exec
