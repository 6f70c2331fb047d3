// The agent's front door under attack (issue 11): no passkeys means no start unless told
// so, auth and IP are judged on the headers before any body is read, every phase of a
// request has a deadline, connections are capped without locking the Core out, running out
// of descriptors neither spins nor stops GetHealth, the passkeys file and allowed_ips are
// read strictly, core dumps are off, requests are logged without their params, and the
// helper that stops the agent fails a test whose agent did not exit cleanly.
//
// Server tests run the real Server in-process (short deadlines, small caps); the agent
// tests run the periphery binary on 127.0.0.1 with a 1024-descriptor limit.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "periphery/config.h"
#include "periphery/server.h"
#include "tests/support/support.h"

namespace varan::test {
namespace {

using namespace varan::periphery;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const std::string kHealth = R"({"type":"GetHealth","params":{}})";
// GetHealth "within 1 s" (the issue's bound); a sanitized agent runs several times slower.
#ifdef VARAN_SANITIZED
constexpr double kHealthBound = 4.0;
#else
constexpr double kHealthBound = 1.0;
#endif

// The test holds a few thousand sockets at once.
void raise_own_nofile() {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &r);
}

int connect_to(int port, bool nonblocking = false) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& data) {
  for (std::size_t at = 0; at < data.size();) {
    ssize_t n = ::send(fd, data.data() + at, data.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return false;
    at += static_cast<std::size_t>(n);
  }
  return true;
}

// What arrives on fd until the peer closes it (true) or `ms` pass (false).
bool read_until_closed(int fd, int ms, std::string* got = nullptr) {
  auto end = Clock::now() + milliseconds(ms);
  char buf[4096];
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    int left =
        static_cast<int>(std::chrono::duration_cast<milliseconds>(end - Clock::now()).count());
    if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
    if (n > 0 && got) got->append(buf, static_cast<std::size_t>(n));
  }
  return false;
}

// Sends piece(i) every 100 ms, 100 times at most (10 s); whether the server closed meanwhile.
bool closed_while_dripping(int fd, const std::function<std::string(int)>& piece) {
  for (int i = 0; i < 100; ++i) {
    send_all(fd, piece(i));
    if (read_until_closed(fd, 100)) return true;
  }
  return false;
}

