// The deploy pipeline's parts that need no engine: stack files (Komodo's TOML and JSON),
// [[NAME]] interpolation and redaction, Komodo's multiline hook rules, recognising an
// in-process sops-decrypt, the environment file, and the shell runner.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

#include "hooks/command.h"
#include "hooks/deploy.h"
#include "hooks/interpolate.h"
#include "hooks/stack.h"
#include "tests/support/support.h"

namespace varan::test {
namespace {

using namespace varan::hooks;

TEST(StackFile, KomodoTomlForm) {
  StackFile f = parse_stack_toml(R"(
root_directory = "/srv/varan"
safe_directories = ["/srv/shared/*"]

[[stack]]
name = "media server"
[stack.config]
server = "host-1"
repo = "me/homelab"
branch = "prod"
run_directory = "stacks/media"
file_paths = ["compose.yaml", "compose.prod.yaml"]
environment = """
# comment
TZ=Europe/Paris
DB_PASSWORD = [[DB_PASSWORD]]
"""
additional_env_files = "common.env, more.env"
pre_deploy.path = "stacks/media"
pre_deploy.command = "sops-decrypt.sh"
extra_args = ["--remove-orphans"]
auto_pull = false
clone_path = "checkout"
reclone = true

[[variable]]
name = "DB_PASSWORD"
value = "s3cret-value"
is_secret = true

[[variable]]
name = "REGION"
value = "eu"

[secrets]
TOKEN = "tok-123456"
)",
                                 "stacks.toml");
  ASSERT_EQ(f.stacks.size(), 1u);
  const Stack& s = f.stacks[0];
  EXPECT_EQ(s.name, "media server");
  EXPECT_EQ(komodo::folder_name(s.name), "media_server");
  EXPECT_EQ(s.repo_url(), "https://github.com/me/homelab");
  EXPECT_EQ(s.branch, "prod");
  EXPECT_EQ(s.run_directory, "stacks/media");
  EXPECT_EQ(s.file_paths, (std::vector<std::string>{"compose.yaml", "compose.prod.yaml"}));
  EXPECT_EQ(s.additional_env_files, (std::vector<std::string>{"common.env", "more.env"}));
  EXPECT_EQ(s.pre_deploy.path, "stacks/media");
  EXPECT_EQ(s.pre_deploy.command, "sops-decrypt.sh");
  EXPECT_FALSE(s.auto_pull);
  EXPECT_EQ(s.clone_path, "checkout");
  EXPECT_TRUE(s.reclone);
  EXPECT_EQ(s.env_file_path, ".env");
  EXPECT_EQ(f.root_directory, "/srv/varan");
  EXPECT_EQ(f.safe_directories, (std::vector<std::string>{"/srv/shared/*"}));
  EXPECT_TRUE(f.variables.at("DB_PASSWORD").secret);
  EXPECT_FALSE(f.variables.at("REGION").secret);
  EXPECT_TRUE(f.variables.at("TOKEN").secret);
  EXPECT_TRUE(f.warnings.empty()) << f.warnings[0];
}

TEST(StackFile, JsonFormAndErrorsNameTheKey) {
  StackFile f = parse_stack_json(
      R"({"stack": [{"name": "a", "config": {"repo": "https://git.example/x.git",
          "environment": {"A": "1"}, "unknown_key": 1}}]})",
      "s.json");
  EXPECT_EQ(f.stacks[0].repo_url(), "https://git.example/x.git");
  EXPECT_EQ(f.stacks[0].environment, "A=1\n");
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].find("unknown_key"), std::string::npos);
  try {
    parse_stack_toml("[[stack]]\nname = \"a\"\n[stack.config]\nauto_pull = \"yes\"\n", "x.toml");
    FAIL();
  } catch (const hooks::Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.toml: stack \"a\": config.auto_pull: expected true"),
              std::string::npos)
        << e.what();
  }
  try {
    parse_stack_toml("[[stack]]\nname = \"a\"\nbroken = \n", "y.toml");
    FAIL();
  } catch (const hooks::Error& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("y.toml:3:")) << e.what();
  }
  EXPECT_THROW(parse_stack_toml("x = 1\n", "z.toml"), hooks::Error);  // no stack
}

