#include "engine/transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace varan::engine {

namespace {

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void ensure_global_init() {
  static GlobalInit once;
  (void)once;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* res = static_cast<Response*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) res->headers.clear();  // a new response (after 100-continue)
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string value(line.substr(colon + 1));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.pop_back();
    while (!value.empty() && value.front() == ' ')
      value.erase(value.begin());
    res->headers[lower(std::string(line.substr(0, colon)))] = value;
  }
  return size * n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

struct StreamState {
  const std::function<bool(std::string_view)>* on_data;
  Response* res;
  CURL* easy;
  bool stopped = false;
};

std::size_t on_stream(char* data, std::size_t size, std::size_t n, void* user) {
  auto* st = static_cast<StreamState*>(user);
  long status = 0;
  curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400) {
    st->res->body.append(data, size * n);
    return size * n;
  }
  if (!(*st->on_data)(std::string_view(data, size * n))) {
    st->stopped = true;
    return 0;  // aborts the transfer
  }
  return size * n;
}

[[noreturn]] void transport_error(const Endpoint& ep, CURLcode rc, const char* detail) {
  std::string why = detail && *detail ? detail : curl_easy_strerror(rc);
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
      rc == CURLE_COULDNT_RESOLVE_PROXY)
    throw Unreachable(0, "",
                      "cannot connect to the Docker engine at " + ep.address +
                          ": dockerd is not answering (" + why + ")");
  if (rc == CURLE_OPERATION_TIMEDOUT)
    throw Error(0, "",
                "the Docker engine at " + ep.address + " did not answer in time (" + why + ")");
  throw Error(0, "", "request to the Docker engine at " + ep.address + " failed: " + why);
}

}  // namespace

Endpoint parse_endpoint(std::string_view host, bool tls_verify, const std::string& cert_path) {
  Endpoint ep;
  ep.address = std::string(host);
  if (host.starts_with("unix://")) {
    ep.socket_path = std::string(host.substr(7));
    if (ep.socket_path.empty())
      throw varan::Error("DOCKER_HOST " + ep.address + " names no socket");
    ep.base_url = "http://localhost";
    return ep;
  }
  if (host.starts_with("tcp://") || host.starts_with("http://") || host.starts_with("https://")) {
    auto rest = host.substr(host.find("://") + 3);
    while (!rest.empty() && rest.back() == '/')
      rest.remove_suffix(1);
    if (rest.empty()) throw varan::Error("DOCKER_HOST " + ep.address + " names no host");
    ep.tls = tls_verify || host.starts_with("https://") || !cert_path.empty();
    ep.verify = tls_verify;
    if (ep.tls) {
      std::string dir = cert_path;
      if (dir.empty()) {
        const char* home = std::getenv("HOME");
        dir = std::string(home ? home : "") + "/.docker";
      }
      ep.ca_file = dir + "/ca.pem";
      ep.cert_file = dir + "/cert.pem";
      ep.key_file = dir + "/key.pem";
    }
    std::string hostport(rest);
    if (hostport.find(':') == std::string::npos) hostport += ep.tls ? ":2376" : ":2375";
    ep.base_url = std::string(ep.tls ? "https://" : "http://") + hostport;
    return ep;
  }
  throw varan::Error("DOCKER_HOST " + ep.address +
                     " is not supported: use unix:///path or tcp://host:port");
}

Endpoint endpoint_from_environment() {
  const char* host = std::getenv("DOCKER_HOST");
  const char* verify = std::getenv("DOCKER_TLS_VERIFY");
  const char* certs = std::getenv("DOCKER_CERT_PATH");
  return parse_endpoint(host && *host ? host : "unix:///var/run/docker.sock",
                        verify && *verify && std::string(verify) != "0", certs ? certs : "");
}

void Cancel::cancel() {
  flag_ = true;
  std::lock_guard lock(m_);
  for (void* m : multis_)
    curl_multi_wakeup(static_cast<CURLM*>(m));
}

void Cancel::attach(void* multi) {
  std::lock_guard lock(m_);
  multis_.insert(multi);
}

