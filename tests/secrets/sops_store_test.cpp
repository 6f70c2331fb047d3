// Each store alone, from small strings: what it reads, how it types values, where
// comments go, and that what it writes reads back to the same tree.
#include <gtest/gtest.h>

#include "secrets/sops/errors.h"
#include "secrets/sops/store.h"

namespace varan::sops {
namespace {

Node load(Format f, std::string_view text) {
  auto b = make_store(f)->load_plain(text);
  EXPECT_EQ(b.size(), 1u);
  return b.empty() ? Node() : b[0];
}

std::string emit(Format f, const Node& doc) { return make_store(f)->emit_plain({doc}); }

Node without_comments(const Node& n) {
  Node out = n;
  out.map.clear();
  out.list.clear();
  for (const auto& [k, v] : n.map)
    if (!k.is_comment()) out.map.emplace_back(k, without_comments(v));
  for (const auto& v : n.list)
    if (!v.is_comment()) out.list.push_back(without_comments(v));
  return out;
}

TEST(DotenvStore, ReadsLinesExactlyAsSops) {
  Node d = load(Format::kDotenv,
                "A=1\n#comment\n\nB = spaced \nC=x=y\nD=line\\nbreak\n # not a comment=1\nE=\n");
  ASSERT_EQ(d.map.size(), 7u);
  EXPECT_EQ(d.map[0].second, Node::string("1"));
  EXPECT_TRUE(d.map[1].first.is_comment());
  EXPECT_EQ(d.map[1].first.str, "comment");
  EXPECT_EQ(d.map[2].first.str, "B ");  // no trimming
  EXPECT_EQ(d.map[2].second.str, " spaced ");
  EXPECT_EQ(d.map[3].second.str, "x=y");
  EXPECT_EQ(d.map[4].second.str, "line\nbreak");
  EXPECT_EQ(d.map[5].first.str, " # not a comment");
  EXPECT_EQ(d.map[6].second.str, "");
  EXPECT_EQ(emit(Format::kDotenv, d),
            "A=1\n#comment\nB = spaced \nC=x=y\nD=line\\nbreak\n # not a comment=1\nE=\n");
  try {
    load(Format::kDotenv, "A=1\nSECRET_WITHOUT_EQUALS\n");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("SECRET"), std::string::npos)
        << "the line may be a secret";
  }
}

TEST(JsonStore, KeepsOrderAndWritesAsGo) {
  Node d = load(
      Format::kJson,
      R"({"z": 1, "a": [true, null, 2.5e-7, 18446744073709551615], "m": {}, "s": "<&>\u2028é", "l": []})");
  EXPECT_EQ(d.map[0].first.str, "z");
  EXPECT_EQ(d.map[1].second.list[3].kind, Node::Kind::kFloat);  // beyond int64: a float, as Go
  EXPECT_EQ(emit(Format::kJson, d),
            "{\n\t\"z\": 1,\n\t\"a\": "
            "[\n\t\ttrue,\n\t\tnull,\n\t\t2.5e-7,\n\t\t18446744073709552000\n\t],\n\t\"m\": {},\n"
            "\t\"s\": \"\\u003c\\u0026\\u003e\\u2028é\",\n\t\"l\": []\n}\n");
  EXPECT_EQ(
      make_store(Format::kJson, {4, 2})->emit_plain({load(Format::kJson, R"({"a":{"b":1}})")}),
      "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n");
  EXPECT_THROW(load(Format::kJson, "[1, 2]"), Error);
  EXPECT_THROW(load(Format::kJson, "{\"a\": }"), Error);
}

TEST(IniStore, SectionsCommentsAndBothMultilineStyles) {
  Node d = load(
      Format::kIni,
      "; about db\n[db]\nhost = localhost\n# the password\npass: \"secret value\"\nurl = http://x "
      "; inline\n"
      "[sops]\nenc = -----BEGIN\\nX\\n-----END\\n\nenc2 = \"\"\"-----BEGIN\nX\n-----END\n\"\"\"\n");
  const Node* db = d.find("db");
  ASSERT_TRUE(db);
  EXPECT_TRUE(db->map[0].first.is_comment());
  EXPECT_EQ(db->map[0].first.str, "about db");
  EXPECT_EQ(db->find("host")->str, "localhost");
  EXPECT_EQ(db->find("pass")->str, "secret value");
  EXPECT_EQ(db->find("url")->str, "http://x");
  const Node* s = d.find("sops");
  EXPECT_EQ(s->find("enc")->str,
            "-----BEGIN\\nX\\n-----END\\n");  // unescaped later, for metadata only
  EXPECT_EQ(s->find("enc2")->str, "-----BEGIN\nX\n-----END\n");
  std::string out = emit(Format::kIni, d);
  EXPECT_NE(out.find("; about db\n[db]\nhost = localhost\n; the password\npass = secret value\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(without_comments(load(Format::kIni, out)), without_comments(d));
}

TEST(YamlStore, TypesScalarsAsGoYamlV3) {
  Node d = load(Format::kYaml,
                "i: 42\nh: 0x1F\no: 0o17\nneg: -7\nf: 1.5\nexp: 1e3\nt: true\nT: True\nyes: "
                "yes\nn: ~\nnull2: null\n"
                "s: \"42\"\nsq: 'true'\nts: 2024-01-02\ninf: .inf\nlit: |\n  a\n  b\nfold: >-\n  "
                "c\n  d\ntagged: !!str 12\n");
  EXPECT_EQ(*d.find("i"), Node::integer(42));
  EXPECT_EQ(*d.find("h"), Node::integer(31));
  EXPECT_EQ(*d.find("o"), Node::integer(15));
  EXPECT_EQ(*d.find("neg"), Node::integer(-7));
  EXPECT_EQ(*d.find("f"), Node::floating(1.5));
  EXPECT_EQ(*d.find("exp"), Node::floating(1000));
  EXPECT_EQ(*d.find("t"), Node::boolean(true));
  EXPECT_EQ(*d.find("T"), Node::boolean(true));
  EXPECT_EQ(*d.find("yes"), Node::string("yes"));  // YAML 1.2: not a boolean
  EXPECT_EQ(d.find("n")->kind, Node::Kind::kNull);
  EXPECT_EQ(d.find("null2")->kind, Node::Kind::kNull);
  EXPECT_EQ(*d.find("s"), Node::string("42"));
  EXPECT_EQ(*d.find("sq"), Node::string("true"));
  EXPECT_EQ(*d.find("ts"), Node::string("2024-01-02"));
  EXPECT_EQ(d.find("inf")->kind, Node::Kind::kFloat);
  EXPECT_EQ(*d.find("lit"), Node::string("a\nb\n"));
  EXPECT_EQ(*d.find("fold"), Node::string("c d"));
  EXPECT_EQ(*d.find("tagged"), Node::string("12"));
}

TEST(YamlStore, AnchorsAliasesAndMergeKeysAsSopsSeesThem) {
  Node d = load(Format::kYaml, "base: &b\n  x: 1\nuse:\n  <<: *b\n  y: 2\nlist: [*b]\n");
  const Node* use = d.find("use");
  ASSERT_TRUE(use);
  // sops keeps "<<" as an ordinary key whose value is the aliased mapping.
  EXPECT_EQ(use->map[0].first.str, "<<");
  EXPECT_EQ(*use->map[0].second.find("x"), Node::integer(1));
  EXPECT_EQ(d.find("list")->list[0], *d.find("base"));
}

TEST(YamlStore, KeepsCommentsWhereTheyAre) {
  std::string text =
      "# head\nname: web # inline\nnested:\n    # inside\n    a: 1\n    # foot of nested\n# before "
      "b\nb:\n    - x # on x\n"
      "    # list foot\n";
  Node d = load(Format::kYaml, text);
  ASSERT_TRUE(d.map[0].first.is_comment());
  EXPECT_EQ(d.map[0].first.str, " head");
  EXPECT_TRUE(d.map[2].first.is_comment());
  EXPECT_TRUE(d.map[2].first.inline_comment);
  const Node* nested = d.find("nested");
  EXPECT_EQ(nested->map[0].first.str, " inside");
  EXPECT_EQ(nested->map.back().first.str, " foot of nested");
  EXPECT_EQ(d.map[4].first.str, " before b");
  EXPECT_EQ(emit(Format::kYaml, d), text);
}

TEST(YamlStore, QuotesWhatWouldReadBackAsSomethingElse) {
  Node d = Node::mapping();
  for (const char* s : {"true", "123", "", "- x", "a: b", " lead", "null", "1.5", "yes", "12:30",
                        "#x", "plain text", "multi\nline\n", "tab\there", "quote'd", "ünïcode"})
    d.add(std::string("k") + std::to_string(d.map.size()), Node::string(s));
  d.add("needs: quoting", Node::string("v"));
  d.add("empty_map", Node::mapping());
  d.add("empty_list", Node::sequence());
  std::string out = emit(Format::kYaml, d);
  EXPECT_NE(out.find("k0: \"true\"\n"), std::string::npos) << out;
  EXPECT_NE(out.find("k2: \"\"\n"), std::string::npos) << out;
  EXPECT_NE(out.find("k3: '- x'\n"), std::string::npos) << out;
  EXPECT_NE(out.find("k11: plain text\n"), std::string::npos) << out;
  EXPECT_NE(out.find("k12: |\n    multi\n    line\n"), std::string::npos) << out;
  EXPECT_NE(out.find("empty_map: {}\n"), std::string::npos) << out;
  EXPECT_EQ(load(Format::kYaml, out), d);
}

TEST(YamlStore, SeveralDocumentsAndRefusals) {
  auto docs = make_store(Format::kYaml)->load_plain("a: 1\n---\nb: 2\n");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(make_store(Format::kYaml)->emit_plain(docs), "a: 1\n---\nb: 2\n");
  EXPECT_THROW(load(Format::kYaml, "- a\n- b\n"), Error);
  EXPECT_THROW(load(Format::kYaml, "just a string\n"), Error);
  EXPECT_THROW(load(Format::kYaml, "1: a\n"), Error);
  try {
    load(Format::kYaml, "a: 1\nb: [1, 2\n");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line"), std::string::npos) << e.what();
  }
  // A billion laughs is refused, not expanded.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'k'; ++c) {
    char prev = static_cast<char>(c - 1);
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + "]\n";
  }
  EXPECT_THROW(load(Format::kYaml, bomb), Error);
}

TEST(BinaryStore, CarriesBytesInTheDataKey) {
  auto s = make_store(Format::kBinary);
  std::string raw("\x00\xff\n binary", 10);
  auto b = s->load_plain(raw);
  EXPECT_EQ(b[0].find("data")->str, raw);
  EXPECT_EQ(s->emit_plain(b), raw);
  Node other = Node::mapping();
  other.add("x", Node::string("y"));
  EXPECT_THROW(s->emit_plain({other}), Error);
}

}  // namespace
}  // namespace varan::sops
