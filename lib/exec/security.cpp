#include "exec/security.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <sys/stat.h>
#include <vector>

namespace vipgate::exec {
namespace {

class real_files final : public file_system {
  public:
    std::optional<file_info> lstat(const std::string& path) const override {
        struct ::stat st {};
        if (::lstat(path.c_str(), &st) != 0) {
            return std::nullopt;
        }
        return file_info{st.st_mode, st.st_uid, st.st_gid};
    }
    std::optional<file_info> stat(const std::string& path) const override {
        struct ::stat st {};
        if (::stat(path.c_str(), &st) != 0) {
            return std::nullopt;
        }
        return file_info{st.st_mode, st.st_uid, st.st_gid};
    }
    std::optional<std::string> realpath(const std::string& path) const override {
        char buf[PATH_MAX];
        if (::realpath(path.c_str(), buf) == nullptr) {
            return std::nullopt;
        }
        return std::string{buf};
    }
};

bool is_dir(const file_info& f) {
    return S_ISDIR(f.mode);
}

// keepalived's is_executable().
bool executable_by(const file_info& f, user_id as) {
    if (as.uid == 0) {
        return (f.mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
    }
    if (as.uid == f.uid) {
        return (f.mode & S_IXUSR) != 0;
    }
    return (f.mode & (as.gid == f.gid ? S_IXGRP : S_IXOTH)) != 0;
}

// keepalived: root runs it, or it is setuid/setgid root.
bool needs_protection(const file_info& f, user_id as) {
    return as.uid == 0 || as.gid == 0 || (f.uid == 0 && (f.mode & S_IXUSR) && (f.mode & S_ISUID)) ||
           (f.gid == 0 && (f.mode & S_IXGRP) && (f.mode & S_ISGID));
}

// Why one path element lets a non-root user change the script, or "".
std::string unsafe_because(const std::string& p, const file_info& f) {
    if (f.uid != 0) {
        return p + " is owned by uid " + std::to_string(f.uid);
    }
    const bool checked = (is_dir(f) && !(f.mode & S_ISVTX)) || S_ISREG(f.mode);
    if (checked && f.gid != 0 && (f.mode & S_IWGRP)) {
        return p + " is writable by group " + std::to_string(f.gid);
    }
    if (checked && (f.mode & S_IWOTH)) {
        return p + " is writable by everyone";
    }
    return {};
}

// "/", "/a", "/a/b", ... "/a/b/script" (keepalived checks "/" first).
std::vector<std::string> prefixes(const std::string& path) {
    std::vector<std::string> out{"/"};
    for (std::size_t i = 1; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '/') {
            out.push_back(path.substr(0, i));
        }
    }
    return out;
}

// keepalived's check_security() over one path: "" when safe.
std::string check_path(const std::string& path, const file_system& fs, bool& wrong_type) {
    const auto parts = prefixes(path);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto f = fs.lstat(parts[i]);
        if (!f) {
            wrong_type = true;
            return "could not find " + parts[i];
        }
        const bool last = i + 1 == parts.size();
        if ((!last && !is_dir(*f)) || (last && !S_ISREG(f->mode) && !S_ISLNK(f->mode))) {
            wrong_type = true;
            return "wrong file type at " + parts[i];
        }
        if (auto why = unsafe_because(parts[i], *f); !why.empty()) {
            return why;
        }
    }
    return {};
}

// The script with its directories resolved but its own name kept (a link
// is checked as itself), and the fully resolved file.
std::vector<std::string> paths_to_check(const std::string& path, const file_system& fs) {
    std::vector<std::string> out;
    const auto slash = path.rfind('/');
    const auto dir = fs.realpath(slash == 0 ? "/" : path.substr(0, slash));
    const auto full = fs.realpath(path);
    if (dir) {
        out.push_back((*dir == "/" ? "" : *dir) + path.substr(slash));
    }
    if (full && (out.empty() || *full != out.front())) {
        out.push_back(*full);
    }
    return out;
}

script_check disabled(std::string reason) {
    return {false, false, std::move(reason)};
}

} // namespace

std::unique_ptr<file_system> system_files() {
    return std::make_unique<real_files>();
}

std::optional<std::string> find_in_path(std::string_view name, std::string_view path_env,
                                        user_id as, const file_system& fs) {
    if (name.empty()) {
        return std::nullopt;
    }
    if (name.find('/') != std::string_view::npos) {
        return std::string{name};
    }
    const std::string_view dirs = path_env.empty() ? "/bin:/usr/bin" : path_env;
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string_view dir = dirs.substr(start, end - start);
        // An empty PATH element means the current directory (execvp).
        const std::string candidate =
            dir.empty() ? std::string{name} : std::string{dir} + "/" + std::string{name};
        const auto f = fs.stat(candidate);
        if (f && S_ISREG(f->mode) && executable_by(*f, as)) {
            return candidate;
        }
        start = end + 1;
    }
    return std::nullopt;
}

script_check check_script(std::string_view path_in, user_id as, bool script_security,
                          const file_system& fs) {
    const std::string path{path_in};
    if (path.empty() || path[0] != '/') {
        return disabled("script '" + path + "' is not an absolute path");
    }
    const auto target = fs.stat(path);
    if (!target || !S_ISREG(target->mode)) {
        return disabled("could not find script '" + path + "'");
    }
    if (!executable_by(*target, as)) {
        return disabled("script '" + path + "' is not executable for uid:gid " +
                        std::to_string(as.uid) + ":" + std::to_string(as.gid));
    }
    if (!needs_protection(*target, as)) {
        return {true, false, {}};
    }
    for (const auto& p : paths_to_check(path, fs)) {
        bool wrong_type = false;
        auto why = check_path(p, fs, wrong_type);
        if (wrong_type) {
            return disabled("script '" + path + "': " + why);
        }
        if (!why.empty()) {
            return {!script_security, true,
                    "unsafe permissions for script '" + path + "': " + why +
                        (script_security ? " - disabling" : "")};
        }
    }
    return {true, false, {}};
}

} // namespace vipgate::exec