TEST(Interpolation, KomodoBracketsEscapesAndRedaction) {
  std::map<std::string, Variable> vars = {{"PW", {"hunter2-long", true}},
                                          {"HOST", {"db.local", false}}};
  Redactor red;
  EXPECT_EQ(interpolate("pw=[[PW]] host=[[HOST]] keep=[[OTHER]] lit=[[[PW]]]", vars, red),
            "pw=hunter2-long host=db.local keep=[[OTHER]] lit=[[PW]]");
  EXPECT_EQ(red("echo hunter2-long at db.local"), "echo <PW> at db.local");
  red.add("ab", "SHORT");  // too short to redact safely
  EXPECT_EQ(red("abc"), "abc");
  Stack s;
  s.environment = "P=[[PW]]\n";
  s.pre_deploy.command = "echo [[PW]]";
  s.git_token = SecretString("[[PW]]");
  Redactor r2;
  interpolate_stack(s, vars, r2);
  EXPECT_EQ(s.environment, "P=hunter2-long\n");
  EXPECT_EQ(s.git_token.str(), "hunter2-long");
  EXPECT_EQ(r2("x hunter2-long"), "x <PW>");
}

TEST(Multiline, KomodoRules) {
  EXPECT_EQ(parse_multiline("# setup\n  cd app # go there\n\nmake build\n"),
            "cd app && make build");
  EXPECT_EQ(parse_multiline("curl -X POST \\\n  --data x \\\n  https://h\necho done"),
            "curl -X POST --data x https://h && echo done");
  EXPECT_EQ(parse_multiline("   \n# only comments\n"), "");
  EXPECT_EQ(parse_multiline("echo a#b"), "echo a#b");  // '#' inside a word stays
}

TEST(Multiline, SopsDecryptIsRecognised) {
  auto c = as_sops_decrypt("sops-decrypt.sh");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->dirs.empty());
  c = as_sops_decrypt("/usr/local/bin/sops-decrypt -r stacks other");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->recursive);
  EXPECT_EQ(c->dirs, (std::vector<std::string>{"stacks", "other"}));
  EXPECT_FALSE(as_sops_decrypt("sops-decrypt && echo hi"));
  EXPECT_FALSE(as_sops_decrypt("sops-decrypt $DIR"));
  EXPECT_FALSE(as_sops_decrypt("sops-decrypt --unknown"));
  EXPECT_FALSE(as_sops_decrypt("sops -d x.sops.env > .env"));
  EXPECT_FALSE(as_sops_decrypt("my-sops-decrypt-wrapper"));
}

TEST(EnvironmentFile, KomodoLineForms) {
  EXPECT_EQ(environment_file_text("# c\nA=1\nB: two words\n- C=3 # note\n  D = \"q\"\n\nbad\n"),
            "A=1\nB=two words\nC=3\nD=q\n");
  EXPECT_EQ(environment_file_text(""), "");
}

TEST(Shell, StatusOutputCwdAndTimeout) {
  TempDir d;
  ShellResult r = run_shell("pwd; echo oops >&2; exit 3", d.path(), 10);
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.out, d.path() + "\n");
  EXPECT_EQ(r.err, "oops\n");
  // The timeout kills the hook: the sleep it started is gone when run_shell returns.
  r = run_shell("echo $$ > pid; exec sleep 30", d.path(), 1);
  EXPECT_TRUE(r.timed_out);
  std::string pid = read_text(d / "pid");
  ASSERT_FALSE(pid.empty());
  EXPECT_NE(::kill(std::stoi(pid), 0), 0) << "the timed-out hook is still running";
  r = run_shell("true", d.path() + "/missing", 5);
  EXPECT_EQ(r.status, 126);
  EXPECT_NE(r.err.find("hook's folder"), std::string::npos);
}

}  // namespace
}  // namespace varan::test
