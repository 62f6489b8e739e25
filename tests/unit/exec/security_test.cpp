// keepalived's script security rules over a fake file system.
#include "exec/security.hpp"

#include <gtest/gtest.h>
#include <map>
#include <sys/stat.h>

namespace vipgate::exec {
namespace {

class fake_fs final : public file_system {
  public:
    std::map<std::string, file_info> entries;
    std::map<std::string, std::string> links; // path -> resolved target

    std::optional<file_info> lstat(const std::string& p) const override {
        const auto it = entries.find(p);
        return it == entries.end() ? std::nullopt : std::optional{it->second};
    }
    std::optional<file_info> stat(const std::string& p) const override {
        const auto l = links.find(p);
        return lstat(l == links.end() ? p : l->second);
    }
    std::optional<std::string> realpath(const std::string& p) const override {
        const auto l = links.find(p);
        if (l != links.end()) {
            return l->second;
        }
        return entries.count(p) ? std::optional{p} : std::nullopt;
    }
};

constexpr std::uint32_t dir = S_IFDIR;
constexpr std::uint32_t reg = S_IFREG;

// A tree that is secure: root-owned 0755 directories, a 0755 script.
fake_fs secure_tree() {
    fake_fs fs;
    fs.entries["/"] = {dir | 0755, 0, 0};
    fs.entries["/etc"] = {dir | 0755, 0, 0};
    fs.entries["/etc/keepalived"] = {dir | 0755, 0, 0};
    fs.entries["/etc/keepalived/chk.sh"] = {reg | 0755, 0, 0};
    return fs;
}

constexpr user_id root{0, 0};
const char* const script = "/etc/keepalived/chk.sh";

struct security_case {
    const char* name;
    const char* path;
    file_info info;
    bool run_secure;    // verdict with enable_script_security
    bool insecure;      // reported insecure
    const char* reason; // substring of the reason ("" = none)
};

TEST(SecurityTest, Table) {
    const security_case cases[] = {
        {"secure", nullptr, {}, true, false, ""},
        {"file owned by a user",
         script,
         {reg | 0755, 1000, 0},
         false,
         true,
         "/etc/keepalived/chk.sh is owned by uid 1000"},
        {"file world writable", script, {reg | 0757, 0, 0}, false, true, "writable by everyone"},
        {"file group writable, group not root",
         script,
         {reg | 0775, 0, 50},
         false,
         true,
         "writable by group 50"},
        {"file group writable, group root", script, {reg | 0775, 0, 0}, true, false, ""},
        {"dir world writable",
         "/etc/keepalived",
         {dir | 0777, 0, 0},
         false,
         true,
         "/etc/keepalived is writable by everyone"},
        {"dir world writable with sticky bit",
         "/etc/keepalived",
         {dir | 01777, 0, 0},
         true,
         false,
         ""},
        {"sticky dir owned by a user",
         "/etc/keepalived",
         {dir | 01777, 1000, 0},
         false,
         true,
         "owned by uid 1000"},
        {"root dir group writable",
         "/",
         {dir | 0775, 0, 10},
         false,
         true,
         "/ is writable by group 10"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto fs = secure_tree();
        if (c.path) {
            fs.entries[c.path] = c.info;
        }
        const auto strict = check_script(script, root, true, fs);
        EXPECT_EQ(strict.run, c.run_secure);
        EXPECT_EQ(strict.insecure, c.insecure);
        EXPECT_NE(strict.reason.find(c.reason), std::string::npos) << strict.reason;
        // Without enable_script_security an insecure script still runs
        // (keepalived only warns).
        const auto lax = check_script(script, root, false, fs);
        EXPECT_TRUE(lax.run);
        EXPECT_EQ(lax.insecure, c.insecure);
    }
}

TEST(SecurityTest, NonRootScriptsAreNotChecked) {
    auto fs = secure_tree();
    fs.entries["/etc/keepalived"] = {dir | 0777, 0, 0};
    const auto v = check_script(script, user_id{1000, 1000}, true, fs);
    EXPECT_TRUE(v.run);
    EXPECT_FALSE(v.insecure);
}

TEST(SecurityTest, SetuidRootScriptIsChecked) {
    auto fs = secure_tree();
    fs.entries["/etc/keepalived"] = {dir | 0777, 0, 0};
    fs.entries[script] = {reg | S_ISUID | 0755, 0, 0};
    const auto v = check_script(script, user_id{1000, 1000}, true, fs);
    EXPECT_FALSE(v.run);
    EXPECT_TRUE(v.insecure);
}

TEST(SecurityTest, MissingNotExecutableRelative) {
    auto fs = secure_tree();
    EXPECT_NE(check_script("/etc/keepalived/nope.sh", root, true, fs).reason.find("could not find"),
              std::string::npos);
    EXPECT_FALSE(check_script("chk.sh", root, true, fs).run);
    fs.entries[script] = {reg | 0644, 0, 0};
    const auto v = check_script(script, root, false, fs);
    EXPECT_FALSE(v.run);
    EXPECT_NE(v.reason.find("not executable for uid:gid 0:0"), std::string::npos);
    fs.entries[script] = {reg | 0700, 0, 0};
    EXPECT_FALSE(check_script(script, user_id{1000, 1000}, false, fs).run);
}

TEST(SecurityTest, LinkTargetInUserDirectoryIsInsecure) {
    auto fs = secure_tree();
    // /etc/keepalived/chk.sh -> /home/u/chk.sh, a directory the user owns.
    fs.entries[script] = {S_IFLNK | 0777, 0, 0};
    fs.entries["/home"] = {dir | 0755, 0, 0};
    fs.entries["/home/u"] = {dir | 0755, 1000, 1000};
    fs.entries["/home/u/chk.sh"] = {reg | 0755, 0, 0};
    fs.links[script] = "/home/u/chk.sh";
    const auto v = check_script(script, root, true, fs);
    EXPECT_FALSE(v.run);
    EXPECT_NE(v.reason.find("/home/u is owned by uid 1000"), std::string::npos) << v.reason;
}

TEST(SecurityTest, PathSearch) {
    auto fs = secure_tree();
    fs.entries["/usr"] = {dir | 0755, 0, 0};
    fs.entries["/usr/bin"] = {dir | 0755, 0, 0};
    fs.entries["/usr/bin/chk.sh"] = {reg | 0644, 0, 0}; // not executable: skipped
    const std::string_view path = "/usr/bin:/etc/keepalived";
    EXPECT_EQ(find_in_path("chk.sh", path, root, fs), "/etc/keepalived/chk.sh");
    fs.entries["/usr/bin/chk.sh"] = {reg | 0755, 0, 0};
    EXPECT_EQ(find_in_path("chk.sh", path, root, fs), "/usr/bin/chk.sh");
    EXPECT_EQ(find_in_path("/opt/x.sh", path, root, fs), "/opt/x.sh"); // has a '/'
    EXPECT_EQ(find_in_path("nope", path, root, fs), std::nullopt);
    EXPECT_EQ(find_in_path("", path, root, fs), std::nullopt);
}

TEST(SecurityTest, RealFileSystem) {
    // /bin/sh on this machine is root's and safe.
    const auto fs = system_files();
    const auto v = check_script("/bin/sh", root, true, *fs);
    EXPECT_TRUE(v.run) << v.reason;
}

} // namespace
} // namespace vipgate::exec
