#include "periphery/server.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <condition_variable>
#include <iostream>
#include <limits>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "periphery/tls.h"

namespace varan::periphery {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kStopPoll = std::chrono::milliseconds(200);  // how soon run() sees stop()
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
constexpr auto kCloseTimeout = std::chrono::seconds(2);  // TLS close_notify from the peer
constexpr std::size_t kReadBuffer = 16u << 10;           // per connection, headers or body

asio::ip::address parse_bind(std::string ip) {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  error_code ec;
  auto a = asio::ip::make_address(ip, ec);
  if (ec) throw ConfigError("periphery config: bind_ip: \"" + ip + "\" is not an IP address");
  return a;
}

asio::ip::address unmapped(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

// Everything in IPv6 space: an IPv4 address (or network) is its IPv4-mapped form.
asio::ip::address_v6::bytes_type v6_bytes(const asio::ip::address& a) {
  if (a.is_v4()) return asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4()).to_bytes();
  return a.to_v6().to_bytes();
}

// Compares every passkey in full, whatever matches, so timing says nothing.
bool passkey_ok(std::string_view given, const std::vector<std::string>& keys) {
  int ok = 0;
  for (const auto& k : keys) {
    std::string padded(given);
    padded.resize(k.size());
    ok |= static_cast<int>(given.size() == k.size() &&
                           CRYPTO_memcmp(padded.data(), k.data(), k.size()) == 0);
    OPENSSL_cleanse(padded.data(), padded.size());
  }
  return ok != 0;
}

// Skips one JSON string starting at body[i] == '"'; returns the index after it.
std::size_t skip_string(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\')
      ++i;
    else if (s[i] == '"')
      return i + 1;
  }
  return s.size();
}

// The state every connection shares; touched only on the I/O thread, but for the worker
// count (handler threads) and the stop flag.
struct Conn;

struct State {
  Config config;
  Limits limits;
  bool log_info = true;
  Handler handler;
  std::unique_ptr<asio::ssl::context> tls;
  std::atomic<bool> stopping{false};
  std::list<Conn*> conns, pending;  // pending: not yet authenticated, oldest first
  int busy = 0;
  int reserve_fd = -1;  // given up to accept-and-close one connection when out of fds
  Clock::time_point last_fd_warning{};
  std::mutex mu;
  std::condition_variable idle;
  int workers = 0;
  // Declared after the lists: connections the I/O context still holds when it is
  // destroyed take themselves off these lists.
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::steady_timer backoff{ioc}, watch{ioc};

  void log(const std::string& line) const {
    if (log_info) std::cerr << line;  // one write per line: lines from threads don't mix
  }
};

struct Conn {
  virtual ~Conn() = default;
  virtual void close() = 0;
  std::list<Conn*>::iterator in_conns, in_pending;
  bool is_pending = false;
};

