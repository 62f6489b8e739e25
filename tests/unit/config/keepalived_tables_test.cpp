// The keepalived importer's keyword tables (keepalived::keyword_tables()):
// they drive the import (a keyword marked unsupported is warned about as
// such) and the help (imported_blocks() for --help, keyword_reference() for
// --help-keepalived), so these checks fail when the two drift apart.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "config/config.hpp"
#include "config/keepalived.hpp"

namespace vipgate::config {
namespace {

using keepalived::block_doc;
using keepalived::keyword_tables;

TEST(KeepalivedTables, KeywordsAreUniquePerBlockAndNestedBlocksHaveParents) {
    const auto tables = keyword_tables();
    ASSERT_FALSE(tables.empty());
    EXPECT_EQ(tables.front().block, ""); // the top level first
    std::set<std::string_view> blocks;
    for (const block_doc& b : tables) {
        EXPECT_TRUE(blocks.insert(b.block).second) << "block " << b.block << " twice";
        std::set<std::string_view> seen;
        for (const auto& k : b.keywords) {
            EXPECT_TRUE(seen.insert(k.keyword).second)
                << b.block << ": keyword " << k.keyword << " twice";
            EXPECT_FALSE(k.keyword.empty()) << b.block;
        }
    }
    for (const block_doc& b : tables) {
        if (!b.inside.empty()) {
            EXPECT_TRUE(blocks.contains(b.inside)) << b.block << " inside " << b.inside;
        }
    }
}

// What --help says --keepalived-conf imports: every imported top-level
// block, every block read inside one, and nothing that is only warned about.
TEST(KeepalivedTables, ImportedBlocksNameWhatIsImported) {
    const std::string summary = keepalived::imported_blocks();
    const auto tables = keyword_tables();
    const auto names = [&](std::string_view word) {
        // A whole word: "virtual_server" must not be found in "virtual_server_group".
        for (std::size_t at = summary.find(word); at != std::string::npos;
             at = summary.find(word, at + 1)) {
            const std::size_t end = at + word.size();
            const bool starts = at == 0 || summary[at - 1] == ' ' || summary[at - 1] == '(';
            const bool ends = end == summary.size() || summary[end] == ',' || summary[end] == ' ' ||
                              summary[end] == ')';
            if (starts && ends) {
                return true;
            }
        }
        return false;
    };
    for (const auto& k : tables.front().keywords) {
        EXPECT_EQ(names(k.keyword), k.supported) << k.keyword << " in: " << summary;
    }
    for (const block_doc& b : tables) {
        if (!b.inside.empty()) {
            EXPECT_TRUE(names(b.block)) << b.block << " in: " << summary;
        }
    }
    for (std::string_view block : {"global_defs", "vrrp_instance", "vrrp_sync_group",
                                   "virtual_server", "real_server", "TCP_CHECK", "MISC_CHECK"}) {
        EXPECT_TRUE(names(block)) << block << " in: " << summary;
    }
}

TEST(KeepalivedTables, ReferenceListsEveryKeyword) {
    const std::string ref = keepalived::keyword_reference();
    for (const block_doc& b : keyword_tables()) {
        if (!b.block.empty()) {
            EXPECT_NE(ref.find("\n" + std::string(b.block)), std::string::npos) << b.block;
        }
        for (const auto& k : b.keywords) {
            const std::string line = (k.supported ? "    " : "  - ") + std::string(k.keyword);
            EXPECT_TRUE(ref.find("\n" + line + " ") != std::string::npos ||
                        ref.find("\n" + line + "\n") != std::string::npos)
                << b.block << ": " << line;
        }
    }
}

// A keepalived.conf with every block the tables describe; `@BLOCK` marks
// where a keyword of that block goes.
constexpr const char* every_block = R"(global_defs {
    @global_defs
}
vrrp_instance VI_1 {
    interface ext0
    virtual_router_id 1
    virtual_ipaddress {
        10.0.0.100
    }
    authentication {
        auth_type PASS
        auth_pass secret
        @authentication
    }
    @vrrp_instance
}
vrrp_sync_group G1 {
    group {
        VI_1
    }
    @vrrp_sync_group
}
virtual_server 10.0.0.100 80 {
    protocol TCP
    lb_algo rr
    lb_kind NAT
    real_server 10.1.0.5 80 {
        TCP_CHECK {
            @TCP_CHECK
        }
        MISC_CHECK {
            misc_path /bin/true
            @MISC_CHECK
        }
        @real_server
    }
    @virtual_server
}
@
)";

// Every keyword the tables mark unsupported is imported with the warning
// that says so, in its own block, at its own line.
TEST(KeepalivedTables, UnsupportedKeywordsAreWarnedWhereTheTablesSay) {
    char tmpl[] = "/tmp/vipgate-keepalived-tables-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    ASSERT_NE(dir, nullptr);
    const std::string path = std::string(dir) + "/keepalived.conf";
    auto yaml = load_string("ports:\n"
                            "  - {name: ext0, device: net_ring0, address: 10.0.0.1/24}\n"
                            "  - {name: int0, device: net_ring1, address: 10.1.0.1/24}\n");
    ASSERT_TRUE(yaml.ok()) << yaml.message();
    std::size_t checked = 0;
    for (const block_doc& b : keyword_tables()) {
        const std::string marker = "@" + std::string(b.block) + "\n";
        for (const auto& k : b.keywords) {
            if (k.supported) {
                continue;
            }
            std::string text = every_block;
            const std::size_t at = text.find(marker);
            ASSERT_NE(at, std::string::npos) << "no place for block " << b.block;
            text.replace(at, marker.size(), std::string(k.keyword) + " x\n");
            for (std::size_t m = text.find('@'); m != std::string::npos; m = text.find('@')) {
                text.erase(m, text.find('\n', m) - m); // the other markers
            }
            std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
            auto r = import_keepalived(path, *yaml);
            ASSERT_TRUE(r.ok()) << b.block << " " << k.keyword << ": " << r.message();
            // A checker vipgate lacks is warned about with the real server.
            const std::string unsupported = std::string(k.keyword) + " is not supported by vipgate";
            const std::string checker =
                std::string(k.keyword) + ": only TCP_CHECK and MISC_CHECK are implemented";
            bool found = false;
            for (const auto& w : r->warnings) {
                found = found || w.find(unsupported) != std::string::npos ||
                        w.find(checker) != std::string::npos;
            }
            EXPECT_TRUE(found) << b.block << ": no warning '" << unsupported << "'";
            ++checked;
        }
    }
    EXPECT_GT(checked,
              60u); // the loop ran (73 unsupported keywords after quorum, track_file, rs notify)
    std::filesystem::remove_all(dir);
}

} // namespace
} // namespace vipgate::config
