#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "common/json.hpp"

using vipgate::json;

TEST(Json, DumpKeepsInsertionOrderAndEscapes) {
    json o = json::object();
    o.set("b", 1);
    o.set("a", "x\"y\n");
    o.set("n", nullptr);
    o.set("t", true);
    o.set("neg", -5);
    EXPECT_EQ(o.dump(), R"({"b":1,"a":"x\"y\n","n":null,"t":true,"neg":-5})");
}

TEST(Json, SetReplacesExistingKey) {
    json o = json::object();
    o.set("k", 1);
    o.set("k", 2);
    EXPECT_EQ(o.size(), 1u);
    EXPECT_EQ(o["k"].as_int(), 2);
}

TEST(Json, ParseRoundTrip) {
    json a = json::array();
    json row = json::object();
    row.set("name", "ext0");
    row.set("rx", 18446744073709551615ull);
    row.set("ratio", 0.5);
    a.push(row);
    json back;
    std::string err;
    ASSERT_TRUE(json::parse(a.dump(2), back, &err)) << err;
    EXPECT_EQ(back.as_array()[0]["name"].as_string(), "ext0");
    EXPECT_EQ(back.as_array()[0]["rx"].as_uint(), 18446744073709551615ull);
    EXPECT_DOUBLE_EQ(back.as_array()[0]["ratio"].as_double(), 0.5);
}

TEST(Json, ParseRejectsMalformed) {
    json j;
    for (const char* bad :
         {"", "{", "[1,]", "{\"a\" 1}", "tru", "\"unterminated", "[1] x", "{\"a\":1,}"}) {
        EXPECT_FALSE(json::parse(bad, j)) << bad;
    }
}

TEST(Json, RenderTableAlignsColumns) {
    json rows = json::array();
    json r1 = json::object();
    r1.set("name", "a");
    r1.set("value", 100);
    json r2 = json::object();
    r2.set("name", "longer");
    r2.set("value", 1);
    rows.push(r1);
    rows.push(r2);
    EXPECT_EQ(vipgate::render_table(rows), "name    value\na       100\nlonger  1\n");
    EXPECT_EQ(vipgate::render_table(json::array()), "(none)\n");
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
    EXPECT_TRUE(json(1.0).is_double()) << "a whole double stays a double";
}

TEST(Json, IntegersKeepTheirFullRange) {
    EXPECT_EQ(json(0).dump(), "0");
    EXPECT_EQ(json(-5).dump(), "-5");
    EXPECT_EQ(json(std::numeric_limits<std::int64_t>::min()).dump(), "-9223372036854775808");
    EXPECT_EQ(json(std::numeric_limits<std::uint64_t>::max()).dump(), "18446744073709551615");
    EXPECT_EQ(json(4294967295u).dump(), "4294967295");
    EXPECT_TRUE(json(7u).is_uint());
    EXPECT_TRUE(json(-7).is_int());
}

TEST(Json, StringsEscapeQuotesBackslashesAndControlCharacters) {
    EXPECT_EQ(json("q\" b\\ n\n r\r t\t").dump(), R"("q\" b\\ n\n r\r t\t")");
    EXPECT_EQ(json(std::string("\x01\x1f", 2)).dump(), R"("\u0001\u001f")");
    EXPECT_EQ(json("\b\f").dump(), R"("\u0008\u000c")");
    // DEL, '/' and valid UTF-8 go out as they are.
    EXPECT_EQ(json("\x7f / \xc3\xa9").dump(), "\"\x7f / \xc3\xa9\"");
    json o = json::object();
    o.set("k\"ey", 1);
    EXPECT_EQ(o.dump(), R"({"k\"ey":1})");
}

TEST(Json, InvalidUtf8PassesThroughAsBytes) {
    EXPECT_EQ(json("a\xff"
                   "b\xc3")
                  .dump(),
              "\"a\xff"
              "b\xc3\"");
}

TEST(Json, EmptyContainersAndIndentation) {
    json o = json::object();
    o.set("a", json::object());
    o.set("b", json::array());
    json arr = json::array();
    arr.push(json::object());
    arr.push(json::array());
    arr.push(1);
    o.set("c", arr);
    json inner = json::object();
    inner.set("x", nullptr);
    inner.set("y", false);
    o.set("d", inner);
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
    EXPECT_EQ(json(nullptr).to_text(), "-");
    EXPECT_EQ(json(true).to_text(), "true");
    EXPECT_EQ(json("s").to_text(), "s");
    EXPECT_EQ(json(2.5).to_text(), "2.5");
    EXPECT_EQ(json(1.0).to_text(), "1");
    json o = json::object();
    o.set("name", "VI_1");
    o.set("interval_s", 1.0);
    o.set("peers", json::array());
    o.set("none", nullptr);
    EXPECT_EQ(vipgate::render_kv(o),
              "name:       VI_1\ninterval_s: 1\npeers:      []\nnone:       -\n");
}
