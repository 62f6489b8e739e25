#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "common/json.hpp"
#include "common/text_table.hpp"

using vipgate::json;

TEST(Json, DumpKeepsInsertionOrderAndEscapes) {
    json o = json::object();
    o["b"] = 1;
    o["a"] = "x\"y\n";
    o["n"] = nullptr;
    o["t"] = true;
    o["neg"] = -5;
    EXPECT_EQ(o.dump(), R"({"b":1,"a":"x\"y\n","n":null,"t":true,"neg":-5})");
}

TEST(Json, SetReplacesExistingKey) {
    json o = json::object();
    o["k"] = 1;
    o["k"] = 2;
    EXPECT_EQ(o.size(), 1u);
    EXPECT_EQ(o["k"].get<std::int64_t>(), 2);
}

TEST(Json, ParseRoundTrip) {
    json a = json::array();
    json row = json::object();
    row["name"] = "ext0";
    row["rx"] = 18446744073709551615ull;
    row["ratio"] = 0.5;
    a.push_back(row);
    json back;
    ASSERT_NO_THROW(back = json::parse(a.dump(2)));
    EXPECT_EQ(back[0]["name"].get<std::string>(), "ext0");
    EXPECT_EQ(back[0]["rx"].get<std::uint64_t>(), 18446744073709551615ull);
    EXPECT_DOUBLE_EQ(back[0]["ratio"].get<double>(), 0.5);
}

TEST(Json, ParseRejectsMalformed) {
    json j;
    for (const char* bad :
         {"", "{", "[1,]", "{\"a\" 1}", "tru", "\"unterminated", "[1] x", "{\"a\":1,}"}) {
        EXPECT_FALSE(json::accept(bad)) << bad;
        EXPECT_THROW(j = json::parse(bad), json::parse_error) << bad;
    }
}

TEST(Json, RenderTableAlignsColumns) {
    json rows = json::array();
    json r1 = json::object();
    r1["name"] = "a";
    r1["value"] = 100;
    json r2 = json::object();
    r2["name"] = "longer";
    r2["value"] = 1;
    rows.push_back(r1);
    rows.push_back(r2);
    EXPECT_EQ(vipgate::render_table(rows), "name    value\na       100\nlonger  1\n");
    EXPECT_EQ(vipgate::render_table(json::array()), "(none)\n");
}

TEST(TextTable, TypedCellsAlignLikeTheJsonTable) {
    EXPECT_EQ(vipgate::render_text_table({"name", "value"}, {{"a", "100"}, {"longer", "1"}}),
              "name    value\na       100\nlonger  1\n");
    EXPECT_EQ(vipgate::render_text_table({"name"}, {}), "(none)\n");
    EXPECT_EQ(vipgate::render_text_table({"a", "b"}, {{"x"}}), "a  b\nx  -\n")
        << "a missing cell prints as -";
    EXPECT_EQ(vipgate::render_text_kv({{"ports", "2"}, {"uptime_s", "5"}}),
              "ports:    2\nuptime_s: 5\n");
}

// What every `show ... json` reply relies on: the printed form of each kind
// of value (tests/dataplane/golden/ pins whole replies).

TEST(Json, DoublesPrintWithSixSignificantDigitsAndNoTrailingZero) {
    EXPECT_EQ(json(1.0).dump(), "1");
    EXPECT_EQ(json(0.0).dump(), "0");
    EXPECT_EQ(json(-0.0).dump(), "-0");
    EXPECT_EQ(json(0.5).dump(), "0.5");
    EXPECT_EQ(json(-1.5).dump(), "-1.5");
    EXPECT_EQ(json(0.1).dump(), "0.1");
    EXPECT_EQ(json(2.0 / 3).dump(), "0.666667");
    EXPECT_EQ(json(30.0390625).dump(), "30.0391"); // a VRRP master_down_interval
    EXPECT_EQ(json(123456.0).dump(), "123456");
    EXPECT_EQ(json(1234567.0).dump(), "1.23457e+06");
    EXPECT_EQ(json(1e21).dump(), "1e+21");
    EXPECT_EQ(json(1e-5).dump(), "1e-05");
    EXPECT_EQ(json(0.0001).dump(), "0.0001");
    EXPECT_EQ(json(std::numeric_limits<double>::quiet_NaN()).dump(), "null");
    EXPECT_EQ(json(std::numeric_limits<double>::infinity()).dump(), "null");
    EXPECT_TRUE(json(1.0).is_number_float()) << "a whole double stays a double";
}

