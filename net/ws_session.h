/// Internal to net/: the one WebSocket connection behind both sides, a read loop, a write
/// queue and the close handshake on a Beast stream, every step on the stream's executor
/// (one I/O thread), so the public calls only post to it.
#pragma once

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "net/websocket.h"

namespace varan::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

/// What a server needs of a link besides the public calls: to cut it when stopping and to
/// hear when it ended (both on the I/O thread).
class WsLink : public WebSocket {
 public:
  virtual void abort() = 0;
  std::function<void()> on_end;  // once, when the link is over (or never opened)
};

template <typename Next>
class WsSession final : public WsLink, public std::enable_shared_from_this<WsSession<Next>> {
 public:
  WsSession(Next next, WsCallbacks callbacks, std::string remote, const WsOptions& options,
            std::shared_ptr<void> keep = {})
      : ws_(std::move(next)),
        cb_(std::move(callbacks)),
        remote_(std::move(remote)),
        keep_(std::move(keep)) {
    // The WebSocket layer keeps its own deadlines; the TCP one would cut a quiet link.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = options.handshake;
    t.idle_timeout = options.idle;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(options.message_bytes);
    ws_.auto_fragment(false);
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
      if (kind == websocket::frame_type::pong && cb_.on_pong)
        cb_.on_pong(*this, std::string(payload));
    });
  }

  /// Server side: answers the upgrade request `req` (kept until the answer is written).
  void accept(http::request<http::string_body> req, const std::string& server_header) {
    req_.emplace(std::move(req));
    ws_.set_option(
        websocket::stream_base::decorator([server_header](websocket::response_type& res) {
          res.set(http::field::server, server_header);
        }));
    ws_.async_accept(*req_, [self = this->shared_from_this()](beast::error_code ec) {
      self->req_.reset();
      if (ec) return self->end(ec);
      self->opened();
    });
  }

  /// Client side: asks for the upgrade; `done` gets the error and the server's answer.
  void handshake(const std::string& host, const std::string& target,
                 std::vector<std::pair<std::string, std::string>> headers,
                 std::function<void(beast::error_code, const websocket::response_type&)> done) {
    ws_.set_option(websocket::stream_base::decorator(
        [headers = std::move(headers)](websocket::request_type& req) {
          req.set(http::field::user_agent, "varan");
          for (const auto& [k, v] : headers)
            req.set(k, v);
        }));
    ws_.async_handshake(res_, host, target,
                        [self = this->shared_from_this(), done](beast::error_code ec) {
                          done(ec, self->res_);
                          if (ec) return self->end(ec);
                          self->opened();
                        });
  }

  Next& next_layer() { return ws_.next_layer(); }

  void send(std::string data, bool binary) override {
    asio::post(ws_.get_executor(),
               [self = this->shared_from_this(), data = std::move(data), binary]() mutable {
                 if (self->closing_ || self->ended_) return;
                 self->out_.push_back({std::move(data), binary});
                 if (!self->writing_) self->write_next();
               });
  }

  void ping(std::string payload) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), payload = std::move(payload)] {
      if (self->closing_ || self->ended_ || !self->open_) return;
      // Beast allows one ping at a time; a second one meanwhile is dropped.
      if (self->pinging_) return;
      self->pinging_ = true;
      self->ping_payload_ = payload.substr(0, 125);
      self->ws_.async_ping(websocket::ping_data(self->ping_payload_.c_str()),
                           [self](beast::error_code) { self->pinging_ = false; });
    });
  }

  void close(int code, std::string reason) override {
    asio::post(ws_.get_executor(),
               [self = this->shared_from_this(), code, reason = std::move(reason)]() mutable {
                 if (self->closing_ || self->ended_) return;
                 self->closing_ = true;
                 self->close_code_ = code;
                 self->close_reason_ = std::move(reason);
                 if (!self->writing_) self->send_close();
               });
  }

  const std::string& remote() const override { return remote_; }

  void abort() override {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).close();
  }

 private:
  void opened() {
    open_ = true;
    if (cb_.on_open) cb_.on_open(this->shared_from_this());
    read();
  }

  void read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->end(ec);
      WsMessage m{beast::buffers_to_string(self->buffer_.data()), self->ws_.got_binary()};
      self->buffer_.consume(self->buffer_.size());
      if (self->cb_.on_message && !self->ended_) self->cb_.on_message(*self, std::move(m));
      self->read();
    });
  }

  void write_next() {
    if (out_.empty()) {
      writing_ = false;
      if (closing_ && !close_sent_) send_close();
      return;
    }
    writing_ = true;
    ws_.binary(out_.front().second);
    ws_.async_write(asio::buffer(out_.front().first),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      self->out_.pop_front();
                      if (ec) {
                        self->writing_ = false;
                        self->out_.clear();
                        return;  // the read loop reports the end
                      }
                      self->write_next();
                    });
  }

  void send_close() {
    close_sent_ = true;
    std::string reason = close_reason_.substr(0, 123);  // a control frame holds 125 bytes
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(close_code_),
                                            beast::string_view(reason)),
                    [self = this->shared_from_this()](beast::error_code ec) {
                      if (ec) self->abort();  // the read loop reports the end
                    });
  }

  void end(beast::error_code ec) {
    if (ended_) return;
    ended_ = true;
    out_.clear();
    WsClose info;
    bool peer_closed = ws_.reason().code != websocket::close_code::none;
    if (ec == websocket::error::message_too_big) {
      info.code = 1009;
      info.reason = "message larger than the cap";
    } else if (ec == websocket::error::closed || (close_sent_ && peer_closed)) {
      info.code = ws_.reason().code;
      info.reason = std::string(ws_.reason().reason.c_str());
    } else if (close_sent_ && !ws_.is_open()) {
      // Our close went out and the read loop was cut by it: the close we asked for.
      info.code = close_code_;
      info.reason = close_reason_;
    } else {
      info.reason = ec.message();
    }
    if (on_end) on_end();
    if (open_ && cb_.on_close) cb_.on_close(*this, info);
  }

  websocket::stream<Next> ws_;
  WsCallbacks cb_;
  std::string remote_;
  std::shared_ptr<void> keep_;  // what the executor lives in, while callers hold the link
  beast::flat_buffer buffer_;
  std::optional<http::request<http::string_body>> req_;
  websocket::response_type res_;
  std::deque<std::pair<std::string, bool>> out_;
  std::string ping_payload_, close_reason_;
  int close_code_ = 1000;
  bool open_ = false, writing_ = false, closing_ = false, close_sent_ = false, ended_ = false,
       pinging_ = false;
};

}  // namespace varan::net::detail
