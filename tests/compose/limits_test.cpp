// The loader's limits on hostile input (issue 11): depth, output size and time linear in the
// input. Each input here once crashed the loader (stack overflow), grew it to gigabytes, or
// ran for minutes; now each loads or fails at once with a message naming the file, the key
// or variable, and the limit.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/compose/apply.h"
#include "engine/compose/dotenv.h"
#include "engine/compose/limits.h"
#include "engine/compose/load.h"
#include "tests/support/support.h"

namespace varan::compose {
namespace {

using test::TempDir;

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i)
    out += s;
  return out;
}

class Limits : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_.path() + "/" + name, std::ios::binary) << text;
  }
  Project load(const std::string& yaml) {
    write("compose.yaml", yaml);
    LoadOptions o;
    o.cwd = dir_.path();
    o.inherit_environment = false;
    o.project_name = "t";
    return load_project(o);
  }
  std::string error(const std::string& yaml) {
    try {
      load(yaml);
    } catch (const Error& e) {
      return e.what();
    }
    return "<no error>";
  }
  TempDir dir_;
};

const char* kService = "services:\n  a:\n    image: busybox\n";

TEST_F(Limits, DeepNestingFailsInTheEventLoop) {
  // 100 000 `[` took libyaml 30 s (its time grows with the square of the depth).
  for (const std::string& deep : {repeat("[", 100000), repeat("{a: ", 100000)}) {
    std::string m = error(std::string(kService) + "    labels: " + deep + "\n");
    EXPECT_NE(m.find("compose.yaml: nested too deeply (more than 256 levels) at line 4"),
              std::string::npos)
        << m;
  }
  // Block style too, and just under the limit still loads.
  std::string block = "x-deep:\n";
  for (int i = 1; i <= 300; ++i)
    block += std::string(2 * i, ' ') + "k:\n";
  EXPECT_NE(error(block + kService).find("more than 256 levels"), std::string::npos);
  EXPECT_NO_THROW(load(std::string(kService) + "x-ok: " + repeat("[", 200) + repeat("]", 200)));
}

TEST_F(Limits, DeepDefaultsStopAtTheirLimit) {
  // 20 000 nested defaults overflowed the stack (SIGSEGV).
  std::string deep = repeat("${A:-", 20000) + "x" + repeat("}", 20000);
  std::string m = error(std::string(kService) + "    environment:\n      X: \"" + deep + "\"\n");
  EXPECT_NE(m.find("compose.yaml:5: services.a.environment.X: templates nest more than 64 levels"),
            std::string::npos)
      << m;
  write(".env", "X=" + deep + "\n");
  m = error(kService);
  EXPECT_NE(m.find(".env:1: X: templates nest more than 64 levels"), std::string::npos) << m;
  // 64 levels are fine.
  write(".env", "");
  Project p = load(std::string(kService) + "    environment:\n      X: \"" + repeat("${A:-", 64) +
                   "deep" + repeat("}", 64) + "\"\n");
  EXPECT_EQ(p.find("a")->config["environment"]["X"], "deep");
}

TEST_F(Limits, DoublingInDotenvStopsAtTheValueLimit) {
  // V1=${V0}${V0} ... 39 times grew the CLI to 15 GB.
  std::string env = "V0=xxxxxxxx\n";
  for (int i = 1; i < 40; ++i)
    env += "V" + std::to_string(i) + "=${V" + std::to_string(i - 1) + "}${V" +
           std::to_string(i - 1) + "}\n";
  write(".env", env);
  std::string m = error(std::string(kService) + "    environment: {X: $V39}\n");
  // 8 bytes doubled 17 times is 1 MiB; the 18th doubling passes the limit.
  EXPECT_NE(m.find(".env:19: V18: the value grows past 1 MiB when interpolated"), std::string::npos)
      << m;
  // The parser alone, as periphery and env_file use it, holds the same limit.
  Lookup none = [](const std::string&) { return std::optional<std::string>(); };
  EXPECT_THROW(parse_dotenv(env, "x.env", none), Error);
}

TEST_F(Limits, AliasesCountTheirBytes) {
  // A 1 MB anchored scalar aliased 3000 times reached 6 GB: the node guard counts no bytes.
  std::string yaml = "x-big: &big \"" + std::string(1000000, 'y') + "\"\nx-list:\n" +
                     repeat("  - *big\n", 3000) + kService;
  std::string m = error(yaml);
  EXPECT_NE(m.find("compose.yaml:"), std::string::npos) << m;
  EXPECT_NE(m.find("alias *big takes the project past 64 MiB"), std::string::npos) << m;
  // Forty copies are fine.
  EXPECT_NO_THROW(load("x-big: &big \"" + std::string(1000000, 'y') + "\"\nx-list:\n" +
                       repeat("  - *big\n", 40) + kService));
}

