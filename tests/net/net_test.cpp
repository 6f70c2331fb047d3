// net/ on loopback: the HTTP(S) client against the net server (plain, and TLS with the
// self-signed pair, verified by name and trusted by file or not at all), credentials judged
// by the authorize hook before the body, the client's deadline and answer cap, and
// WebSocket links both ways: text and binary echo, pings, a message over the cap closing
// the link with 1009, clean closes seen by both sides, and an upgrade refused on its
// headers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "net/http_client.h"
#include "net/server.h"
#include "net/url.h"
#include "net/websocket.h"
#include "tests/support/support.h"

namespace varan::test {
namespace {

using namespace varan::net;
using std::chrono::milliseconds;

// The net server on 127.0.0.1 in this process, serving until the test ends.
class LocalServer {
 public:
  explicit LocalServer(ServerOptions o, Handler handler = nullptr) {
    o.bind_ip = "127.0.0.1";
    o.port = 0;
    o.log_requests = false;
    server_ = std::make_unique<Server>(o);
    if (!handler) handler = [](const Request& r) { return Reply{200, r.body, "text/plain"}; };
    thread_ = std::thread([this, handler] { server_->run(handler); });
  }
  ~LocalServer() {
    server_->stop();
    thread_.join();
  }
  std::string url(const std::string& scheme, const std::string& path = "/") const {
    return scheme + "://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  int port() const { return server_->port(); }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

ServerOptions with_passkey() {
  ServerOptions o;
  o.passkeys = {"pk-1"};
  return o;
}

const Headers kAuth = {{"authorization", "pk-1"}};

// Waits up to 5 s for `done`.
template <typename F>
bool eventually(F done) {
  for (int i = 0; i < 200 && !done(); ++i)
    std::this_thread::sleep_for(milliseconds(25));
  return done();
}

// ---- URLs ----

TEST(NetUrl, SchemesPortsAndTargets) {
  Url u = parse_url("https://agent.example:8120/a/b?c=d#frag");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "agent.example");
  EXPECT_EQ(u.port, "8120");
  EXPECT_EQ(u.target, "/a/b?c=d");
  u = parse_url("ws://[::1]/ws");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "80");
  EXPECT_EQ(parse_url("WSS://h").port, "443");
  EXPECT_EQ(parse_url("http://h?x=1").target, "/?x=1");
  for (const std::string bad :
       {"ftp://h/", "h:80", "http://:80/", "http://h:0/", "http://h:70000/", "http://u@h/"})
    EXPECT_THROW(parse_url(bad), Error) << bad;
}

// ---- HTTP ----

TEST(NetHttp, ClientPostsAndGetsOverPlainHttp) {
  LocalServer server(with_passkey(), [](const Request& r) {
    return Reply{201, r.method + " " + r.target + " " + r.header("X-Test") + " " + r.body,
                 "text/plain"};
  });
  HttpResponse res = http_post(server.url("http", "/run?x=1"), "the body",
                               {{"authorization", "pk-1"}, {"x-test", "yes"}});
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.body, "POST /run?x=1 yes the body");
  EXPECT_EQ(res.header("content-type"), "text/plain");
  EXPECT_EQ(res.header("server"), "varan");
  res = http_get(server.url("http", "/g"), kAuth);
  EXPECT_EQ(res.body, "GET /g  ");
  // A refusal is an answer, not an error; its body is the server's message.
  res = http_get(server.url("http"));
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.body, "request was not sent with passkey");
}

TEST(NetHttp, ClientOverHttpsVerifiesTheSelfSignedPairOnlyWhenTrusted) {
  TempDir d;
  ServerOptions o = with_passkey();
  o.tls = true;
  o.tls_key_file = d / "ssl/key.pem";
  o.tls_cert_file = d / "ssl/cert.pem";
  LocalServer server(o);
  HttpOptions trusted;
  trusted.tls.ca_file = o.tls_cert_file;
  EXPECT_EQ(http_post(server.url("https"), "over tls", kAuth, trusted).body, "over tls");
  // The certificate names localhost too.
  std::string by_name = "https://localhost:" + std::to_string(server.port()) + "/";
  EXPECT_EQ(http_post(by_name, "by name", kAuth, trusted).body, "by name");
  try {
    http_post(server.url("https"), "x", kAuth);
    ADD_FAILURE() << "an untrusted self-signed certificate was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("TLS handshake failed"), std::string::npos) << e.what();
  }
  HttpOptions insecure;
  insecure.tls.verify = false;  // as Komodo Core talks to its agents
  EXPECT_EQ(http_post(server.url("https"), "unverified", kAuth, insecure).body, "unverified");
  // Plain HTTP to the TLS port is no answer at all.
  EXPECT_THROW(http_get(server.url("http"), kAuth), Error);
}

