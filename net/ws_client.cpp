// WsClient: the client side of net/websocket.h, a WsSession on an I/O thread of its own
// with an inbox the blocking calls read.
#include <boost/asio/ip/tcp.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "net/url.h"
#include "net/websocket.h"
#include "net/ws_session.h"

namespace varan::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using beast::error_code;
using detail::WsSession;

struct WsClient::Impl {
  std::unique_ptr<ssl::context> tls;
  asio::io_context ioc{1};
  std::shared_ptr<detail::WsLink> link;  // destroyed before the I/O context it lives on
  std::thread thread;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<WsMessage> inbox;
  bool closed = false;
  WsClose info;
  int pongs = 0;

  WsCallbacks callbacks() {
    WsCallbacks cb;
    cb.on_message = [this](WebSocket&, WsMessage m) {
      std::lock_guard lock(mu);
      inbox.push_back(std::move(m));
      cv.notify_all();
    };
    cb.on_pong = [this](WebSocket&, const std::string&) {
      std::lock_guard lock(mu);
      ++pongs;
    };
    cb.on_close = [this](WebSocket&, const WsClose& c) {
      std::lock_guard lock(mu);
      closed = true;
      info = c;
      cv.notify_all();
    };
    return cb;
  }

  // Runs the I/O context on this thread until `done`; every step has its own deadline.
  void run_until(const bool& done) {
    while (!done && ioc.run_one() > 0) {
    }
  }

  template <typename Stream>
  void dial(const std::string& url, const Url& u, Stream stream, tcp::resolver::results_type eps,
            const WsClientOptions& o) {
    auto fail = [&](const std::string& what, const error_code& ec) {
      return Error("WebSocket " + url + ": " + what + ": " + ec.message());
    };
    bool done = false;
    error_code ec;
    auto& tcp_layer = beast::get_lowest_layer(stream);
    tcp_layer.expires_after(o.connect);
    tcp_layer.async_connect(eps, [&](error_code e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    run_until(done);
    if (ec) throw fail("can't connect", ec);
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      if (!verify_peer_name(stream.native_handle(), u.host, o.tls.verify))
        throw Error("WebSocket " + url + ": can't check the TLS name " + u.host);
      done = false;
      stream.async_handshake(ssl::stream_base::client, [&](error_code e) {
        ec = e;
        done = true;
      });
      run_until(done);
      if (ec) throw fail("TLS handshake failed", ec);
    }
    WsOptions ws = o.ws;
    ws.handshake = std::min(ws.handshake, o.connect);
    auto session = std::make_shared<WsSession<Stream>>(std::move(stream), callbacks(), u.host, ws);
    link = session;
    done = false;
    int status = 0;
    std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
    session->handshake(host + ":" + u.port, u.target, o.headers,
                       [&](error_code e, const websocket::response_type& res) {
                         ec = e;
                         status = res.result_int();
                         done = true;
                       });
    run_until(done);
    if (ec == websocket::error::upgrade_declined)
      throw Error("WebSocket " + url + ": the server answered the upgrade with HTTP " +
                  std::to_string(status));
    if (ec) throw fail("the upgrade failed", ec);
  }
};

WsClient::WsClient(const std::string& url, const WsClientOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Url u = parse_url(url);
  auto& ioc = impl_->ioc;
  tcp::resolver resolver(ioc);
  error_code ec;
  auto eps = resolver.resolve(u.host, u.port, ec);
  if (ec) throw Error("WebSocket " + url + ": can't resolve " + u.host + ": " + ec.message());
  if (u.tls) {
    impl_->tls = client_context(options.tls);
    impl_->dial(url, u, beast::ssl_stream<beast::tcp_stream>(ioc, *impl_->tls), eps, options);
  } else {
    impl_->dial(url, u, beast::tcp_stream(ioc), eps, options);
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

WsClient::~WsClient() {
  if (!closed()) close(1000, {}, std::chrono::milliseconds(2'000));
  if (impl_->thread.joinable()) {
    impl_->ioc.stop();
    impl_->thread.join();
  }
}

void WsClient::send(std::string data, bool binary) { impl_->link->send(std::move(data), binary); }

void WsClient::ping(std::string payload) { impl_->link->ping(std::move(payload)); }

std::optional<WsMessage> WsClient::receive(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait_for(lock, timeout, [&] { return !impl_->inbox.empty() || impl_->closed; });
  if (impl_->inbox.empty()) return std::nullopt;
  WsMessage m = std::move(impl_->inbox.front());
  impl_->inbox.pop_front();
  return m;
}

bool WsClient::close(int code, std::string reason, std::chrono::milliseconds timeout) {
  if (!closed()) impl_->link->close(code, std::move(reason));
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->closed; });
}

bool WsClient::closed() const {
  std::lock_guard lock(impl_->mu);
  return impl_->closed;
}

WsClose WsClient::close_info() const {
  std::lock_guard lock(impl_->mu);
  return impl_->info;
}

int WsClient::pongs() const {
  std::lock_guard lock(impl_->mu);
  return impl_->pongs;
}

}  // namespace varan::net
