#include "net/server.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <iostream>
#include <limits>
#include <list>
#include <mutex>
#include <thread>

#include "net/ip_guard.h"
#include "net/tls.h"
#include "net/ws_session.h"

namespace varan::net {

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
  if (ec) throw OptionsError("bind_ip: \"" + ip + "\" is not an IP address");
  return a;
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

std::string find_header(const std::vector<std::pair<std::string, std::string>>& headers,
                        std::string_view name) {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, beast::string_view(name.data(), name.size()))) return v;
  return "";
}

// The state every connection shares; touched only on the I/O thread, but for the worker
// count (handler threads) and the stop flag.
struct Conn;

struct State {
  ServerOptions options;
  Handler handler;
  std::unique_ptr<asio::ssl::context> tls;
  std::atomic<bool> stopping{false};
  std::list<Conn*> conns, pending;   // pending: not yet authenticated, oldest first
  std::list<detail::WsLink*> links;  // open WebSockets
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

  const Limits& limits() const { return options.limits; }
  void log(const std::string& line) const {
    if (options.log_requests) std::cerr << line;  // one write per line: lines don't mix
  }
  Reply refusal(int status, const std::string& message) const {
    if (options.refusal) return options.refusal(status, message);
    return {status, message, "text/plain"};
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
    enter_pending(state_->limits().headers);
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
    if (upgraded_) return;  // the stream belongs to the WebSocket now
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
    parser_->header_limit(static_cast<std::uint32_t>(state_->limits().header_bytes));
    // Content-Length is judged once the caller is known. (Not boost::none: Boost 1.74
    // compares a length with it as if it were 0.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    received_ = 0;
    name_ = "-";
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  Request head() const {
    const auto& req = parser_->get();
    Request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& f : req)
      r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    r.remote = remote_;
    return r;
  }

  void on_header(error_code ec) {
    start_ = Clock::now();
    const Limits& limits = state_->limits();
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return refuse(
          431, "request headers larger than " + std::to_string(limits.header_bytes) + " bytes");
    if (ec) return;  // closed, timed out, evicted or not HTTP: nothing to answer
    auto& req = parser_->get();
    version_ = req.version();
    const ServerOptions& o = state_->options;
    // Refused before a byte of the body is read; the connection is closed after the answer.
    if (!ip_ok_) return refuse(401, "requesting ip " + remote_ + " not allowed");
    if (!o.passkeys.empty()) {
      auto it = req.find(http::field::authorization);
      if (it == req.end()) return refuse(401, "request was not sent with passkey");
      if (!passkey_ok({it->value().data(), it->value().size()}, o.passkeys))
        return refuse(401, "request passkey invalid");
    }
    if (o.authorize) {
      std::optional<Reply> no;
      try {
        no = o.authorize(head());
      } catch (const std::exception& e) {
        no = state_->refusal(500, e.what());
      }
      if (no) return answer(*no, false);
    }
    if (beast::websocket::is_upgrade(req)) {
      auto ws = o.websockets.find(std::string(req.target()));
      if (ws != o.websockets.end()) return upgrade(ws->second);
    }
    auto length = parser_->content_length();
    if (length && *length > limits.body_bytes)
      return refuse(413,
                    "request body larger than " + std::to_string(limits.body_bytes) + " bytes");
    if (state_->busy >= limits.busy)
      return refuse(503, o.who + " is already serving " + std::to_string(limits.busy) +
                             " requests; try again shortly");
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

  // The connection becomes a WebSocket: the stream moves to a link the server keeps until
  // it ends, and this session is done.
  void upgrade(const WsCallbacks& callbacks) {
    if (static_cast<int>(state_->links.size()) >= state_->limits().websockets)
      return refuse(503, state_->options.who + " is already serving " +
                             std::to_string(state_->limits().websockets) +
                             " WebSocket connections; try again shortly");
    leave_pending();
    upgraded_ = true;
    auto link = std::make_shared<detail::WsSession<Stream>>(
        std::move(stream_), callbacks, remote_, state_->options.websocket_options, state_);
    auto state = state_;
    auto at = state->links.insert(state->links.end(), link.get());
    std::string remote = remote_;
    auto start = start_;
    link->on_end = [state, at, remote, start] {
      state->links.erase(at);
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      state->log(state->options.name + ": websocket from " + remote + " closed after " +
                 std::to_string(ms) + " ms\n");
    };
    link->accept(parser_->release(), state_->options.server_header);
  }

  void read_body() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(error_code ec) {
    if (ec == http::error::body_limit)
      return refuse(413, "request body larger than " + std::to_string(state_->limits().body_bytes) +
                             " bytes");
    if (ec) return;
    lowest().expires_never();  // the handler takes as long as the job does
    received_ = parser_->get().body().size();
    {
      std::lock_guard lock(state_->mu);
      ++state_->workers;
    }
    // Handlers block (a deploy, a command): each runs on a thread of its own, capped by
    // `busy`, and its answer is written back on the I/O thread.
    std::thread([self = this->shared_from_this()]() mutable {
      auto state = self->state_;
      Request request = self->head();
      request.body = std::move(self->parser_->get().body());
      Reply reply;
      try {
        reply = state->handler(request);
      } catch (const std::exception& e) {
        reply = state->refusal(500, e.what());
      }
      std::string name = request.target;
      if (state->options.log_name) name = state->options.log_name(request);
      bool keep = self->parser_->get().keep_alive();
      auto* session = self.get();
      asio::post(state->ioc, [self = std::move(self), reply = std::move(reply), keep, session,
                              name = std::move(name)] {
        session->name_ = name;
        session->answer(reply, keep);
      });
      std::lock_guard lock(state->mu);
      --state->workers;
      state->idle.notify_all();
    }).detach();
  }

  void refuse(int status, const std::string& message) {
    answer(state_->refusal(status, message), false);
  }

  void answer(const Reply& reply, bool keep_alive) {
    keep_alive = keep_alive && !state_->stopping;
    res_.emplace(static_cast<http::status>(reply.status), version_);
    res_->set(http::field::server, state_->options.server_header);
    if (!reply.body.empty()) res_->set(http::field::content_type, reply.content_type);
    res_->keep_alive(keep_alive);
    res_->body() = reply.body;
    res_->prepare_payload();
    lowest().expires_after(state_->limits().answer);
    http::async_write(
        stream_, *res_,
        [self = this->shared_from_this(), status = reply.status, keep_alive](
            error_code ec, std::size_t n) { self->on_answered(ec, status, n, keep_alive); });
  }

  void on_answered(error_code ec, int status, std::size_t sent, bool keep_alive) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
    // Never the body: it may carry commands and secrets.
    state_->log(state_->options.name + ": request " + name_ + " from " + remote_ + ": " +
                std::to_string(status) + " in " + std::to_string(ms) + " ms, " +
                std::to_string(received_) + " bytes in, " + std::to_string(sent) + " bytes out\n");
    release_busy();
    res_.reset();
    parser_.reset();  // an idle connection doesn't keep its last body
    if (ec || state_->stopping) return;
    if (keep_alive) {
      enter_pending(state_->limits().idle);
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
  std::string remote_, name_ = "-";
  bool ip_ok_, busy_ = false, upgraded_ = false;
  unsigned version_ = 11;
  std::size_t received_ = 0;
  Clock::time_point start_ = Clock::now();
};

}  // namespace

std::string Request::header(std::string_view name) const { return find_header(headers, name); }

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
        std::cerr << options.name << ": warning: can't accept a connection: " << ec.message()
                  << " (raise LimitNOFILE / ulimit -n); refusing new connections for a moment\n";
      }
      return pause_accepting();
    }
    if (ec == asio::error::connection_aborted) return accept();
    if (ec) return pause_accepting();
    error_code e;
    auto ep = socket.remote_endpoint(e);
    if (e) return accept();
    std::string remote = plain_ip(ep.address().to_string());
    bool ip_ok = ip_allowed(remote, options.allowed_ips);
    // The pool of unauthenticated connections is full: the oldest makes room. A real
    // client sends its headers at once, an idle or slow one is the one that goes.
    if (!pending.empty() && static_cast<int>(pending.size()) >= limits().pending) {
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
      for (detail::WsLink* l : std::vector<detail::WsLink*>(links.begin(), links.end()))
        l->abort();
    });
  }

  std::weak_ptr<Impl> owner;
};