void Cancel::detach(void* multi) {
  std::lock_guard lock(m_);
  multis_.erase(multi);
}

Transport::Transport(Endpoint endpoint) : endpoint_(std::move(endpoint)) { ensure_global_init(); }

Transport::~Transport() {
  for (void* e : pool_)
    curl_easy_cleanup(static_cast<CURL*>(e));
}

void* Transport::acquire() {
  {
    std::lock_guard lock(pool_m_);
    if (!pool_.empty()) {
      void* e = pool_.back();
      pool_.pop_back();
      return e;
    }
  }
  CURL* e = curl_easy_init();
  if (e == nullptr) throw Error(0, "", "cannot create an HTTP handle");
  return e;
}

void Transport::release(void* easy) {
  std::lock_guard lock(pool_m_);
  pool_.push_back(easy);
}

void Transport::configure(void* handle, const Request& req, Response& res,
                          void* header_list) const {
  CURL* e = static_cast<CURL*>(handle);
  curl_easy_reset(e);
  std::string url = endpoint_.base_url + req.target;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  if (!endpoint_.socket_path.empty())
    curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, endpoint_.socket_path.c_str());
  if (endpoint_.tls) {
    curl_easy_setopt(e, CURLOPT_CAINFO, endpoint_.ca_file.c_str());
    curl_easy_setopt(e, CURLOPT_SSLCERT, endpoint_.cert_file.c_str());
    curl_easy_setopt(e, CURLOPT_SSLKEY, endpoint_.key_file.c_str());
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, endpoint_.verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, endpoint_.verify ? 2L : 0L);
  }
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.method == "HEAD") curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT") {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(header_list));
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &res);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, req.timeout_ms);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "varan");
}

namespace {
curl_slist* header_list(const Request& req) {
  curl_slist* h = nullptr;
  if (!req.content_type.empty())
    h = curl_slist_append(h, ("Content-Type: " + req.content_type).c_str());
  h = curl_slist_append(h, "Expect:");  // no 100-continue round trip for bodies
  for (const auto& x : req.headers)
    h = curl_slist_append(h, x.c_str());
  return h;
}
}  // namespace

Response Transport::send(const Request& req) {
  Response res;
  CURL* e = static_cast<CURL*>(acquire());
  curl_slist* headers = header_list(req);
  configure(e, req, res, headers);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &res.body);
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(e);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    curl_easy_cleanup(e);  // a broken connection is not reused
    transport_error(endpoint_, rc, errbuf);
  }
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res.status);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, nullptr);
  release(e);
  return res;
}

Response Transport::stream(const Request& req, const std::function<bool(std::string_view)>& on_data,
                           Cancel* cancel) {
  Response res;
  CURL* e = curl_easy_init();
  CURLM* m = curl_multi_init();
  if (e == nullptr || m == nullptr) throw Error(0, "", "cannot create an HTTP handle");
  curl_slist* headers = header_list(req);
  configure(e, req, res, headers);
  StreamState st{&on_data, &res, e};
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_stream);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &st);
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  curl_multi_add_handle(m, e);
  if (cancel) cancel->attach(m);
  CURLcode result = CURLE_OK;
  for (;;) {
    if (cancel && cancel->cancelled()) break;
    int running = 0;
    if (curl_multi_perform(m, &running) != CURLM_OK) break;
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(m, &queued))
      if (msg->msg == CURLMSG_DONE) result = msg->data.result;
    if (running == 0) break;
    curl_multi_poll(m, nullptr, 0, 1000, nullptr);
  }
  if (cancel) cancel->detach(m);
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &res.status);
  curl_multi_remove_handle(m, e);
  curl_multi_cleanup(m);
  curl_easy_cleanup(e);
  curl_slist_free_all(headers);
  bool stopped = st.stopped || (cancel && cancel->cancelled());
  if (result != CURLE_OK && !(stopped && result == CURLE_WRITE_ERROR))
    transport_error(endpoint_, result, errbuf);
  return res;
}

}  // namespace varan::engine