template <typename Stream>
class Session : public Conn, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(std::shared_ptr<State> state, Stream stream, std::string remote, bool ip_ok)
      : state_(std::move(state)),
        stream_(std::move(stream)),
        buffer_(kReadBuffer),
        remote_(std::move(remote)),
        ip_ok_(ip_ok) {
    in_conns = state_->conns.insert(state_->conns.end(), this);
  }
  ~Session() override {
    leave_pending();
    release_busy();
    state_->conns.erase(in_conns);
  }

  void start() {
    enter_pending(state_->limits.headers);
    if constexpr (kTls) {
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                if (!ec) self->read_header();
                              });
    } else {
      read_header();
    }
  }

  void close() override {
    error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // The pending pool is where a new connection finds its victim when the pool is full.
  void enter_pending(Clock::duration deadline) {
    if (!is_pending) in_pending = state_->pending.insert(state_->pending.end(), this);
    is_pending = true;
    lowest().expires_after(deadline);
  }
  void leave_pending() {
    if (is_pending) state_->pending.erase(in_pending);
    is_pending = false;
  }
  void release_busy() {
    if (busy_) --state_->busy;
    busy_ = false;
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->limits.header_bytes));
    // Content-Length is judged once the caller is known. (Not boost::none: Boost 1.74
    // compares a length with it as if it were 0.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    received_ = 0;
    type_ = "-";
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    start_ = Clock::now();
    const Limits& limits = state_->limits;
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return fail(431, serror("request headers larger than " + std::to_string(limits.header_bytes) +
                              " bytes"));
    if (ec) return;  // closed, timed out, evicted or not HTTP: nothing to answer
    auto& req = parser_->get();
    version_ = req.version();
    // Refused before a byte of the body is read; the connection is closed after the answer.
    if (!ip_ok_) return fail(401, serror("requesting ip " + remote_ + " not allowed"));
    if (!state_->config.passkeys.empty()) {
      auto it = req.find(http::field::authorization);
      if (it == req.end()) return fail(401, serror("request was not sent with passkey"));
      if (!passkey_ok({it->value().data(), it->value().size()}, state_->config.passkeys))
        return fail(401, serror("request passkey invalid"));
    }
    if (req.target() != "/") return fail(404, "");
    if (req.method() != http::verb::post) return fail(405, "");
    auto length = parser_->content_length();
    if (length && *length > limits.body_bytes)
      return fail(
          413, serror("request body larger than " + std::to_string(limits.body_bytes) + " bytes"));
    if (state_->busy >= limits.busy)
      return fail(503, serror("the agent is already serving " + std::to_string(limits.busy) +
                              " requests; try again shortly"));
    leave_pending();
    ++state_->busy;
    busy_ = true;
    parser_->body_limit(limits.body_bytes);
    lowest().expires_after(limits.body);
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, version_);
      http::async_write(stream_, *continue_,
                        [self = this->shared_from_this()](error_code e, std::size_t) {
                          if (!e) self->read_body();
                        });
    } else {
      read_body();
    }
  }

  void read_body() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(error_code ec) {
    if (ec == http::error::body_limit)
      return fail(413, serror("request body larger than " +
                              std::to_string(state_->limits.body_bytes) + " bytes"));
    if (ec) return;
    lowest().expires_never();  // the handler takes as long as the job does
    received_ = parser_->get().body().size();
    {
      std::lock_guard lock(state_->mu);
      ++state_->workers;
    }
    // Handlers block (a ComposeUp, a RunCommand): each runs on a thread of its own, capped
    // by `busy`, and its answer is written back on the I/O thread.
    std::thread([self = this->shared_from_this()]() mutable {
      auto state = self->state_;
      const auto& req = self->parser_->get();
      auto ct = req.find(http::field::content_type);
      Reply reply;
      try {
        reply = state->handler(req.body(), ct == req.end() ? "" : std::string(ct->value()));
      } catch (const std::exception& e) {
        reply = {500, serror(e.what())};
      }
      self->type_ = request_type(req.body());
      bool keep = req.keep_alive();
      auto* session = self.get();
      asio::post(state->ioc, [self = std::move(self), reply = std::move(reply), keep, session] {
        session->answer(reply.status, reply.body, keep);
      });
      std::lock_guard lock(state->mu);
      --state->workers;
      state->idle.notify_all();
    }).detach();
  }

  void fail(int status, const std::string& body) { answer(status, body, false); }

  void answer(int status, const std::string& body, bool keep_alive) {
    keep_alive = keep_alive && !state_->stopping;
    res_.emplace(static_cast<http::status>(status), version_);
    res_->set(http::field::server, "varan-periphery");
    if (!body.empty()) res_->set(http::field::content_type, "application/json");
    res_->keep_alive(keep_alive);
    res_->body() = body;
    res_->prepare_payload();
    lowest().expires_after(state_->limits.answer);
    http::async_write(
        stream_, *res_,
        [self = this->shared_from_this(), status, keep_alive](error_code ec, std::size_t n) {
          self->on_answered(ec, status, n, keep_alive);
        });
  }

  void on_answered(error_code ec, int status, std::size_t sent, bool keep_alive) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
    // Never the params: they carry commands and secrets.
    state_->log("periphery: request " + type_ + " from " + remote_ + ": " + std::to_string(status) +
                " in " + std::to_string(ms) + " ms, " + std::to_string(received_) + " bytes in, " +
                std::to_string(sent) + " bytes out\n");
    release_busy();
    res_.reset();
    parser_.reset();  // an idle connection doesn't keep its last body
    if (ec || state_->stopping) return;
    if (keep_alive) {
      enter_pending(state_->limits.idle);
      return read_header();
    }
    enter_pending(kCloseTimeout);  // the farewell may be cut short by a newcomer
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](error_code) {});
    } else {
      error_code e;
      lowest().socket().shutdown(tcp::socket::shutdown_send, e);
    }
  }

  std::shared_ptr<State> state_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> res_;
  std::string remote_, type_ = "-";
  bool ip_ok_, busy_ = false;
  unsigned version_ = 11;
  std::size_t received_ = 0;
  Clock::time_point start_ = Clock::now();
};

}  // namespace