Server::Server(const ServerOptions& options) : impl_(std::make_shared<Impl>()) {
  impl_->owner = impl_;
  impl_->options = options;
  if (options.passkeys.empty() && !options.authorize && !options.insecure_no_auth)
    throw OptionsError(
        "no passkeys and no authorization hook: anyone who reaches the port would be served; "
        "set passkeys or say insecure_no_auth");
  // Sockets must fit in the descriptors the process may open, with room left for the
  // handlers' own files, pipes and outgoing connections.
  rlimit nofile{};
  Limits& limits = impl_->options.limits;
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
    long n = static_cast<long>(nofile.rlim_cur);
    limits.pending = static_cast<int>(std::min<long>(limits.pending, std::max(8L, n / 4)));
    limits.busy = static_cast<int>(std::min<long>(limits.busy, std::max(4L, n / 8)));
    limits.websockets = static_cast<int>(std::min<long>(limits.websockets, std::max(4L, n / 8)));
  }
  impl_->reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  // TLS is ready before the port opens: no client ever connects to a half-made server.
  if (options.tls) {
    ensure_self_signed(options.tls_key_file, options.tls_cert_file);
    impl_->tls = server_context(options.tls_key_file, options.tls_cert_file);
  }
  auto addr = parse_bind(options.bind_ip);
  tcp::endpoint ep(addr, static_cast<unsigned short>(options.port));
  auto& a = impl_->acceptor;
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  if (addr.is_v6()) a.set_option(asio::ip::v6_only(false));
  error_code ec;
  a.bind(ep, ec);
  if (ec)
    throw Error("can't listen on " + options.bind_ip + ":" + std::to_string(options.port) + ": " +
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

const Limits& Server::limits() const { return impl_->options.limits; }

void Server::run(const Handler& handler) {
  impl_->handler = handler;
  impl_->accept();
  impl_->watch_for_stop();
  impl_->ioc.run();
}

// Async-signal-safe (daemons call it from their SIGTERM handler): a flag that the I/O
// thread looks at every kStopPoll.
void Server::stop() { impl_->stopping = true; }

}  // namespace varan::net
