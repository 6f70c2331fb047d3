#include "net/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <functional>

#include "common/error.h"
#include "net/url.h"

namespace varan::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using beast::error_code;
using Clock = std::chrono::steady_clock;

namespace {

// One exchange: each step is an async operation run to its end on this thread, with the
// time left before the deadline as the TCP stream's expiry, so the code reads in order.
class Exchange {
 public:
  Exchange(const HttpRequest& req, const HttpOptions& o)
      : req_(req), o_(o), url_(parse_url(req.url)), deadline_(Clock::now() + o.timeout) {}

  HttpResponse run() {
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type eps;
    error_code ec;
    resolver.async_resolve(url_.host, url_.port, [&](error_code e, tcp::resolver::results_type r) {
      ec = e;
      eps = std::move(r);
    });
    step(ec, "can't resolve " + url_.host, [&] { resolver.cancel(); });
    if (!url_.tls) return over(beast::tcp_stream(ioc_), eps);
    tls_ = client_context(o_.tls);
    return over(beast::ssl_stream<beast::tcp_stream>(ioc_, *tls_), eps);
  }

 private:
  template <typename Stream>
  HttpResponse over(Stream stream, const tcp::resolver::results_type& eps) {
    auto& lowest = beast::get_lowest_layer(stream);
    auto cut = [&] { lowest.close(); };
    error_code ec;
    lowest.expires_at(deadline_);
    lowest.async_connect(eps, [&](error_code e, const tcp::endpoint&) { ec = e; });
    step(ec, "can't connect", cut);
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      if (!verify_peer_name(stream.native_handle(), url_.host, o_.tls.verify))
        throw Error(req_.url + ": can't check the TLS name " + url_.host);
      stream.async_handshake(asio::ssl::stream_base::client, [&](error_code e) { ec = e; });
      step(ec, "TLS handshake failed", cut);
    }
    http::request<http::string_body> req;
    req.method(http::string_to_verb(req_.method));
    if (req.method() == http::verb::unknown)
      throw Error(req_.url + ": unknown HTTP method " + req_.method);
    req.target(url_.target);
    req.version(11);
    bool v6 = url_.host.find(':') != std::string::npos;
    req.set(http::field::host, (v6 ? "[" + url_.host + "]" : url_.host) + ":" + url_.port);
    req.set(http::field::user_agent, "varan");
    for (const auto& [k, v] : req_.headers)
      req.set(k, v);
    req.keep_alive(false);
    req.body() = req_.body;
    req.prepare_payload();
    http::async_write(stream, req, [&](error_code e, std::size_t) { ec = e; });
    step(ec, "can't send the request", cut);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(o_.body_bytes);
    // The cap is judged on the announced length first, then on what came (Beast's own
    // limit is kept too, for chunked answers).
    http::async_read_header(stream, buffer, parser, [&](error_code e, std::size_t) { ec = e; });
    step(ec, "can't read the answer", cut);
    auto length = parser.content_length();
    if (length && *length > o_.body_bytes) ec = http::error::body_limit;
    if (!parser.is_done() && !ec)
      http::async_read(stream, buffer, parser, [&](error_code e, std::size_t) { ec = e; });
    step(ec, "can't read the answer", cut);
    if (parser.get().body().size() > o_.body_bytes) ec = http::error::body_limit;
    step(ec, "can't read the answer", cut);
    auto& res = parser.get();
    HttpResponse out;
    out.status = res.result_int();
    for (const auto& f : res)
      out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    out.body = std::move(res.body());
    lowest.close();  // one request per connection: no TLS farewell to wait for
    return out;
  }

  // Runs the operation started just before; `cut` ends it if the deadline passes first (the
  // stream's own expiry covers the socket steps; this covers the resolver).
  void step(error_code& ec, const std::string& what, const std::function<void()>& cut) {
    ioc_.restart();
    ioc_.run_until(deadline_);
    if (!ioc_.stopped()) {
      cut();
      ioc_.restart();
      ioc_.run();
      throw Error(req_.url + ": " + what + ": timed out after " +
                  std::to_string(o_.timeout.count()) + " ms");
    }
    if (ec == http::error::body_limit)
      throw Error(req_.url + ": the answer is larger than " + std::to_string(o_.body_bytes) +
                  " bytes");
    if (ec == beast::error::timeout)
      throw Error(req_.url + ": " + what + ": timed out after " +
                  std::to_string(o_.timeout.count()) + " ms");
    if (ec) throw Error(req_.url + ": " + what + ": " + ec.message());
  }

  const HttpRequest& req_;
  const HttpOptions& o_;
  Url url_;
  Clock::time_point deadline_;
  std::unique_ptr<asio::ssl::context> tls_;
  asio::io_context ioc_{1};
};

std::string find_header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, beast::string_view(name.data(), name.size()))) return v;
  return "";
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const { return find_header(headers, name); }

HttpResponse http_request(const HttpRequest& request, const HttpOptions& options) {
  return Exchange(request, options).run();
}

HttpResponse http_get(const std::string& url, const Headers& headers, const HttpOptions& options) {
  return http_request({"GET", url, headers, ""}, options);
}

HttpResponse http_post(const std::string& url, std::string body, const Headers& headers,
                       const HttpOptions& options) {
  return http_request({"POST", url, headers, std::move(body)}, options);
}

}  // namespace varan::net