// One request on a fresh connection; the whole answer (the server closes or keeps it).
std::string http_post(int port, const std::string& passkey, const std::string& body,
                      const std::string& extra_headers = "") {
  int fd = connect_to(port);
  if (fd < 0) return "connect failed";
  send_all(fd,
           "POST / HTTP/1.1\r\nhost: t\r\nconnection: close\r\ncontent-type: application/json\r\n"
           "authorization: " +
               passkey + "\r\ncontent-length: " + std::to_string(body.size()) + "\r\n" +
               extra_headers + "\r\n" + body);
  std::string got;
  read_until_closed(fd, 10'000, &got);
  ::close(fd);
  return got;
}

// The real Server in this process, with limits a test can wait out.
class LocalServer {
 public:
  explicit LocalServer(const Limits& limits = {}, Handler handler = nullptr) {
    Config c;
    c.port = 0;
    c.bind_ip = "127.0.0.1";
    c.ssl_enabled = false;
    c.passkeys = {"pk-1"};
    server_ = std::make_unique<Server>(c, limits);
    if (!handler) handler = [](const std::string&, const std::string&) { return Reply{200, "{}"}; };
    thread_ = std::thread([this, handler] { server_->run(handler); });
  }
  ~LocalServer() {
    server_->stop();
    thread_.join();
  }
  int port() const { return server_->port(); }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

// ---- configuration ----

TEST(PeripheryConfigHardening, PasskeysFileEndingInANewlineIsTrimmed) {
  TempDir d;
  write_text(d / "passkeys", "pk-1\n", 0600);
  Config c = load_config({}, {{"PERIPHERY_PASSKEYS_FILE", d / "passkeys"}});
  EXPECT_EQ(c.passkeys, (std::vector<std::string>{"pk-1"}));
  write_text(d / "passkeys", "a\r\nb, c\n\n", 0600);
  c = load_config({}, {{"PERIPHERY_PASSKEYS_FILE", d / "passkeys"}});
  EXPECT_EQ(c.passkeys, (std::vector<std::string>{"a", "b", "c"}));
  write_text(d / "p.toml", "passkeys = [\" spaced \", \"\"]\n");
  EXPECT_EQ(load_config({d / "p.toml"}, {}).passkeys, (std::vector<std::string>{"spaced"}));
}

TEST(PeripheryConfigHardening, BadAllowedIpsStopStartUpNamingTheEntry) {
  for (const std::string bad :
       {"10.0.0/8", "10.0.0.0/33", "10.0.0.0/8x", "::1/129", "host.example", "10.0.0.0/"}) {
    try {
      load_config({}, {{"PERIPHERY_ALLOWED_IPS", "127.0.0.1," + bad + ",::1"}});
      ADD_FAILURE() << "accepted allowed_ips entry \"" << bad << "\"";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("allowed_ips: \"" + bad + "\""), std::string::npos)
          << e.what();
    }
  }
  TempDir d;
  write_text(d / "a.toml", "allowed_ips = [\"192.168.1.0/24\", \"192.168.1\"]\n");
  EXPECT_THROW(load_config({d / "a.toml"}, {}), ConfigError);
  Config c = load_config(
      {}, {{"PERIPHERY_ALLOWED_IPS", "10.0.0.5, 10.0.0.0/8, fd00::/8, ::ffff:10.0.0.0/104"}});
  EXPECT_EQ(c.allowed_ips.size(), 4u);
}

TEST(PeripheryConfigHardening, InsecureNoAuthIsAKeyAndAVariable) {
  TempDir d;
  EXPECT_FALSE(load_config({}, {}).insecure_no_auth);
  write_text(d / "a.toml", "insecure_no_auth = true\n");
  Config c = load_config({d / "a.toml"}, {});
  EXPECT_TRUE(c.insecure_no_auth);
  EXPECT_TRUE(c.warnings.empty()) << c.warnings[0];
  EXPECT_TRUE(load_config({}, {{"PERIPHERY_INSECURE_NO_AUTH", "true"}}).insecure_no_auth);
  EXPECT_THROW(load_config({}, {{"PERIPHERY_INSECURE_NO_AUTH", "yes"}}), ConfigError);
}

// ---- the server ----

TEST(PeripheryServerHardening, AnIpv4MappedCidrMatchesTheIpv4Address) {
  EXPECT_TRUE(ip_allowed("10.1.2.3", {"::ffff:10.0.0.0/104"}));
  EXPECT_TRUE(ip_allowed("::ffff:10.1.2.3", {"::ffff:10.0.0.0/104"}));
  EXPECT_FALSE(ip_allowed("11.1.2.3", {"::ffff:10.0.0.0/104"}));
  EXPECT_TRUE(ip_allowed("192.168.7.9", {"::ffff:192.168.7.0/120"}));
  EXPECT_FALSE(ip_allowed("192.168.8.9", {"::ffff:192.168.7.0/120"}));
  EXPECT_TRUE(ip_allowed("::ffff:10.0.0.1", {"10.0.0.0/8"}));
  EXPECT_FALSE(ip_allowed("2001:db8::1", {"0.0.0.0/0"}));  // IPv4's /0 is not all of IPv6
  EXPECT_FALSE(ip_allowed("10.0.0.1", {"10.0.0.0/8x"}));   // never half-read
}

TEST(PeripheryServerHardening, RequestTypeIsReadFromAnyBodyWithoutRecursion) {
  EXPECT_EQ(request_type(kHealth), "GetHealth");
  EXPECT_EQ(request_type(R"( { "params" : {"a":[1,{"type":"X"}],"s":"}\""}, "type":"RunCommand"})"),
            "RunCommand");
  std::string deep = R"({"params":)" + std::string(200'000, '[') + std::string(200'000, ']') +
                     R"(,"type":"Deep"})";
  EXPECT_EQ(request_type(deep), "Deep");
  EXPECT_EQ(request_type(std::string(200'000, '{')), "-");
  EXPECT_EQ(request_type(R"({"params":{}})"), "-");
  EXPECT_EQ(request_type(R"({"type":"a\nb"})"), "-");  // nothing a log line could be forged with
  EXPECT_EQ(request_type(R"({"type":7})"), "-");
  EXPECT_EQ(request_type("not json"), "-");
}

TEST(PeripheryServerHardening, NoPasskeysRefusesToServeUnlessInsecureNoAuth) {
  Config c;
  c.port = 0;
  c.bind_ip = "127.0.0.1";
  c.ssl_enabled = false;
  try {
    Server s(c);
    ADD_FAILURE() << "a server without passkeys was made";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("passkeys"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--insecure-no-auth"), std::string::npos) << e.what();
  }
  c.insecure_no_auth = true;
  EXPECT_NO_THROW(Server s(c));
}

// 401 comes back on the headers alone: a body of 32 MB is announced and never sent.
TEST(PeripheryServerHardening, AuthAndIpAreJudgedBeforeTheBodyIsRead) {
  LocalServer server;
  for (const auto& [passkey, says] : std::vector<std::pair<std::string, std::string>>{
           {"wrong", "request passkey invalid"}, {"", "request was not sent with passkey"}}) {
    int fd = connect_to(server.port());
    ASSERT_GE(fd, 0);
    std::string auth = passkey.empty() ? "" : "authorization: " + passkey + "\r\n";
    ASSERT_TRUE(send_all(fd, "POST / HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n" +
                                 auth + "content-length: 33000000\r\n\r\n"));
    std::string got;
    EXPECT_TRUE(read_until_closed(fd, 10'000, &got)) << "the server waited for the body";
    ::close(fd);
    EXPECT_TRUE(got.starts_with("HTTP/1.1 401")) << got;
    EXPECT_NE(got.find(says), std::string::npos) << got;
  }
  // The right passkey and 100-continue: the body is asked for, then served.
  int fd = connect_to(server.port());
  ASSERT_TRUE(send_all(fd,
                       "POST / HTTP/1.1\r\nhost: t\r\nauthorization: pk-1\r\nexpect: 100-continue"
                       "\r\ncontent-type: application/json\r\nconnection: close\r\n"
                       "content-length: " +
                           std::to_string(kHealth.size()) + "\r\n\r\n"));
  char buf[256] = {};
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10'000), 1);
  ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
  EXPECT_TRUE(std::string(buf, n > 0 ? n : 0).starts_with("HTTP/1.1 100 Continue")) << buf;
  send_all(fd, kHealth);
  std::string got;
  read_until_closed(fd, 10'000, &got);
  ::close(fd);
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos) << got;
}

TEST(PeripheryServerHardening, OversizedAnnouncedBodyIs413WithoutReadingIt) {
  LocalServer server;
  int fd = connect_to(server.port());
  ASSERT_TRUE(send_all(fd,
                       "POST / HTTP/1.1\r\nhost: t\r\nauthorization: pk-1\r\n"
                       "content-length: 40000000\r\n\r\n"));
  std::string got;
  EXPECT_TRUE(read_until_closed(fd, 10'000, &got));
  ::close(fd);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 413")) << got;
}

// A header line every 100 ms would hold a connection forever with a per-read timeout.
TEST(PeripheryServerHardening, SlowHeadersMeetTheWholeRequestDeadline) {
  Limits limits;
  limits.headers = milliseconds(1000);
  LocalServer server(limits);
  int fd = connect_to(server.port());
  ASSERT_GE(fd, 0);
  send_all(fd, "POST / HTTP/1.1\r\n");
  bool closed =
      closed_while_dripping(fd, [](int i) { return "x-drip-" + std::to_string(i) + ": 1\r\n"; });
  ::close(fd);
  EXPECT_TRUE(closed) << "still open after 10 s of dripped headers";
}

TEST(PeripheryServerHardening, SlowBodyMeetsTheBodyDeadline) {
  Limits limits;
  limits.body = milliseconds(1000);
  LocalServer server(limits);
  int fd = connect_to(server.port());
  ASSERT_GE(fd, 0);
  send_all(fd, "POST / HTTP/1.1\r\nhost: t\r\nauthorization: pk-1\r\ncontent-length: 1000\r\n\r\n");
  bool closed = closed_while_dripping(fd, [](int) { return std::string(" "); });
  ::close(fd);
  EXPECT_TRUE(closed) << "still open after 10 s of a dripped body";
}

// Idle connections beyond the cap make room (oldest first); the newcomer with the passkey
// is served and the connection count stays at the cap.
TEST(PeripheryServerHardening, IdleConnectionsOverTheCapCloseTheOldestNotTheNewcomer) {
  Limits limits;
  limits.pending = 8;
  LocalServer server(limits);
  std::vector<int> idle;
  for (int i = 0; i < 40; ++i)
    idle.push_back(connect_to(server.port()));
  std::string got = http_post(server.port(), "pk-1", kHealth);
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos) << got;
  int closed = 0;
  for (int fd : idle) {
    closed += read_until_closed(fd, 50) ? 1 : 0;
    ::close(fd);
  }
  EXPECT_GE(closed, 40 - 8) << "connections over the cap were kept";
}

// Authenticated requests in flight are capped too: one over the cap gets 503 at once.
TEST(PeripheryServerHardening, RequestsInFlightOverTheCapGet503) {
  Limits limits;
  limits.busy = 2;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> in{0};
  LocalServer server(limits, [&](const std::string&, const std::string&) {
    ++in;
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return release; });
    return Reply{200, "{}"};
  });
  std::vector<std::thread> slow;
  std::vector<std::string> answers(2);
  for (int i = 0; i < 2; ++i)
    slow.emplace_back([&, i] { answers[i] = http_post(server.port(), "pk-1", kHealth); });
  for (int i = 0; i < 200 && in < 2; ++i)
    std::this_thread::sleep_for(milliseconds(25));
  ASSERT_EQ(in, 2);
  std::string third = http_post(server.port(), "pk-1", kHealth);
  EXPECT_TRUE(third.starts_with("HTTP/1.1 503")) << third;
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  for (auto& t : slow)
    t.join();
  for (const auto& a : answers)
    EXPECT_TRUE(a.starts_with("HTTP/1.1 200")) << a;
}

// ---- the agent process ----

class AgentHardening : public ::testing::Test {
 protected:
  void SetUp() override { raise_own_nofile(); }
  // Writes the config (passkey "pk-1" unless `passkeys` is false) and starts the agent.
  void start(const std::string& extra, const DaemonOptions& opts = {}, bool passkeys = true,
             const std::vector<std::string>& args = {}) {
    port_ = free_port();
    std::filesystem::create_directories(dir_ / "root");
    ::chmod(dir_.path().c_str(), 0755);
    ::chmod((dir_ / "root").c_str(), 0777);
    write_text(dir_ / "periphery.toml", "port = " + std::to_string(port_) +
                                            "\nbind_ip = \"127.0.0.1\"\nroot_directory = \"" +
                                            dir_.path() + "/root\"\n" +
                                            (passkeys ? "passkeys = [\"pk-1\"]\n" : "") + extra);
    std::vector<std::string> argv = {PERIPHERY_BIN, "--config-path", dir_ / "periphery.toml"};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = spawn_daemon(argv, log(), opts);
    ASSERT_TRUE(wait_for_port(port_)) << read_text(log());
  }
  void TearDown() override { EXPECT_EQ(stop_daemon(pid_, log()), ""); }
  std::string log() const { return dir_ / "agent.log"; }

  struct Health {
    int status = 0;
    double seconds = 0;  // curl's own time_total: the request, not the process start
    std::string body;
  };
  Health health(const std::string& passkey = "pk-1", bool tls = false) {
    std::string out = dir_ / ("health-" + std::to_string(++calls_));
    RunResult r =
        run({"curl", "-sS", "-k", "-m", "10", "-o", out, "-w", "%{http_code} %{time_total}", "-X",
             "POST",
             std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + "/",
             "-H", "authorization: " + passkey, "-H", "content-type: application/json",
             "--data-binary", kHealth});
    Health h;
    std::istringstream(r.out) >> h.status >> h.seconds;
    h.body = read_text(out);
    return h;
  }
  long vm_kib(const std::string& field) {
    std::istringstream in(read_text("/proc/" + std::to_string(pid_) + "/status"));
    for (std::string line; std::getline(in, line);)
      if (line.starts_with(field + ":")) return std::atol(line.c_str() + field.size() + 1);
    return -1;
  }
  double cpu_seconds() {
    std::string stat = read_text("/proc/" + std::to_string(pid_) + "/stat");
    std::istringstream in(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) utime = std::atol(field.c_str());
      if (i == 15) stime = std::atol(field.c_str());
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }

  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  int calls_ = 0;
};

// Waits up to `seconds` for pid to exit; its status, or -1 if it still runs.
int wait_exit(pid_t pid, int seconds) {
  int status = 0;
  for (int i = 0; i < seconds * 20; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    ::usleep(50'000);
  }
  return -1;
}

TEST_F(AgentHardening, WithoutPasskeysItRefusesToStartAndSaysWhy) {
  port_ = free_port();
  write_text(dir_ / "periphery.toml", "port = " + std::to_string(port_) +
                                          "\nbind_ip = \"127.0.0.1\"\nssl_enabled = false\n"
                                          "root_directory = \"" +
                                          dir_.path() + "/root\"\n");
  pid_t pid = spawn_daemon({PERIPHERY_BIN, "--config-path", dir_ / "periphery.toml"}, log());
  int status = wait_exit(pid, 10);
  if (status < 0) {
    stop_daemon(pid, log());
    FAIL() << "the agent serves without passkeys:\n" << read_text(log());
  }
  EXPECT_EQ(status, 1);
  std::string text = read_text(log());
  EXPECT_NE(text.find("passkeys"), std::string::npos) << text;
  EXPECT_NE(text.find("--insecure-no-auth"), std::string::npos) << text;
}

TEST_F(AgentHardening, InsecureNoAuthStartsAndSaysSoLoudly) {
  start("ssl_enabled = false\n", {}, false, {"--insecure-no-auth"});
  Health h = health("anything");
  EXPECT_EQ(h.status, 200);
  std::string text = read_text(log());
  EXPECT_NE(text.find("WARNING: NO PASSKEYS"), std::string::npos) << text;
  EXPECT_NE(text.find("ANYONE"), std::string::npos) << text;
}

TEST_F(AgentHardening, RequestsAreLoggedWithTypeCallerStatusAndTimeButNoParams) {
  start("ssl_enabled = false\n");
  EXPECT_EQ(health().status, 200);
  std::string got = http_post(
      port_, "pk-1", R"({"type":"RunCommand","params":{"command":{"command":"echo p4r4m-7x"}}})");
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos) << got;
  EXPECT_TRUE(http_post(port_, "wrong", kHealth).starts_with("HTTP/1.1 401"));
  std::string text = read_text(log());
  EXPECT_NE(text.find("request GetHealth from 127.0.0.1: 200 in "), std::string::npos) << text;
  EXPECT_NE(text.find("request RunCommand from 127.0.0.1: 200 in "), std::string::npos) << text;
  EXPECT_NE(text.find("request - from 127.0.0.1: 401 in "), std::string::npos) << text;
  EXPECT_EQ(text.find("p4r4m-7x"), std::string::npos) << "a param reached the log:\n" << text;
  EXPECT_EQ(text.find("pk-1"), std::string::npos) << "the passkey reached the log:\n" << text;
}

// Run as an unprivileged user, a dumpable process's /proc/<pid>/environ belongs to that
// user; the kernel gives a non-dumpable one's to root. RLIMIT_CORE shows in /proc/<pid>/limits.
TEST_F(AgentHardening, NoCoreDumpsAndNotDumpable) {
  DaemonOptions opts;
  if (::getuid() == 0) opts.uid = 65534;
  start("ssl_enabled = false\n", opts);
  struct stat st {};
  ASSERT_EQ(::stat(("/proc/" + std::to_string(pid_) + "/environ").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "the agent is dumpable (its memory holds passkeys and secrets)";
  std::istringstream in(read_text("/proc/" + std::to_string(pid_) + "/limits"));
  bool seen = false;
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("Max core file size")) {
      seen = true;
      std::istringstream f(line.substr(18));
      std::string soft, hard;
      f >> soft >> hard;
      EXPECT_EQ(soft, "0") << line;
      EXPECT_EQ(hard, "0") << line;
    }
  EXPECT_TRUE(seen);
}

// Must-show 3 (i): 1000 unauthenticated connections at a time, each announcing a 32 MB body
// and sending up to 1 MiB of it, for 3 s; GetHealth with the passkey answers within 1 s
// throughout, and the agent's peak RSS stays under 64 MiB.
TEST_F(AgentHardening, AFloodOfUnauthenticatedBodiesCostsNoMemoryAndLocksNobodyOut) {
  start("ssl_enabled = false\n", {.nofile = 1024});
  constexpr int kConns = 1000;
  constexpr std::size_t kBodyBudget = 1u << 20;
  const std::string head =
      "POST / HTTP/1.1\r\nhost: t\r\nauthorization: wrong-passkey\r\n"
      "content-type: application/json\r\ncontent-length: 33554431\r\n\r\n";
  const std::string chunk(64u << 10, 'x');
  struct Conn {
    int fd = -1;
    std::size_t sent = 0;
  };
  std::vector<Conn> conns(kConns);
  long opened = 0, answered = 0;
  auto open = [&](Conn& c) {
    c.fd = connect_to(port_, true);
    c.sent = 0;
    ++opened;
  };
  for (auto& c : conns)
    open(c);

  std::vector<Health> checks;
  std::thread checker([&] {
    for (int i = 0; i < 5; ++i) {
      std::this_thread::sleep_for(milliseconds(400));
      checks.push_back(health());
    }
  });
  auto end = Clock::now() + std::chrono::seconds(3);
  std::vector<pollfd> fds(kConns);
  char buf[512];
  while (Clock::now() < end) {
    for (int i = 0; i < kConns; ++i) {
      fds[i] = {
          conns[i].fd,
          static_cast<short>(POLLIN | (conns[i].sent < kBodyBudget + head.size() ? POLLOUT : 0)),
          0};
    }
    if (::poll(fds.data(), kConns, 100) <= 0) continue;
    for (int i = 0; i < kConns; ++i) {
      Conn& c = conns[i];
      bool gone = c.fd < 0 || (fds[i].revents & (POLLERR | POLLHUP));
      if (!gone && (fds[i].revents & POLLIN)) {
        ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n > 0 && std::string_view(buf, static_cast<std::size_t>(n)).starts_with("HTTP/1.1 401"))
          ++answered;
        gone = n == 0 || (n < 0 && errno != EAGAIN);
      }
      if (!gone && (fds[i].revents & POLLOUT)) {
        const std::string& data = c.sent == 0 ? head : chunk;
        ssize_t n = ::send(c.fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) c.sent += static_cast<std::size_t>(n);
        gone = n < 0 && errno != EAGAIN;
      }
      if (gone) {  // a new attacker takes its place
        if (c.fd >= 0) ::close(c.fd);
        open(c);
      }
    }
  }
  checker.join();
  for (auto& c : conns)
    if (c.fd >= 0) ::close(c.fd);
  ASSERT_EQ(checks.size(), 5u);
  double slowest = 0;
  for (const auto& h : checks) {
    EXPECT_EQ(h.status, 200) << h.body;
    EXPECT_LT(h.seconds, kHealthBound) << "GetHealth took " << h.seconds << " s under the flood";
    slowest = std::max(slowest, h.seconds);
  }
  long hwm = vm_kib("VmHWM");
  std::cerr << "flood: " << opened << " connections, " << answered
            << " 401s read by the attackers; agent peak RSS " << hwm << " KiB; slowest GetHealth "
            << slowest << " s\n";
  EXPECT_GT(opened, kConns);  // attackers were turned away and came back
#ifndef VARAN_SANITIZED       // ASan's shadow and quarantine are not the agent's footprint
  EXPECT_LT(hwm, 64 << 10) << "the agent's peak RSS";
#endif
}

// Must-show 3 (ii) and item 6: 1100 idle connections against a 1024-descriptor limit (HTTPS,
// as deployed). The agent neither spins nor stops answering: GetHealth within 1 s, less
// than half a core used while they are held, RSS under 64 MiB, and the oldest are closed.
TEST_F(AgentHardening, IdleConnectionsBeyondTheDescriptorLimitNeitherSpinNorLockOut) {
  start("", {.nofile = 1024});
  std::vector<int> idle;
  for (int i = 0; i < 1100; ++i) {
    int fd = connect_to(port_);
    if (fd >= 0) idle.push_back(fd);
  }
  EXPECT_EQ(idle.size(), 1100u);
  std::this_thread::sleep_for(milliseconds(500));
  double cpu0 = cpu_seconds();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  double cpu = cpu_seconds() - cpu0;
  EXPECT_LT(cpu, 1.0) << "the agent burnt " << cpu << " s of CPU in 2 s with idle connections";
  for (int i = 0; i < 3; ++i) {
    Health h = health("pk-1", true);
    EXPECT_EQ(h.status, 200) << h.body;
    EXPECT_LT(h.seconds, kHealthBound) << "GetHealth took " << h.seconds << " s";
  }
  int closed = 0;
  for (std::size_t i = 0; i < 100; ++i)
    closed += read_until_closed(idle[i], 20) ? 1 : 0;
  EXPECT_EQ(closed, 100) << "the oldest idle connections were kept over the cap";
  for (int fd : idle)
    ::close(fd);
  long hwm = vm_kib("VmHWM");
  std::cerr << "idle: agent peak RSS " << hwm << " KiB, " << cpu << " s CPU in 2 s\n";
#ifndef VARAN_SANITIZED
  EXPECT_LT(hwm, 64 << 10) << "the agent's peak RSS";
#endif
}

// The helper that stops the agent judges its exit: an agent that failed (here a bad
// PERIPHERY_PORT), a daemon killed by SIGTERM instead of exiting, and a clean stop.
TEST_F(AgentHardening, StoppingADaemonReportsAnUncleanExitWithItsLog) {
  pid_t bad =
      spawn_daemon({PERIPHERY_BIN}, dir_ / "bad.log", {.env = {{"PERIPHERY_PORT", "not-a-port"}}});
  siginfo_t info{};
  for (int i = 0; i < 400 && info.si_pid == 0; ++i) {  // until it has exited (not reaped)
    ::waitid(P_PID, static_cast<id_t>(bad), &info, WEXITED | WNOHANG | WNOWAIT);
    if (info.si_pid == 0) std::this_thread::sleep_for(milliseconds(50));
  }
  std::string said = stop_daemon(bad, dir_ / "bad.log");
  EXPECT_NE(said.find("exited with status 1"), std::string::npos) << said;
  EXPECT_NE(said.find("PERIPHERY_PORT: expected a port number"), std::string::npos) << said;
  pid_t sleeper = spawn_daemon({"sleep", "30"}, dir_ / "sleep.log");
  std::this_thread::sleep_for(milliseconds(100));
  said = stop_daemon(sleeper, dir_ / "sleep.log");
  EXPECT_NE(said.find("killed by signal 15"), std::string::npos) << said;
  start("ssl_enabled = false\n");
  EXPECT_EQ(health().status, 200);
  EXPECT_EQ(stop_daemon(pid_, log()), "");
  pid_ = -1;
}

}  // namespace
}  // namespace varan::test
