#pragma once
// Import of a keepalived.conf (keepalived 2.2.7's grammar and defaults;
// docs/config.md "Importing keepalived.conf", shared/reference checklist §2
// and §3 "Grammar").
//
// Two layers:
//  * keepalived::parse_file() turns the file and its includes into a tree of
//    statements (keyword, arguments, optional { block }), the way
//    keepalived's lib/parser.c reads it. It knows no keywords.
//  * import_keepalived() interprets the tree with one keyword table per
//    block: global_defs, vrrp_instance and vrrp_sync_group become
//    vrrp_instances / vrrp_sync_groups, virtual_server (VIP and port, NAT,
//    TCP_CHECK) becomes virtual_servers; everything else is a warning naming
//    its file and line, never a silent ignore. keyword_tables() describes
//    the tables.
// Pure: no DPDK.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"

namespace vipgate::config {

// Reads `conf_path` (keepalived.conf syntax) and appends its VRRP instances,
// sync groups and virtual servers to `base`, the YAML configuration that
// supplies the ports (keepalived's `interface` names are vipgate port names)
// and the dataplane settings. Instances and virtual servers already in `base`
// take part in the uniqueness checks (names, VRID per port, VIP:port/proto,
// the limits); a YAML virtual server's "VIP is not held by any VRRP
// instance" warning is re-evaluated with the imported instances.
//
// On failure the message holds every problem, one per line, each as
// "FILE:LINE:COLUMN: what; expected what", FILE being the file that holds the
// problem (an included file names itself). On success `base.warnings` gains
// one "FILE:LINE:COLUMN: what" line per keyword ignored or value adjusted.
result<config> import_keepalived(const std::string& conf_path, config base);

namespace keepalived {

struct token {
    std::string text; // quotes removed, escapes resolved
    source_location at;
};

// `keyword args... [{ block }]`. The '{' may follow on a later line; text
// after a brace starts a new statement, so `group { A B }` is one statement
// with a block holding statement `A B`.
struct statement {
    token keyword;
    std::vector<token> args;
    bool has_block = false;
    source_location block_at; // the '{'
    std::vector<statement> block;
};

struct document {
    std::vector<statement> statements;
    // Every file read, the top one first, as opened (include patterns are
    // resolved against the including file's directory).
    std::vector<std::string> files;
    std::vector<std::string> warnings; // "FILE:LINE:COLUMN: what"
};

// What the importer does with each keyword, from the tables it reads with:
// `vipgate --help` names the imported blocks and --help-keepalived prints
// every table, so neither can drift from the importer.
struct keyword_doc {
    std::string_view keyword;
    bool supported;        // false: keepalived's, not vipgate's: a warning, skipped
    std::string_view note; // what vipgate makes of it, or why it is skipped
};
struct block_doc {
    std::string_view block;  // "" for the top level
    std::string_view inside; // the enclosing block, "" for top-level blocks
    std::vector<keyword_doc> keywords;
};
// The top level first, then each block the importer reads with a table.
std::vector<block_doc> keyword_tables();
// "global_defs, vrrp_instance (with authentication), ..., virtual_server
// (with real_server, TCP_CHECK)": the top-level blocks that are imported.
std::string imported_blocks();
// Every table, one keyword a line with its note (--help-keepalived).
std::string keyword_reference();

// Limits that keep a hostile or broken file from exhausting the importer.
inline constexpr int max_include_depth = 8;
inline constexpr std::size_t max_files = 256;
inline constexpr int max_block_depth = 32;
inline constexpr std::size_t max_file_size = 16u << 20;

// Grammar (keepalived lib/parser.c):
//  * a statement is a keyword and its arguments on one line;
//  * `#` and `!` start a comment outside quotes, to the end of the line;
//    `\#` and `\!` are literal;
//  * "..." and '...' quote (a quoted part joins the word around it);
//  * `{` and `}` outside quotes are tokens of their own;
//  * a line `include PATTERN` is replaced by the files PATTERN matches
//    (glob(3), sorted), relative to the including file, nested at most
//    max_include_depth deep; an include cycle is an error, and so is a plain
//    path that does not exist (a wildcard pattern matching nothing is a
//    warning, as in keepalived). The stricter variants includer, includem,
//    includew, includeb and includea are read like include, except that a
//    pattern matching nothing is an error.
// Not supported, reported as errors so that the import never differs from
// what keepalived would run: `@system_id` line prefixes, `$NAME=` parameter
// definitions, `~SEQ` and a `\` at the end of a line.
result<document> parse_file(const std::string& path);

} // namespace keepalived

} // namespace vipgate::config