// The authorize hook sees the headers only: a refused caller who announces a large body
// gets its answer at once, and the handler never runs.
TEST(NetHttp, AuthorizeHookRefusesOnTheHeadersBeforeTheBody) {
  ServerOptions o;
  o.authorize = [](const Request& r) -> std::optional<Reply> {
    if (r.header("x-api-key") != "k") return Reply{401, "{\"error\":\"bad key\"}"};
    return std::nullopt;
  };
  std::atomic<int> handled{0};
  LocalServer server(o, [&](const Request& r) {
    ++handled;
    return Reply{200, r.body};
  });
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(server.port()));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  std::string head =
      "POST / HTTP/1.1\r\nhost: t\r\nx-api-key: nope\r\ncontent-length: 9000000\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  std::string got;
  char buf[1024];
  for (pollfd p{fd, POLLIN, 0}; ::poll(&p, 1, 5'000) == 1;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 401")) << got;
  EXPECT_NE(got.find("bad key"), std::string::npos) << got;
  EXPECT_EQ(handled, 0);
  EXPECT_EQ(http_post(server.url("http"), "in", {{"x-api-key", "k"}}).body, "in");
  EXPECT_EQ(handled, 1);
}

TEST(NetHttp, NoCredentialsRefuseToServeUnlessSaidSo) {
  ServerOptions o;
  o.bind_ip = "127.0.0.1";
  EXPECT_THROW(Server s(o), OptionsError);
  o.insecure_no_auth = true;
  EXPECT_NO_THROW(Server s(o));
  o.bind_ip = "localhost";
  EXPECT_THROW(Server s(o), OptionsError);
}

TEST(NetHttp, ClientKeepsItsDeadlineAndItsAnswerCap) {
  LocalServer server(with_passkey(), [](const Request& r) {
    if (r.target == "/slow") std::this_thread::sleep_for(milliseconds(1500));
    return Reply{200, std::string(1000, 'x')};
  });
  HttpOptions o;
  o.body_bytes = 100;
  try {
    http_get(server.url("http"), kAuth, o);
    ADD_FAILURE() << "an answer over the cap was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("larger than 100 bytes"), std::string::npos) << e.what();
  }
  o.body_bytes = 1000;
  EXPECT_EQ(http_get(server.url("http"), kAuth, o).body.size(), 1000u);
  o.timeout = milliseconds(300);
  auto t0 = std::chrono::steady_clock::now();
  try {
    http_get(server.url("http", "/slow"), kAuth, o);
    ADD_FAILURE() << "the deadline passed unnoticed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(1200));
  // Nobody listens: refused, not hung.
  int port = free_port();
  EXPECT_THROW(http_get("http://127.0.0.1:" + std::to_string(port) + "/", {}, o), Error);
}

// ---- WebSocket ----

// Server-side record of what the links saw.
struct Seen {
  std::mutex mu;
  std::vector<WsClose> closes;
  std::vector<std::string> remotes;
  void closed(const WsClose& c) {
    std::lock_guard lock(mu);
    closes.push_back(c);
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return closes.size();
  }
};

// Echoes every message as it came; "bye" is answered by a close from the server.
WsCallbacks echo(Seen& seen) {
  WsCallbacks cb;
  cb.on_open = [&seen](const std::shared_ptr<WebSocket>& ws) {
    std::lock_guard lock(seen.mu);
    seen.remotes.push_back(ws->remote());
  };
  cb.on_message = [](WebSocket& ws, WsMessage m) {
    if (m.data == "bye") return ws.close(1000, "done");
    ws.send(std::move(m.data), m.binary);
  };
  cb.on_close = [&seen](WebSocket&, const WsClose& c) { seen.closed(c); };
  return cb;
}

WsClientOptions ws_auth() {
  WsClientOptions o;
  o.headers = kAuth;
  return o;
}

TEST(NetWebSocket, EchoesTextAndBinaryAndClosesCleanlyFromEitherSide) {
  Seen seen;
  ServerOptions o = with_passkey();
  o.websockets["/ws"] = echo(seen);
  LocalServer server(o);
  {
    WsClient ws(server.url("ws", "/ws"), ws_auth());
    ws.send("hello");
    auto m = ws.receive(milliseconds(5'000));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->data, "hello");
    EXPECT_FALSE(m->binary);
    std::string bytes("\x00\xff\x01 binary", 10);
    ws.send(bytes, true);
    m = ws.receive(milliseconds(5'000));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->data, bytes);
    EXPECT_TRUE(m->binary);
    ws.ping("p");
    EXPECT_TRUE(eventually([&] { return ws.pongs() == 1; }));
    // The server closes: the client sees the code and reason, then nothing more.
    ws.send("bye");
    EXPECT_FALSE(ws.receive(milliseconds(5'000)));
    EXPECT_TRUE(ws.closed());
    EXPECT_EQ(ws.close_info().code, 1000);
    EXPECT_EQ(ws.close_info().reason, "done");
  }
  ASSERT_TRUE(eventually([&] { return seen.count() == 1; }));
  EXPECT_EQ(seen.closes[0].code, 1000);
  EXPECT_EQ(seen.remotes[0], "127.0.0.1");
  // The client closes: the server's on_close sees its code and reason.
  WsClient ws(server.url("ws", "/ws"), ws_auth());
  EXPECT_TRUE(ws.close(4000, "client done"));
  EXPECT_EQ(ws.close_info().code, 4000);
  ASSERT_TRUE(eventually([&] { return seen.count() == 2; }));
  EXPECT_EQ(seen.closes[1].code, 4000);
  EXPECT_EQ(seen.closes[1].reason, "client done");
}

TEST(NetWebSocket, WssWithTheSelfSignedPair) {
  TempDir d;
  Seen seen;
  ServerOptions o = with_passkey();
  o.tls = true;
  o.tls_key_file = d / "key.pem";
  o.tls_cert_file = d / "cert.pem";
  o.websockets["/ws/update"] = echo(seen);
  LocalServer server(o);
  WsClientOptions c = ws_auth();
  c.tls.ca_file = o.tls_cert_file;
  WsClient ws(server.url("wss", "/ws/update"), c);
  ws.send(std::string(100'000, 'z'));
  auto m = ws.receive(milliseconds(5'000));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data.size(), 100'000u);
  EXPECT_THROW(WsClient(server.url("wss", "/ws/update"), ws_auth()), Error);  // untrusted
}

TEST(NetWebSocket, UpgradeIsJudgedOnItsHeadersLikeAnyRequest) {
  Seen seen;
  ServerOptions o = with_passkey();
  o.websockets["/ws"] = echo(seen);
  LocalServer server(o);
  try {
    WsClient ws(server.url("ws", "/ws"));
    ADD_FAILURE() << "an upgrade without the passkey was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 401"), std::string::npos) << e.what();
  }
  // A path without a WebSocket is served as plain HTTP (here: the echo handler).
  EXPECT_THROW(WsClient(server.url("ws", "/other"), ws_auth()), Error);
  EXPECT_EQ(seen.count(), 0u);
}

TEST(NetWebSocket, AMessageOverTheCapClosesTheLinkWith1009) {
  Seen seen;
  ServerOptions o = with_passkey();
  o.websockets["/ws"] = echo(seen);
  o.websocket_options.message_bytes = 1024;
  LocalServer server(o);
  WsClient ws(server.url("ws", "/ws"), ws_auth());
  ws.send(std::string(1024, 'a'));
  auto m = ws.receive(milliseconds(5'000));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data.size(), 1024u);
  ws.send(std::string(1025, 'a'));
  EXPECT_FALSE(ws.receive(milliseconds(5'000)));
  EXPECT_TRUE(ws.closed());
  EXPECT_EQ(ws.close_info().code, 1009);
  ASSERT_TRUE(eventually([&] { return seen.count() == 1; }));
  EXPECT_EQ(seen.closes[0].code, 1009);
}

// The server pings a quiet link at half its idle time; the client answers by itself, so
// the link outlives several idle periods, and stays usable.
TEST(NetWebSocket, PingsKeepAQuietLinkOpen) {
  Seen seen;
  ServerOptions o = with_passkey();
  o.websockets["/ws"] = echo(seen);
  o.websocket_options.idle = milliseconds(400);
  LocalServer server(o);
  WsClient ws(server.url("ws", "/ws"), ws_auth());
  EXPECT_FALSE(ws.receive(milliseconds(1'500)));
  EXPECT_FALSE(ws.closed()) << ws.close_info().reason;
  ws.send("still here");
  auto m = ws.receive(milliseconds(5'000));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data, "still here");
}

// Stopping the server ends its links; the client sees the link gone, not a hang.
TEST(NetWebSocket, StoppingTheServerEndsItsLinks) {
  Seen seen;
  ServerOptions o = with_passkey();
  o.websockets["/ws"] = echo(seen);
  auto server = std::make_unique<LocalServer>(o);
  WsClient ws(server->url("ws", "/ws"), ws_auth());
  server.reset();
  EXPECT_FALSE(ws.receive(milliseconds(5'000)));
  EXPECT_TRUE(ws.closed());
  EXPECT_EQ(seen.count(), 1u);
}

}  // namespace
}  // namespace varan::test
