#include "common/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "common/error.h"
#include "tests/support/support.h"

namespace varan {
namespace {

using std::chrono::milliseconds;

// True once `pid` is dead: gone, or a zombie its new parent has not reaped yet (SIGKILL is
// delivered asynchronously, so this waits up to 2 s).
bool ends(const std::string& pid_text) {
  int pid = std::stoi(pid_text);
  for (int i = 0; i < 200; ++i) {
    std::string stat = test::read_text("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    if (stat.empty() || (close != std::string::npos && stat.substr(close + 2, 1) == "Z"))
      return true;
    ::usleep(10'000);
  }
  return false;
}

TEST(Child, CapturesStreamsStatusCwdAndEnvironment) {
  test::TempDir d;
  ChildResult r = run_child({.argv = {"sh", "-c", "pwd; echo \"$VARAN_T_A\" >&2; exit 5"},
                             .cwd = d.path(),
                             .env = {{"VARAN_T_A", "from the spec"}}});
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.status, 5);
  EXPECT_EQ(text_of(r.out), d.path() + "\n");
  EXPECT_EQ(text_of(r.err), "from the spec\n");
  // A variable of the caller's is replaced, not doubled.
  test::ScopedEnv a("VARAN_T_A", "caller's");
  r = run_child({.argv = {"sh", "-c", "env | grep -c '^VARAN_T_A='; echo $VARAN_T_A"},
                 .env = {{"VARAN_T_A", "child's"}}});
  EXPECT_EQ(text_of(r.out), "1\nchild's\n");
}

TEST(Child, FeedsInputLargerThanAPipe) {
  std::string input = test::pattern_bytes(3 << 20, 7);
  ChildResult r = run_child({.argv = {"cat"}, .input = input});
  EXPECT_EQ(r.status, 0);
  ASSERT_EQ(r.out.size(), input.size());
  EXPECT_EQ(text_of(r.out), input);
  // No input: standard input is /dev/null, so a reader sees its end at once.
  r = run_child({.argv = {"cat"}, .timeout = milliseconds(5000)});
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.out.empty());
}

TEST(Child, AChildThatLeavesItsInputUnreadDoesNotKillTheCaller) {
  // The caller does not ignore SIGPIPE here: the write to the closed pipe must not kill it.
  struct sigaction dfl {
  }, old{};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, &old);
  ChildResult r = run_child({.argv = {"true"}, .input = test::pattern_bytes(4 << 20, 9)});
  ::sigaction(SIGPIPE, &old, nullptr);
  EXPECT_EQ(r.status, 0);
  sigset_t pending;
  ::sigpending(&pending);
  EXPECT_EQ(::sigismember(&pending, SIGPIPE), 0) << "a SIGPIPE was left pending";
}

TEST(Child, SaysWhyItDidNotStart) {
  ChildResult r = run_child({.argv = {"varan-no-such-program"}});
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.status, 127);
  EXPECT_NE(r.error.find("varan-no-such-program"), std::string::npos) << r.error;
  r = run_child({.argv = {"true"}, .cwd = "/nonexistent/varan"});
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.status, 126);
  EXPECT_NE(r.error.find("/nonexistent/varan"), std::string::npos) << r.error;
  test::TempDir d;
  test::write_text(d / "not-executable", "#!/bin/sh\n", 0644);
  r = run_child({.argv = {d / "not-executable"}});
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.status, 127);
  EXPECT_NE(r.error.find("cannot execute"), std::string::npos) << r.error;
  EXPECT_THROW(start_child({.argv = {"varan-no-such-program"},
                            .out = ChildOutput::inherit(),
                            .err = ChildOutput::inherit()}),
               Error);
}

TEST(Child, TimeoutKillsTheChildAndItsGroup) {
  test::TempDir d;
  auto started = std::chrono::steady_clock::now();
  ChildResult r = run_child({.argv = {"sh", "-c", "sleep 30 & echo $! > bg; exec sleep 30"},
                             .cwd = d.path(),
                             .own_group = true,
                             .timeout = milliseconds(300)});
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.status, 128 + SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
  std::string bg = test::read_text(d / "bg");
  ASSERT_FALSE(bg.empty());
  EXPECT_TRUE(ends(bg)) << "the group's background sleep outlived the run";
}

TEST(Child, OwnGroupEndsWithTheRunEvenWithoutATimeout) {
  test::TempDir d;
  // The shell exits at once; what it left running in its group is killed on return.
  ChildResult r = run_child({.argv = {"sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $! > bg"},
                             .cwd = d.path(),
                             .own_group = true});
  EXPECT_EQ(r.status, 0);
  std::string bg = test::read_text(d / "bg");
  ASSERT_FALSE(bg.empty());
  EXPECT_TRUE(ends(bg)) << "the group's background sleep outlived the run";
  // Without a group of its own, what the child leaves running is the caller's business.
  r = run_child(
      {.argv = {"sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $! > bg2"}, .cwd = d.path()});
  std::string bg2 = test::read_text(d / "bg2");
  ASSERT_FALSE(bg2.empty());
  EXPECT_FALSE(ends(bg2));
  ::kill(std::stoi(bg2), SIGKILL);
}

TEST(Child, WritesToAFileAndStartsInTheBackground) {
  test::TempDir d;
  ChildResult r = run_child({.argv = {"sh", "-c", "echo one"}, .out = ChildOutput::file(d / "o")});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.out.empty());
  r = run_child({.argv = {"sh", "-c", "echo two; echo three >&2"},
                 .out = ChildOutput::file(d / "o", true),
                 .err = ChildOutput::file(d / "o", true)});
  EXPECT_EQ(test::read_text(d / "o"), "one\ntwo\nthree\n");
  pid_t pid = start_child({.argv = {"sh", "-c", "echo $$ > self; exec sleep 30"},
                           .cwd = d.path(),
                           .out = ChildOutput::inherit(),
                           .err = ChildOutput::inherit(),
                           .own_group = true});
  for (int i = 0; i < 200 && test::read_text(d / "self").empty(); ++i)
    ::usleep(10'000);
  EXPECT_EQ(test::read_text(d / "self"), std::to_string(pid) + "\n");
  EXPECT_EQ(::getpgid(pid), pid);
  ::kill(-pid, SIGKILL);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
}

}  // namespace
}  // namespace varan
