// The hook runner as an attacker on the same host sees it, and as a killed deploy leaves it:
// interpolated secrets never appear in any process's argv (/proc/PID/cmdline, readable by
// every local user), the command keeps `sh -c`'s semantics, and a hook's whole process group
// dies with the `varan deploy` that started it, even when that deploy is SIGKILLed.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "hooks/command.h"
#include "tests/support/support.h"

namespace varan::test {
namespace {

using namespace varan::hooks;
using namespace std::chrono_literals;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Proc {
  pid_t pid = 0;
  char state = '?';
  std::string cmdline;  // arguments joined by NULs, as the kernel keeps them
};

// Every process of the process group `pgrp` (zombies included), read from /proc.
std::vector<Proc> group_members(pid_t pgrp) {
  std::vector<Proc> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string dir = std::string("/proc/") + e->d_name;
    std::string stat = slurp(dir + "/stat");
    auto paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(paren + 2));
    Proc p;
    pid_t ppid = 0, group = 0;
    fields >> p.state >> ppid >> group;
    if (group != pgrp) continue;
    p.pid = std::stoi(e->d_name);
    p.cmdline = slurp(dir + "/cmdline");
    out.push_back(std::move(p));
  }
  ::closedir(d);
  return out;
}

std::size_t live_members(pid_t pgrp) {
  std::size_t n = 0;
  for (const auto& p : group_members(pgrp))
    n += p.state != 'Z' && p.state != 'X';
  return n;
}

// Waits (generously: the machine may be loaded) until `path` holds a line.
std::string wait_for_line(const std::string& path, std::chrono::seconds limit = 60s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    std::string s = slurp(path);
    if (!s.empty() && s.back() == '\n') return s;
    std::this_thread::sleep_for(20ms);
  }
  return "";
}

TEST(HookCommand, TheCommandKeepsShCSemantics) {
  TempDir d;
  auto r = run_shell("echo \"[$0] [${VARAN_HOOK_COMMAND-unset}]\" && exit 5 && echo never",
                     d.path(), 10);
  EXPECT_EQ(r.status, 5);
  EXPECT_EQ(r.out, "[sh] [unset]\n") << "the command's carrier must not reach the command";
  r = run_shell("echo 'a  \"b\"' $((1 + 2)) | tr a A; false || echo \"$PWD\"", d.path(), 10);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "A  \"b\" 3\n" + d.path() + "\n");
  r = run_shell("echo ok; if then", d.path(), 10);
  EXPECT_EQ(r.status, 2) << "a syntax error runs nothing, as with sh -c";
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Syntax error"), std::string::npos) << r.err;
}

TEST(HookCommand, SecretsNeverReachTheArgvOfTheShellOrItsChildren) {
  TempDir d;
  const std::string secret = "hunter2-" + std::to_string(::getpid()) + "-s3cr3t";
  // As deploy runs it: the secret interpolated into the command, which forks a subshell, a
  // pipeline and a program that waits for us.
  std::string command = parse_multiline("echo $$ > pid\necho " + secret +
                                        " > token\n( sleep 300 || echo woke ) | cat");
  ShellResult r;
  std::thread hook([&] { r = run_shell(command, d.path(), 120); });
  std::string pid = wait_for_line(d / "pid");
  ASSERT_FALSE(pid.empty()) << "the hook did not start";
  pid_t shell = std::stoi(pid);
  pid_t pgrp = ::getpgid(shell);
  ASSERT_GT(pgrp, 0);
  std::vector<Proc> members;
  pid_t sleeper = 0;
  for (auto until = std::chrono::steady_clock::now() + 60s;
       sleeper == 0 && std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(20ms);
    members = group_members(pgrp);
    for (const auto& p : members)
      if (p.cmdline.starts_with(std::string("sleep\0", 6))) sleeper = p.pid;
  }
  ASSERT_NE(sleeper, 0) << "the hook's sleep never showed up";
  // shell, subshell, sleep, cat (and the runner's watchman): nothing vacuous here.
  EXPECT_GE(members.size(), 4u);
  for (const auto& p : members) {
    EXPECT_EQ(p.cmdline.find(secret), std::string::npos)
        << "pid " << p.pid << " shows the secret in its argv: " << p.cmdline;
    // What the shell starts does not inherit the variable that carried the command.
    if (!p.cmdline.starts_with(std::string("sh\0", 3))) {
      EXPECT_EQ(slurp("/proc/" + std::to_string(p.pid) + "/environ").find(secret),
                std::string::npos)
          << "pid " << p.pid << " (" << p.cmdline << ") has the secret in its environment";
    }
  }
  ::kill(sleeper, SIGTERM);
  hook.join();
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "woke\n");
  EXPECT_EQ(read_text(d / "token"), secret + "\n") << "the secret did reach the command";
}

TEST(HookCommand, AHookDiesWithTheDeployThatStartedIt) {
  TempDir d;
  std::string root = d / "root";
  ::mkdir(root.c_str(), 0755);
  ::mkdir((root + "/hookkill").c_str(), 0755);
  // A hook with a background child and a foreground one: neither may outlive the deploy.
  write_text(d / "stacks.toml",
             "[[stack]]\nname = \"hookkill\"\n[stack.config]\n"
             "pre_deploy.command = \"sleep 301 >/dev/null 2>&1 & echo $$ > " +
                 d.path() + "/pid && sleep 300 && echo late > " + d.path() + "/late\"\n");
  const char* docker = std::getenv("DOCKER_HOST");
  pid_t deployer = spawn_background({VARAN_BIN, "deploy", d / "stacks.toml", "--root", root},
                                    d / "deploy.log", {{"DOCKER_HOST", docker ? docker : ""}});
  std::string pid = wait_for_line(d / "pid");
  if (pid.empty()) {
    stop_background(deployer);
    FAIL() << "the hook did not start: " << read_text(d / "deploy.log");
  }
  pid_t pgrp = ::getpgid(std::stoi(pid));
  ASSERT_GT(pgrp, 0);
  EXPECT_NE(pgrp, ::getpgid(deployer)) << "the hook runs in a process group of its own";
  EXPECT_GE(live_members(pgrp), 3u) << "shell and both sleeps";
  ::kill(deployer, SIGKILL);
  ::waitpid(deployer, nullptr, 0);
  // Gone within a few seconds (a liveness bound, generous for a loaded machine).
  for (auto until = std::chrono::steady_clock::now() + 10s;
       live_members(pgrp) > 0 && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(20ms);
  std::size_t left = live_members(pgrp);
  ::kill(-pgrp, SIGKILL);  // whatever the result, nothing of ours is left running
  EXPECT_EQ(left, 0u) << "the hook's process group outlived the SIGKILLed deploy";
  EXPECT_FALSE(file_exists(d / "late"));
}

}  // namespace
}  // namespace varan::test