TEST(Json, IntegersKeepTheirFullRange) {
    EXPECT_EQ(json(0).dump(), "0");
    EXPECT_EQ(json(-5).dump(), "-5");
    EXPECT_EQ(json(std::numeric_limits<std::int64_t>::min()).dump(), "-9223372036854775808");
    EXPECT_EQ(json(std::numeric_limits<std::uint64_t>::max()).dump(), "18446744073709551615");
    EXPECT_EQ(json(4294967295u).dump(), "4294967295");
    EXPECT_TRUE(json(7u).is_number_unsigned());
    EXPECT_TRUE(json(-7).is_number_integer() && !json(-7).is_number_unsigned());
}

TEST(Json, StringsEscapeQuotesBackslashesAndControlCharacters) {
    EXPECT_EQ(json("q\" b\\ n\n r\r t\t").dump(), R"("q\" b\\ n\n r\r t\t")");
    EXPECT_EQ(json(std::string("\x01\x1f", 2)).dump(), R"("\u0001\u001f")");
    // Backspace and form feed: JSON's short escapes (RFC 8259 section 7);
    // the hand-written printer before nlohmann wrote \u0008 and \u000c.
    EXPECT_EQ(json("\b\f").dump(), R"("\b\f")");
    // DEL, '/' and valid UTF-8 go out as they are.
    EXPECT_EQ(json("\x7f / \xc3\xa9").dump(), "\"\x7f / \xc3\xa9\"");
    json o = json::object();
    o["k\"ey"] = 1;
    EXPECT_EQ(o.dump(), R"({"k\"ey":1})");
}

// A reply must stay valid UTF-8 (and must not fail) whatever bytes a name
// holds: dump_json() puts U+FFFD for each invalid sequence. (The hand-written
// printer before nlohmann copied the bytes, which made the reply invalid.)
TEST(Json, InvalidUtf8IsReplaced) {
    const json bad = std::string("a\xff"
                                 "b\xc3");
    EXPECT_EQ(vipgate::dump_json(bad), "\"a\xef\xbf\xbd"
                                       "b\xef\xbf\xbd\"");
    json o = json::object();
    o["name"] = bad;
    EXPECT_EQ(vipgate::dump_json(o, 2), "{\n  \"name\": \"a\xef\xbf\xbd"
                                        "b\xef\xbf\xbd\"\n}");
    EXPECT_THROW((void)bad.dump(), json::type_error) << "the library's own default: use dump_json";
}

TEST(Json, EmptyContainersAndIndentation) {
    json o = json::object();
    o["a"] = json::object();
    o["b"] = json::array();
    json arr = json::array();
    arr.push_back(json::object());
    arr.push_back(json::array());
    arr.push_back(1);
    o["c"] = arr;
    json inner = json::object();
    inner["x"] = nullptr;
    inner["y"] = false;
    o["d"] = inner;
    EXPECT_EQ(o.dump(), R"({"a":{},"b":[],"c":[{},[],1],"d":{"x":null,"y":false}})");
    EXPECT_EQ(o.dump(2), "{\n"
                         "  \"a\": {},\n"
                         "  \"b\": [],\n"
                         "  \"c\": [\n"
                         "    {},\n"
                         "    [],\n"
                         "    1\n"
                         "  ],\n"
                         "  \"d\": {\n"
                         "    \"x\": null,\n"
                         "    \"y\": false\n"
                         "  }\n"
                         "}");
    EXPECT_EQ(json::array().dump(2), "[]");
    EXPECT_EQ(json::object().dump(2), "{}");
    EXPECT_EQ(json("s").dump(2), "\"s\"");
}

TEST(Json, ToTextAndKeyValueRendering) {
    EXPECT_EQ(vipgate::to_text(json(nullptr)), "-");
    EXPECT_EQ(vipgate::to_text(json(true)), "true");
    EXPECT_EQ(vipgate::to_text(json("s")), "s");
    EXPECT_EQ(vipgate::to_text(json(2.5)), "2.5");
    EXPECT_EQ(vipgate::to_text(json(1.0)), "1");
    json o = json::object();
    o["name"] = "VI_1";
    o["interval_s"] = 1.0;
    o["peers"] = json::array();
    o["none"] = nullptr;
    EXPECT_EQ(vipgate::render_kv(o),
              "name:       VI_1\ninterval_s: 1\npeers:      []\nnone:       -\n");
}
