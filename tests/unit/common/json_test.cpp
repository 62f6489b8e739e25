#include <gtest/gtest.h>

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
