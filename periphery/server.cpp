#include "periphery/server.h"

#include <openssl/crypto.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "periphery/tls.h"

namespace varan::periphery {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kBodyLimit = 32u << 20;
constexpr int kIoTimeoutS = 60;

asio::ip::address parse_bind(std::string ip) {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  boost::system::error_code ec;
  auto a = asio::ip::make_address(ip, ec);
  if (ec) throw ConfigError("periphery config: bind_ip: \"" + ip + "\" is not an IP address");
  return a;
}

asio::ip::address unmapped(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  return a;
}

// Compares every passkey in full, whatever matches, so timing says nothing.
bool passkey_ok(const std::string& given, const std::vector<std::string>& keys) {
  int ok = 0;
  for (const auto& k : keys) {
    std::string padded = given;
    padded.resize(k.size());
    ok |= static_cast<int>(given.size() == k.size() &&
                           CRYPTO_memcmp(padded.data(), k.data(), k.size()) == 0);
  }
  return ok != 0;
}

}  // namespace

std::string serror(const std::string& error, const std::vector<std::string>& trace) {
  return nlohmann::json{{"error", error}, {"trace", trace}}.dump();
}

bool ip_allowed(const std::string& ip, const std::vector<std::string>& cidrs) {
  if (cidrs.empty()) return true;
  boost::system::error_code ec;
  auto addr = unmapped(asio::ip::make_address(ip, ec));
  if (ec) return false;
  for (const auto& c : cidrs) {
    auto slash = c.find('/');
    auto net = asio::ip::make_address(c.substr(0, slash), ec);
    if (ec) continue;
    net = unmapped(net);
    if (net.is_v4() != addr.is_v4()) continue;
    int max = net.is_v4() ? 32 : 128;
    int bits = slash == std::string::npos ? max : std::atoi(c.c_str() + slash + 1);
    if (bits < 0 || bits > max) continue;
    auto bytes = [](const asio::ip::address& a) {
      std::vector<unsigned char> b;
      if (a.is_v4()) {
        auto v = a.to_v4().to_bytes();
        b.assign(v.begin(), v.end());
      } else {
        auto v = a.to_v6().to_bytes();
        b.assign(v.begin(), v.end());
      }
      return b;
    };
    auto x = bytes(addr), y = bytes(net);
    bool match = true;
    for (int i = 0; i < bits && match; ++i)
      match = ((x[i / 8] ^ y[i / 8]) & (0x80 >> (i % 8))) == 0;
    if (match) return true;
  }
  return false;
}

struct Server::Impl {
  Config config;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<asio::ssl::context> tls;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable idle;
  int active = 0;

  template <typename Stream>
  void serve(Stream& stream, const std::string& remote, const Handler& handler) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kBodyLimit);
      boost::system::error_code ec;
      http::read(stream, buffer, parser, ec);
      if (ec == http::error::body_limit) {
        respond(stream, 413,
                serror("request body larger than " + std::to_string(kBodyLimit) + " bytes"), false,
                11);
        return;
      }
      if (ec) return;
      auto& req = parser.get();
      Reply reply = route(req, remote, handler);
      if (!respond(stream, reply.status, reply.body, req.keep_alive(), req.version())) return;
      if (!req.keep_alive()) return;
    }
  }

  Reply route(const http::request<http::string_body>& req, const std::string& remote,
              const Handler& handler) {
    if (!ip_allowed(remote, config.allowed_ips))
      return {401, serror("requesting ip " + remote + " not allowed")};
    if (!config.passkeys.empty()) {
      auto it = req.find(http::field::authorization);
      if (it == req.end()) return {401, serror("request was not sent with passkey")};
      if (!passkey_ok(std::string(it->value()), config.passkeys))
        return {401, serror("request passkey invalid")};
    }
    if (req.target() != "/") return {404, ""};
    if (req.method() != http::verb::post) return {405, ""};
    auto ct = req.find(http::field::content_type);
    std::string content_type = ct == req.end() ? "" : std::string(ct->value());
    return handler(req.body(), content_type);
  }

  template <typename Stream>
  bool respond(Stream& stream, int status, const std::string& body, bool keep_alive,
               unsigned version) {
    http::response<http::string_body> res{static_cast<http::status>(status), version};
    res.set(http::field::server, "varan-periphery");
    if (!body.empty()) res.set(http::field::content_type, "application/json");
    res.keep_alive(keep_alive);
    res.body() = body;
    res.prepare_payload();
    boost::system::error_code ec;
    http::write(stream, res, ec);
    return !ec;
  }

  void connection(tcp::socket socket, const Handler& handler) {
    boost::system::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    std::string remote = ec ? "" : unmapped(ep.address()).to_string();
    timeval tv{kIoTimeoutS, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (tls) {
      beast::ssl_stream<tcp::socket> stream(std::move(socket), *tls);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (ec) return;
      serve(stream, remote, handler);
      stream.shutdown(ec);
    } else {
      serve(socket, remote, handler);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }
};

Server::Server(const Config& config) : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  // TLS is ready before the port opens: no client ever connects to a half-made server.
  if (config.ssl_enabled) {
    ensure_self_signed(config.ssl_key_file, config.ssl_cert_file);
    impl_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    impl_->tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                            asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                            asio::ssl::context::no_tlsv1_1);
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
  boost::system::error_code ec;
  a.bind(ep, ec);
  if (ec)
    throw Error("can't listen on " + config.bind_ip + ":" + std::to_string(config.port) + ": " +
                ec.message());
  a.listen(asio::socket_base::max_listen_connections);
}

Server::~Server() {
  stop();
  std::unique_lock lock(impl_->mu);
  impl_->idle.wait_for(lock, std::chrono::seconds(5), [&] { return impl_->active == 0; });
}

int Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run(const Handler& handler) {
  while (!impl_->stopping) {
    tcp::socket socket(impl_->ioc);
    boost::system::error_code ec;
    impl_->acceptor.accept(socket, ec);
    if (impl_->stopping) break;
    if (ec) continue;
    {
      std::lock_guard lock(impl_->mu);
      ++impl_->active;
    }
    std::thread([this, handler, s = std::move(socket)]() mutable {
      impl_->connection(std::move(s), handler);
      std::lock_guard lock(impl_->mu);
      --impl_->active;
      impl_->idle.notify_all();
    }).detach();
  }
}

// Async-signal-safe (the agent calls it from its SIGTERM handler): a flag and a syscall
// that makes the blocking accept return.
void Server::stop() {
  if (impl_->stopping.exchange(true)) return;
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
}

}  // namespace varan::periphery