TEST_F(Limits, InterpolationCountsAgainstTheProject) {
  // Each value is under the limit for one, together they pass the project's.
  write(".env", "BIG=" + std::string(900000, 'b') + "\n");
  std::string yaml = kService + std::string("    environment:\n");
  for (int i = 0; i < 80; ++i)
    yaml += "      K" + std::to_string(i) + ": ${BIG}\n";
  std::string m = error(yaml);
  EXPECT_NE(m.find("environment.K"), std::string::npos) << m;
  EXPECT_NE(m.find("takes the project past 64 MiB"), std::string::npos) << m;
}

TEST_F(Limits, ExtendsChainIsResolvedOnce) {
  // A chain of 5000 (137 KB) took 110 s: each service resolved its whole chain again.
  std::string yaml = "services:\n  s0:\n    image: busybox\n    labels: {base: \"yes\"}\n";
  for (int i = 1; i < 5000; ++i)
    yaml += "  s" + std::to_string(i) + ":\n    extends: s" + std::to_string(i - 1) + "\n";
  yaml += "  s5000:\n    extends: s4999\n    labels: {top: \"yes\"}\n";
  Project p = load(yaml);
  ASSERT_EQ(p.services.size(), 5001u);
  EXPECT_EQ(p.find("s4999")->image, "busybox");
  EXPECT_EQ(p.find("s5000")->config["labels"], Json({{"base", "yes"}, {"top", "yes"}}));
  // Cycles are still found.
  std::string m = error("services:\n  a:\n    image: x\n    extends: b\n  b:\n    extends: a\n");
  EXPECT_NE(m.find("circular reference"), std::string::npos) << m;
}

TEST_F(Limits, UnclosedTemplatesInDotenvTakeLinearTime) {
  // Lenient .env parsing retried every unclosed `${` from every level of nesting: 22 of them
  // ran for more than a minute (exponential). Each is now tried once, and stays literal.
  std::string v = repeat("${A:-x", 40);
  write(".env", "X=" + v + "\nY=" + repeat("${9", 100000) + "\n");
  Project p = load(std::string(kService) + "    environment: [X, Y]\n");
  EXPECT_EQ(p.find("a")->config["environment"]["X"], v);
  EXPECT_EQ(p.find("a")->config["environment"]["Y"], repeat("${9", 100000));
}

TEST_F(Limits, ManyKeysTakeLinearTime) {
  // Duplicate keys and .env keys are found through an index, not by a scan per key.
  std::string yaml = std::string(kService) + "    labels:\n";
  std::string env;
  for (int i = 0; i < 100000; ++i) {
    yaml += "      l" + std::to_string(i) + ": v\n";
    env += "E" + std::to_string(i) + "=${E" + std::to_string(i ? i - 1 : 0) + ":-e}\n";
  }
  write(".env", env);
  Project p = load(yaml + "    environment: [E99999]\n");
  EXPECT_EQ(p.find("a")->config["labels"].size(), 100000u);
  EXPECT_EQ(p.find("a")->config["environment"]["E99999"], "e");
  EXPECT_NE(
      error(std::string(kService) + "    labels: {a: 1, b: 2, a: 3}\n").find("duplicate key \"a\""),
      std::string::npos);
}

TEST_F(Limits, EmptyInterpolationKeepsTheVariable) {
  // `X: ${UNSET:-}` dropped X from the container; docker-compose (v1, Debian's) keeps X: ''
  // for every form below. A bare key that is set nowhere (W) v1 leaves out; compose v2 keeps
  // it without a value (compose-go's TestEnvironmentMap: ZO is nil), and the container gets
  // `W`, which removes an image's value of it.
  Project p = load(
      "services:\n  a:\n    image: busybox\n    environment:\n"
      "      X: \"${UNSET:-}\"\n      Y: ''\n      Z: ${UNSET:-}\n      L: ${UNSET}\n      W:\n"
      "  b:\n    image: busybox\n    environment:\n      - X=\n      - Y=${UNSET:-}\n      - W\n");
  Json empty = {{"L", ""}, {"W", nullptr}, {"X", ""}, {"Y", ""}, {"Z", ""}};
  EXPECT_EQ(p.find("a")->config["environment"], empty);
  EXPECT_EQ(p.find("b")->config["environment"], Json({{"W", nullptr}, {"X", ""}, {"Y", ""}}));
  // ... and they reach the container as `X=`.
  Json body = create_body(p, *p.find("a"), 1, "sha256:0", {}, "", "1.43");
  EXPECT_EQ(body["Env"], Json({"L=", "W", "X=", "Y=", "Z="}));
}

}  // namespace
}  // namespace varan::compose
