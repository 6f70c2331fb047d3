// Interpolation (`${...}` in compose values) and the .env syntax, from small strings.
#include <gtest/gtest.h>

#include "engine/compose/dotenv.h"
#include "engine/compose/interpolate.h"

namespace varan::compose {
namespace {

std::string interp(const std::string& text, std::map<std::string, std::string> env,
                   Interpolation* out = nullptr) {
  Interpolation ctx;
  ctx.lookup = [env](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  std::string r = interpolate(text, ctx, "compose.yaml:3");
  if (out) *out = ctx;
  return r;
}

TEST(Interpolate, EveryForm) {
  std::map<std::string, std::string> env = {{"SET", "value"}, {"EMPTY", ""}};
  EXPECT_EQ(interp("$SET", env), "value");
  EXPECT_EQ(interp("${SET}", env), "value");
  EXPECT_EQ(interp("a${SET}b$SET.c", env),
            "avalueb"
            "value.c");
  EXPECT_EQ(interp("${UNSET:-def}", env), "def");
  EXPECT_EQ(interp("${EMPTY:-def}", env), "def");
  EXPECT_EQ(interp("${EMPTY-def}", env), "");
  EXPECT_EQ(interp("${UNSET-def}", env), "def");
  EXPECT_EQ(interp("${SET:-def}", env), "value");
  EXPECT_EQ(interp("${SET:+alt}", env), "alt");
  EXPECT_EQ(interp("${EMPTY:+alt}", env), "");
  EXPECT_EQ(interp("${EMPTY+alt}", env), "alt");
  EXPECT_EQ(interp("${UNSET+alt}", env), "");
  EXPECT_EQ(interp("${SET:?must}", env), "value");
  EXPECT_EQ(interp("${EMPTY?must}", env), "");
  EXPECT_EQ(interp("$$SET and $${SET}", env), "$SET and ${SET}");
  EXPECT_EQ(interp("${UNSET:-${SET}}", env), "value");
  EXPECT_EQ(interp("${UNSET:-${ALSO_UNSET:-deep}}", env), "deep");
  EXPECT_EQ(interp("${UNSET:-a:b/c}", env), "a:b/c");
  EXPECT_EQ(interp("${lower_case}", {{"lower_case", "ok"}}), "ok");
}

TEST(Interpolate, UnsetWarnsOnceAndUnusedDefaultsDoNot) {
  Interpolation ctx;
  EXPECT_EQ(interp("$A-${A}-${SET:-$B}", {{"SET", "x"}}, &ctx), "--x");
  ASSERT_EQ(ctx.unset.size(), 1u);
  EXPECT_EQ(ctx.unset[0], "A");
}

TEST(Interpolate, RequiredVariableNamesItAndTheMessage) {
  try {
    interp("${DB_PASSWORD:?set it in .env}", {});
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("compose.yaml:3"), std::string::npos) << m;
    EXPECT_NE(m.find("DB_PASSWORD"), std::string::npos) << m;
    EXPECT_NE(m.find("set it in .env"), std::string::npos) << m;
  }
  EXPECT_THROW(interp("${X?}", {}), Error);
  EXPECT_THROW(interp("${X:?}", {{"X", ""}}), Error);
  // An error in an unused branch is not raised.
  EXPECT_EQ(interp("${SET:-${X:?no}}", {{"SET", "v"}}), "v");
}

TEST(Interpolate, MalformedTemplatesAreErrors) {
  for (const char* bad : {"${", "${}", "${1X}", "${X", "${X:}", "${X!y}", "a ${X:-${Y}"}) {
    EXPECT_THROW(interp(bad, {}), Error) << bad;
  }
  // A `$` that starts no template is literal text, as compose-go reads it.
  EXPECT_EQ(interp("echo $(date) costs $ 5 $", {}), "echo $(date) costs $ 5 $");
}

TEST(Interpolate, TreeInterpolatesValuesNotKeys) {
  YNode root = parse_yaml(
      "services:\n  ${K}:\n    image: ${IMG}\n    command: [\"$$HOME\", \"${IMG}\"]\n", "f.yaml");
  Interpolation ctx;
  ctx.lookup = [](const std::string& k) -> std::optional<std::string> {
    if (k == "IMG") return "busybox";
    return std::nullopt;
  };
  interpolate_tree(root, ctx);
  const YNode* svc = root.find("services")->find("${K}");
  ASSERT_NE(svc, nullptr);
  EXPECT_EQ(svc->find("image")->value, "busybox");
  EXPECT_EQ(svc->find("command")->seq[0].value, "$HOME");
  EXPECT_EQ(svc->find("command")->seq[1].value, "busybox");
}

TEST(Interpolate, ErrorsInTreesNameTheLineAndPath) {
  YNode root = parse_yaml(
      "services:\n  web:\n    image: x\n    environment:\n      P: ${P:?needed}\n", "c.yaml");
  Interpolation ctx;
  ctx.lookup = [](const std::string&) { return std::optional<std::string>(); };
  try {
    interpolate_tree(root, ctx);
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("c.yaml:5"), std::string::npos) << m;
    EXPECT_NE(m.find("services.web.environment.P"), std::string::npos) << m;
  }
}

EnvList env(const std::string& text, std::map<std::string, std::string> outer = {}) {
  Lookup l = [outer](const std::string& k) -> std::optional<std::string> {
    auto it = outer.find(k);
    if (it == outer.end()) return std::nullopt;
    return it->second;
  };
  return parse_dotenv(text, ".env", l);
}

std::string get(const EnvList& e, const std::string& k) {
  for (const auto& [kk, v] : e)
    if (kk == k) return v;
  return "<missing>";
}

TEST(Dotenv, Syntax) {
  auto e =
      env("# comment\n"
          "\n"
          "PLAIN=value\n"
          "export EXPORTED=yes\n"
          "SPACED = around  \n"
          "COLON: yaml-style\n"
          "COMMENTED=abc # a comment\n"
          "HASH=abc#not-a-comment\n"
          "SINGLE='literal $PLAIN \\n'\n"
          "DOUBLE=\"line\\nnext \\\"q\\\" $PLAIN\"\n"
          "MULTI=\"one\n"
          "two\"\n"
          "EMPTY=\n"
          "EXPANDED=${PLAIN}-${UNSET:-dflt}\n"
          "DOLLAR=pa$$word\n"
          "LONE=cost $ 5\n"
          "INHERITED\n"
          "NOT_THERE\n",
          {{"INHERITED", "from-env"}});
  EXPECT_EQ(get(e, "PLAIN"), "value");
  EXPECT_EQ(get(e, "EXPORTED"), "yes");
  EXPECT_EQ(get(e, "SPACED"), "around");
  EXPECT_EQ(get(e, "COLON"), "yaml-style");
  EXPECT_EQ(get(e, "COMMENTED"), "abc");
  EXPECT_EQ(get(e, "HASH"), "abc#not-a-comment");
  EXPECT_EQ(get(e, "SINGLE"), "literal $PLAIN \\n");
  EXPECT_EQ(get(e, "DOUBLE"), "line\nnext \"q\" value");
  EXPECT_EQ(get(e, "MULTI"), "one\ntwo");
  EXPECT_EQ(get(e, "EMPTY"), "");
  EXPECT_EQ(get(e, "EXPANDED"), "value-dflt");
  EXPECT_EQ(get(e, "DOLLAR"), "pa$word");
  EXPECT_EQ(get(e, "LONE"), "cost $ 5");
  EXPECT_EQ(get(e, "INHERITED"), "from-env");
  EXPECT_EQ(get(e, "NOT_THERE"), "<missing>");
}

TEST(Dotenv, BomCrlfAndLaterKeysWin) {
  auto e =
      env("\xEF\xBB\xBF"
          "A=1\r\nB=2\r\nA=3\r\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(get(e, "A"), "3");
  EXPECT_EQ(get(e, "B"), "2");
}

TEST(Dotenv, ErrorsNameFileAndLine) {
  try {
    env("A=1\nB=\"unterminated\n");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(".env:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(env("BAD KEY=1\n"), Error);
  EXPECT_THROW(env("A=\"x\" trailing\n"), Error);
}

TEST(Dotenv, RawFormatDoesNotExpand) {
  Lookup none = [](const std::string&) { return std::optional<std::string>(); };
  auto e = parse_dotenv("A=$B ${C}\n", "f", none, true);
  EXPECT_EQ(get(e, "A"), "$B ${C}");
}

}  // namespace
}  // namespace varan::compose