std::string serror(const std::string& error, const std::vector<std::string>& trace) {
  return nlohmann::json{{"error", error}, {"trace", trace}}.dump();
}

bool ip_allowed(const std::string& ip, const std::vector<std::string>& cidrs) {
  if (cidrs.empty()) return true;
  error_code ec;
  auto addr = asio::ip::make_address(ip, ec);
  if (ec) return false;
  auto x = v6_bytes(addr);
  for (const auto& c : cidrs) {
    auto slash = c.find('/');
    auto net = asio::ip::make_address(c.substr(0, slash), ec);
    if (ec) continue;  // load_config refuses such entries; a direct caller gets no match
    int bits = 128;
    if (slash != std::string::npos) {
      const std::string digits = c.substr(slash + 1);
      if (digits.empty() || digits.size() > 3 ||
          digits.find_first_not_of("0123456789") != std::string::npos)
        continue;
      bits = std::stoi(digits) + (net.is_v4() ? 96 : 0);
      if (bits > 128) continue;
    }
    auto y = v6_bytes(net);
    bool match = true;
    for (int i = 0; i < bits && match; ++i)
      match = ((x[i / 8] ^ y[i / 8]) & (0x80 >> (i % 8))) == 0;
    if (match) return true;
  }
  return false;
}

std::string request_type(std::string_view s) {
  // A linear scan of the top-level object: nested values are skipped by counting brackets
  // (outside strings), so no depth can hurt.
  auto ws = [&](std::size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
      ++i;
    return i;
  };
  std::size_t i = ws(0);
  if (i >= s.size() || s[i] != '{') return "-";
  for (i = ws(i + 1); i < s.size() && s[i] == '"';) {
    std::size_t key_end = skip_string(s, i);
    bool is_type = s.substr(i, key_end - i) == "\"type\"";
    i = ws(key_end);
    if (i >= s.size() || s[i] != ':') return "-";
    i = ws(i + 1);
    if (is_type) {
      if (i >= s.size() || s[i] != '"') return "-";
      std::size_t end = skip_string(s, i);
      auto name = s.substr(i + 1, end - i - 2);
      bool plain =
          !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
            return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
          });
      return plain ? std::string(name) : "-";
    }
    for (long depth = 0; i < s.size(); ++i) {  // skip the value, up to its ','
      char ch = s[i];
      if (ch == '"') {
        i = skip_string(s, i) - 1;
      } else if (ch == '{' || ch == '[') {
        ++depth;
      } else if (ch == '}' || ch == ']') {
        if (depth-- == 0) return "-";  // the object ended without a type
      } else if (ch == ',' && depth == 0) {
        break;
      }
    }
    if (i >= s.size()) return "-";
    i = ws(i + 1);  // past the ','
  }
  return "-";
}

struct Server::Impl : State {
  void accept() {
    acceptor.async_accept(
        [this](error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
  }

  void on_accept(error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
        ec == asio::error::no_memory || ec.value() == ENFILE) {
      // Out of descriptors: the reserve one lets us take the waiting client off the queue
      // and close it (else epoll reports it again at once and the loop spins); then a pause.
      if (reserve_fd >= 0) {
        ::close(reserve_fd);
        int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) ::close(fd);
        reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      }
      if (Clock::now() - last_fd_warning > std::chrono::seconds(10)) {
        last_fd_warning = Clock::now();
        std::cerr << "periphery: warning: can't accept a connection: " << ec.message()
                  << " (raise LimitNOFILE / ulimit -n); refusing new connections for a moment\n";
      }
      return pause_accepting();
    }
    if (ec == asio::error::connection_aborted) return accept();
    if (ec) return pause_accepting();
    error_code e;
    auto ep = socket.remote_endpoint(e);
    if (e) return accept();
    std::string remote = unmapped(ep.address()).to_string();
    bool ip_ok = ip_allowed(remote, config.allowed_ips);
    // The pool of unauthenticated connections is full: the oldest makes room. A real
    // client sends its headers at once, an idle or slow one is the one that goes.
    if (!pending.empty() && static_cast<int>(pending.size()) >= limits.pending) {
      Conn* oldest = pending.front();
      pending.pop_front();
      oldest->is_pending = false;
      oldest->close();
    }
    auto self = std::static_pointer_cast<State>(owner.lock());
    if (tls) {
      beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(self, std::move(stream),
                                                                      remote, ip_ok)
          ->start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(self, beast::tcp_stream(std::move(socket)),
                                                   remote, ip_ok)
          ->start();
    }
    accept();
  }

