// The section-reading toolkit on its own, with a made-up section, as a later
// section (vrrp_instances, virtual_servers) would use it.

#include "config/yaml_util.hpp"

#include <gtest/gtest.h>

#include <string>

namespace vipgate::config {
namespace {

using namespace std::chrono_literals;

struct sample {
    std::uint16_t priority = 100;
    bool preempt = true;
    std::chrono::milliseconds advert_int{1000};
    std::uint32_t timeout_s = 3;
    std::string label;
};

const std::vector<field<sample>>& sample_fields() {
    static const std::vector<field<sample>> fields = {
        uint_field("priority", &sample::priority, {.min = 1, .max = 254}),
        bool_field("preempt", &sample::preempt),
        duration_field("advert_int", &sample::advert_int,
                       {.min = 10ms, .max = 40950ms, .granularity = 10ms}),
        duration_count_field<std::chrono::seconds>("timeout", &sample::timeout_s,
                                                   {.min = 1s, .max = 1h}),
        required(field<sample>{
            "label", "a label",
            [](diagnostics& d, const YAML::Node& n, const std::string& p, sample& out) {
                if (auto s = read_string(d, n, p, "a label")) {
                    out.label = *s;
                }
            }}),
    };
    return fields;
}

struct read_outcome {
    sample value;
    bool is_map;
    std::string errors; // diagnostics::message()
    std::size_t count;
};

read_outcome read_sample(const std::string& yaml) {
    diagnostics diag("t.yaml");
    sample s;
    const bool is_map = read_fields(diag, YAML::Load(yaml), "vi", sample_fields(), s);
    return {s, is_map, diag.message(), diag.count()};
}

TEST(Diagnostics, FormatsAndSortsByPosition) {
    diagnostics diag("f.yaml");
    EXPECT_TRUE(diag.ok());
    diag.error(source_location{"f.yaml", 3, 5}, "third", "x");
    diag.error(source_location{"f.yaml", 1, 9}, "first", "y");
    diag.error(source_location{"f.yaml", 3, 1}, "second", "");
    EXPECT_FALSE(diag.ok());
    EXPECT_EQ(diag.count(), 3u);
    EXPECT_EQ(diag.message(), "f.yaml:1:9: first; expected y\n"
                              "f.yaml:3:1: second\n"
                              "f.yaml:3:5: third; expected x");
}

TEST(Diagnostics, CapsTheListing) {
    diagnostics diag("f.yaml");
    for (int i = 0; i < 150; ++i) {
        diag.error(source_location{"f.yaml", i + 1, 1}, "bad", "good");
    }
    const std::string m = diag.message();
    EXPECT_NE(m.find("f.yaml:100:1: bad"), std::string::npos);
    EXPECT_EQ(m.find("f.yaml:101:1: bad"), std::string::npos);
    EXPECT_NE(m.find("50 more errors not shown"), std::string::npos);
}

TEST(Diagnostics, WarningsAreKeptApartAndSorted) {
    diagnostics diag("f.yaml");
    diag.warning(source_location{"f.yaml", 4, 2}, "later");
    diag.warning(source_location{"f.yaml", 2, 7}, "earlier\nline");
    EXPECT_TRUE(diag.ok()); // warnings are not errors
    EXPECT_EQ(diag.warnings(),
              (std::vector<std::string>{"f.yaml:2:7: earlier line", "f.yaml:4:2: later"}));
}

TEST(Diagnostics, AsReportedOrRankedByFile) {
    diagnostics diag("main.conf", diagnostics::ordering::as_reported);
    diag.error(source_location{"inc.conf", 1, 1}, "c", "");
    diag.error(source_location{"main.conf", 9, 1}, "b", "");
    diag.error(source_location{"main.conf", 2, 1}, "a", "");
    EXPECT_EQ(diag.message(), "inc.conf:1:1: c\nmain.conf:9:1: b\nmain.conf:2:1: a");
    diag.rank_files({"main.conf", "inc.conf"});
    EXPECT_EQ(diag.message(), "main.conf:2:1: a\nmain.conf:9:1: b\ninc.conf:1:1: c");
}

TEST(Diagnostics, MarksAreOneBased) {
    diagnostics diag("f.yaml");
    const YAML::Node n = YAML::Load("a:\n  b: 1\n");
    const source_location at = diag.where(n["a"]["b"]);
    EXPECT_EQ(at.line, 2);
    EXPECT_EQ(at.column, 6);
    EXPECT_EQ(at.to_string(), "f.yaml:2:6");
    EXPECT_EQ((source_location{"f.yaml", 0, 0}.to_string()), "f.yaml");
}

TEST(Paths, ChildIndexSubject) {
    EXPECT_EQ(child_path("", "ports"), "ports");
    EXPECT_EQ(child_path("dataplane", "burst"), "dataplane.burst");
    EXPECT_EQ(index_path("ports", 2), "ports[2]");
    EXPECT_EQ(subject(""), "top level: ");
    EXPECT_EQ(subject("ports[0].name"), "ports[0].name: ");
}

TEST(Describe, NodeKinds) {
    const YAML::Node n = YAML::Load("{a: 1, b: '2', c: [x], d: {e: f}, g: ~}");
    EXPECT_EQ(describe(n["a"]), "'1'");
    EXPECT_EQ(describe(n["b"]), "a quoted string '2'");
    EXPECT_EQ(describe(n["c"]), "a sequence");
    EXPECT_EQ(describe(n["d"]), "a map");
    EXPECT_EQ(describe(n["g"]), "no value");
    const std::string long_text(100, 'x');
    EXPECT_EQ(describe(YAML::Load(long_text)), "'" + std::string(40, 'x') + "...'");
}

TEST(Quote, EscapesAndTruncates) {
    EXPECT_EQ(quote("abc"), "'abc'");
    EXPECT_EQ(quote(""), "''");
    EXPECT_EQ(quote("a\nb\tc"), "'a\\nb\\tc'");
    EXPECT_EQ(quote(std::string("\x01\x7f", 2)), "'\\x01\\x7f'");
    EXPECT_EQ(quote(std::string(41, 'y')), "'" + std::string(40, 'y') + "...'");
    EXPECT_EQ(quote(std::string(40, 'y')), "'" + std::string(40, 'y') + "'");
}

TEST(Diagnostics, OneErrorPerLineEvenWithNewlines) {
    diagnostics diag("f.yaml");
    diag.error(source_location{"f.yaml", 1, 1}, "bad\nthing", "x\r\ny");
    EXPECT_EQ(diag.message(), "f.yaml:1:1: bad thing; expected x  y");
}

TEST(ClosestKey, SuggestsOnlyPlausibleTypos) {
    const std::vector<std::string_view> keys{"workers", "mbufs", "mbuf_cache", "burst"};
    EXPECT_EQ(closest_key("wrokers", keys), "workers"); // transposition
    EXPECT_EQ(closest_key("worker", keys), "workers");
    EXPECT_EQ(closest_key("Workers", keys), "workers");
    EXPECT_EQ(closest_key("mbuf", keys), "mbufs");
    EXPECT_EQ(closest_key("mbuf_cach", keys), "mbuf_cache");
    EXPECT_EQ(closest_key("bursts", keys), "burst");
    EXPECT_FALSE(closest_key("flows_per_worker", keys));
    EXPECT_FALSE(closest_key("ab", keys));
    EXPECT_FALSE(closest_key("", keys));
}

TEST(ReadFields, AllFieldsAndDefaults) {
    auto r = read_sample("{priority: 200, preempt: off, advert_int: 1.5s, timeout: 2m, label: x}");
    ASSERT_EQ(r.count, 0u) << r.errors;
    EXPECT_EQ(r.value.priority, 200);
    EXPECT_FALSE(r.value.preempt);
    EXPECT_EQ(r.value.advert_int, 1500ms);
    EXPECT_EQ(r.value.timeout_s, 120u);
    EXPECT_EQ(r.value.label, "x");

    auto d = read_sample("label: y\n");
    ASSERT_EQ(d.count, 0u) << d.errors;
    EXPECT_EQ(d.value.priority, 100);
    EXPECT_TRUE(d.value.preempt);
    EXPECT_EQ(d.value.advert_int, 1000ms);
    EXPECT_EQ(d.value.timeout_s, 3u);
}

struct error_case {
    const char* yaml;
    const char* want; // substring of the one expected error
};

TEST(ReadFields, EachErrorKind) {
    const error_case cases[] = {
        {"label: x\npriority: 0\n", "t.yaml:2:11: vi.priority: '0' is out of range; expected an "
                                    "integer 1..254"},
        {"label: x\npriority: '7'\n",
         "t.yaml:2:11: vi.priority: got a quoted string '7'; expected an integer 1..254"},
        {"label: x\npriority: [1]\n", "t.yaml:2:11: vi.priority: got a sequence; expected"},
        {"label: x\npreempt: 1\n", "t.yaml:2:10: vi.preempt: '1' is not a boolean; expected a "
                                   "boolean (true/false, yes/no, on/off)"},
        {"label: x\npreempt: \"yes\"\n", "vi.preempt: got a quoted string 'yes'"},
        {"label: x\nadvert_int: 1.234s\n",
         "t.yaml:2:13: vi.advert_int: '1.234s' is not in multiples of 10ms"},
        {"label: x\ntimeout: 1500ms\n", "vi.timeout: '1500ms' is not in whole seconds"},
        {"label: x\ntimeout: 2h\n", "vi.timeout: '2h' is out of range; expected a duration 1s..1h"},
        {"label: x\ntimeout:\n", "t.yaml:2:1: vi.timeout: has no value; expected a duration"},
        {"label: x\npriorty: 5\n",
         "t.yaml:2:1: vi: unknown key 'priorty' (did you mean 'priority'?); expected one of "
         "priority, preempt, advert_int, timeout, label"},
        {"label: x\nlabel: y\n",
         "t.yaml:2:1: vi: duplicate key 'label' (first at line 1, column 1); expected each key "
         "at most once"},
        {"priority: 5\n", "t.yaml:1:1: vi: missing required key 'label'; expected a label"},
        {"label: ''\n", "t.yaml:1:8: vi.label: is an empty string"},
        {"label: x\n[a]: 1\n", "t.yaml:2:1: vi: a key is a sequence; expected a plain key"},
    };
    for (const auto& c : cases) {
        auto r = read_sample(c.yaml);
        EXPECT_EQ(r.count, 1u) << c.yaml << "\n" << r.errors;
        EXPECT_NE(r.errors.find(c.want), std::string::npos) << "yaml:\n"
                                                            << c.yaml << "\ngot:\n"
                                                            << r.errors << "\nwant:\n"
                                                            << c.want;
    }
}

TEST(ReadFields, NotAMap) {
    auto r = read_sample("[1, 2]");
    EXPECT_FALSE(r.is_map);
    EXPECT_EQ(r.errors, "t.yaml:1:1: vi: got a sequence; expected a map with keys priority, "
                        "preempt, advert_int, timeout, label");
}

TEST(ReadFields, CollectsEveryError) {
    auto r = read_sample("priority: 999\npreempt: maybe\nbogus: 1\n");
    EXPECT_EQ(r.count, 4u) << r.errors; // three bad keys + missing label
    // Sorted by position: the missing key is reported at the map (1:1).
    EXPECT_EQ(r.errors.find("t.yaml:1:1: vi: missing required key 'label'"), 0u) << r.errors;
}

TEST(ReadSequence, ShapeAndIndexPaths) {
    diagnostics diag("t.yaml");
    std::vector<std::string> paths;
    read_sequence(diag, YAML::Load("[a, b]"), "items", "items", 1,
                  [&](const YAML::Node&, const std::string& p) { paths.push_back(p); });
    EXPECT_TRUE(diag.ok());
    EXPECT_EQ(paths, (std::vector<std::string>{"items[0]", "items[1]"}));

    read_sequence(diag, YAML::Load("[]"), "items", "at least one item", 1,
                  [&](const YAML::Node&, const std::string&) { ADD_FAILURE(); });
    read_sequence(diag, YAML::Load("{a: 1}"), "items", "a sequence of items", 0,
                  [&](const YAML::Node&, const std::string&) { ADD_FAILURE(); });
    EXPECT_EQ(diag.message(), "t.yaml:1:1: items: has 0 items; expected at least one item\n"
                              "t.yaml:1:1: items: got a map; expected a sequence of items");
}

TEST(ReadIpv4, AddressAndPrefix) {
    diagnostics diag("t.yaml");
    const YAML::Node n = YAML::Load("{a: 10.1.2.3, b: 10.1.2.3/24, c: 10.1.2.3/0, d: 300.1.1.1, "
                                    "e: 10.1.2.3, f: 010.1.2.3/8}");
    auto a = read_ipv4_addr(diag, n["a"], "a");
    ASSERT_TRUE(a);
    EXPECT_EQ(*a, net::ipv4_addr(10, 1, 2, 3));
    auto b = read_ipv4_prefix(diag, n["b"], "b", 1, 32);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->len, 24);
    EXPECT_TRUE(diag.ok()) << diag.message();

    EXPECT_FALSE(read_ipv4_prefix(diag, n["c"], "c", 1, 32));
    EXPECT_FALSE(read_ipv4_addr(diag, n["d"], "d"));
    EXPECT_FALSE(read_ipv4_prefix(diag, n["e"], "e"));
    EXPECT_FALSE(read_ipv4_prefix(diag, n["f"], "f"));
    const std::string m = diag.message();
    EXPECT_NE(m.find("c: '10.1.2.3/0' has an out-of-range prefix length; expected an IPv4 "
                     "address with a prefix length a.b.c.d/1..32"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("d: '300.1.1.1' is not an IPv4 address"), std::string::npos) << m;
    EXPECT_NE(m.find("e: '10.1.2.3' has no prefix length"), std::string::npos) << m;
    EXPECT_NE(m.find("f: '010.1.2.3/8' is not an IPv4 prefix"), std::string::npos) << m;
}

} // namespace
} // namespace vipgate::config