  void pause_accepting() {
    backoff.expires_after(kAcceptBackoff);
    backoff.async_wait([this](error_code ec) {
      if (!ec && !stopping) accept();
    });
  }

  void watch_for_stop() {
    watch.expires_after(kStopPoll);
    watch.async_wait([this](error_code ec) {
      if (ec) return;
      if (!stopping) return watch_for_stop();
      error_code e;
      acceptor.close(e);
      backoff.cancel();
      for (Conn* c : std::vector<Conn*>(conns.begin(), conns.end()))
        c->close();
    });
  }

  std::weak_ptr<Impl> owner;
};

Server::Server(const Config& config, const Limits& limits) : impl_(std::make_shared<Impl>()) {
  impl_->owner = impl_;
  impl_->config = config;
  impl_->limits = limits;
  impl_->log_info = config.logging_level != "warn" && config.logging_level != "error";
  if (config.passkeys.empty() && !config.insecure_no_auth)
    throw ConfigError(
        "periphery config: passkeys: none are set, so anyone who reaches the port could run "
        "commands on this host; set passkeys (or PERIPHERY_PASSKEYS / PERIPHERY_PASSKEYS_FILE), "
        "or start with --insecure-no-auth (insecure_no_auth = true) to accept requests without "
        "a passkey");
  // Sockets must fit in the descriptors the process may open, with room left for the
  // handlers' own files, pipes and Docker connections.
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
    long n = static_cast<long>(nofile.rlim_cur);
    impl_->limits.pending = static_cast<int>(std::min<long>(limits.pending, std::max(8L, n / 4)));
    impl_->limits.busy = static_cast<int>(std::min<long>(limits.busy, std::max(4L, n / 8)));
  }
  impl_->reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  // TLS is ready before the port opens: no client ever connects to a half-made server.
  if (config.ssl_enabled) {
    ensure_self_signed(config.ssl_key_file, config.ssl_cert_file);
    impl_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    impl_->tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                            asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                            asio::ssl::context::no_tlsv1_1);
    // Idle connections don't keep 34 KiB of TLS buffers each.
    SSL_CTX_set_mode(impl_->tls->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    try {
      impl_->tls->use_certificate_chain_file(config.ssl_cert_file);
      impl_->tls->use_private_key_file(config.ssl_key_file, asio::ssl::context::pem);
    } catch (const boost::system::system_error& e) {
      throw Error("can't load the TLS key " + config.ssl_key_file + " or certificate " +
                  config.ssl_cert_file + ": " + e.what());
    }
  }
  auto addr = parse_bind(config.bind_ip);
  tcp::endpoint ep(addr, static_cast<unsigned short>(config.port));
  auto& a = impl_->acceptor;
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  if (addr.is_v6()) a.set_option(asio::ip::v6_only(false));
  error_code ec;
  a.bind(ep, ec);
  if (ec)
    throw Error("can't listen on " + config.bind_ip + ":" + std::to_string(config.port) + ": " +
                ec.message());
  a.listen(asio::socket_base::max_listen_connections);
}

Server::~Server() {
  stop();
  // A handler still running holds the state; give it a while to answer, then leave it.
  std::unique_lock lock(impl_->mu);
  impl_->idle.wait_for(lock, std::chrono::seconds(10), [&] { return impl_->workers == 0; });
  lock.unlock();
  // Answers posted after run() returned: written (and failing on the closed socket) now, so
  // their connections don't outlive the server.
  impl_->ioc.restart();
  impl_->ioc.poll();
  if (impl_->reserve_fd >= 0) ::close(impl_->reserve_fd);
  impl_->reserve_fd = -1;
}

int Server::port() const { return impl_->acceptor.local_endpoint().port(); }

const Limits& Server::limits() const { return impl_->limits; }

void Server::run(const Handler& handler) {
  impl_->handler = handler;
  impl_->accept();
  impl_->watch_for_stop();
  impl_->ioc.run();
}

// Async-signal-safe (the agent calls it from its SIGTERM handler): a flag that the I/O
// thread looks at every kStopPoll.
void Server::stop() { impl_->stopping = true; }

}  // namespace varan::periphery
