#include "engine/client.h"

#include "common/base64.h"

#include <cstdlib>

namespace varan::engine {

namespace {

// "1.41" -> {1, 41}
std::pair<int, int> parse_version(const std::string& v) {
  auto dot = v.find('.');
  if (dot == std::string::npos) return {0, 0};
  return {std::atoi(v.substr(0, dot).c_str()), std::atoi(v.substr(dot + 1).c_str())};
}

bool older(const std::string& a, const std::string& b) {
  return parse_version(a) < parse_version(b);
}

std::string engine_message(const Response& res) {
  auto j = Json::parse(res.body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string())
    return j["message"].get<std::string>();
  std::string body = res.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r'))
    body.pop_back();
  return body.substr(0, 500);
}

void check(const Response& res, const std::string& context) {
  if (res.status < 400) return;
  std::string msg = engine_message(res);
  std::string what =
      context + ": " +
      (msg.empty() ? "the engine answered HTTP " + std::to_string(res.status) : msg) + " (HTTP " +
      std::to_string(res.status) + ")";
  if (res.status == 404) throw NotFound(res.status, msg, what);
  throw Error(res.status, msg, what);
}

Json parse_json(const Response& res, const std::string& context) {
  auto j = Json::parse(res.body, nullptr, false);
  if (j.is_discarded()) throw Error(res.status, "", context + ": the engine's answer is not JSON");
  return j;
}

std::string query(std::initializer_list<std::pair<const char*, std::string>> params) {
  std::string q;
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    q += (q.empty() ? "?" : "&") + std::string(k) + "=" + url_encode(v);
  }
  return q;
}

// Container IDs are shown as the engine's CLI shows them; names as they are.
std::string short_id(const std::string& id) {
  bool hex = id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
  return hex ? id.substr(0, 12) : id;
}

}  // namespace

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string filters_json(const Filters& f) {
  if (f.empty()) return "";
  Json j = Json::object();
  for (const auto& [k, v] : f)
    j[k] = v;
  return j.dump();
}

Client::Client(Endpoint endpoint) : transport_(std::move(endpoint)) {}

std::string Client::api_version() {
  {
    std::lock_guard lock(version_mu_);
    if (!version_.empty()) return version_;
    if (const char* forced = std::getenv("DOCKER_API_VERSION"); forced && *forced) {
      version_ = forced;
      if (version_.starts_with("v")) version_.erase(0, 1);
      return version_;
    }
  }
  std::string engine = ping();
  if (engine.empty()) engine = "1.24";  // what engines without the header speak
  return settle_version(engine);
}

std::string Client::settle_version(const std::string& engine) {
  if (older(engine, kMinApiVersion))
    throw Error(0, "",
                "the Docker engine at " + endpoint().address + " speaks API " + engine +
                    ", older than the " + kMinApiVersion + " Varan needs");
  std::lock_guard lock(version_mu_);
  if (version_.empty()) version_ = older(engine, kMaxApiVersion) ? engine : kMaxApiVersion;
  return version_;
}

std::string Client::versioned(const std::string& path) { return "/v" + api_version() + path; }

Response Client::call(const std::string& method, const std::string& path,
                      const std::string& context, const std::string& body,
                      const std::string& content_type, const std::vector<std::string>& headers,
                      long timeout_ms) {
  bool known;
  {
    std::lock_guard lock(version_mu_);
    known = !version_.empty() || std::getenv("DOCKER_API_VERSION");
  }
  // A first GET needs no ping: it goes out at the oldest version we speak (whose answers we
  // parse anyway) and the engine's Api-Version header settles the version for what follows.
  if (!known && method == "GET") {
    Request req{method,  std::string("/v") + kMinApiVersion + path, body, content_type,
                headers, timeout_ms > 0 ? timeout_ms : timeout_ms_};
    ++requests_;
    Response res = transport_.send(req);
    auto it = res.headers.find("api-version");
    if (it != res.headers.end() && !it->second.empty()) {
      settle_version(it->second);
      check(res, context);
      return res;
    }
    // No header (a proxy in between?): negotiate the usual way and send it again.
  }
  Request req{method,       versioned(path), body,
              content_type, headers,         timeout_ms > 0 ? timeout_ms : timeout_ms_};
  ++requests_;
  Response res = transport_.send(req);
  check(res, context);
  return res;
}

Response Client::stream(const std::string& method, const std::string& path,
                        const std::string& context,
                        const std::function<bool(std::string_view)>& on_data, Cancel* cancel,
                        const std::string& body, const std::string& content_type,
                        const std::vector<std::string>& headers) {
  Request req{method, versioned(path), body, content_type, headers, 0};
  ++requests_;
  Response res = transport_.stream(req, on_data, cancel);
  check(res, context);
  return res;
}

std::string Client::ping() {
  ++requests_;
  Response res = transport_.send({"HEAD", "/_ping", "", "", {}, timeout_ms_});
  if (res.status >= 400 || !res.headers.count("api-version")) {
    ++requests_;
    res = transport_.send({"GET", "/_ping", "", "", {}, timeout_ms_});
  }
  check(res, "ping");
  auto it = res.headers.find("api-version");
  return it == res.headers.end() ? "" : it->second;
}

VersionInfo Client::version() {
  return VersionInfo::from_json(parse_json(call("GET", "/version", "version"), "version"));
}

Json Client::info() { return parse_json(call("GET", "/info", "info"), "info"); }

std::vector<ContainerSummary> Client::list_containers(bool all, const Filters& filters) {
  auto res = call(
      "GET",
      "/containers/json" + query({{"all", all ? "1" : ""}, {"filters", filters_json(filters)}}),
      "cannot list containers");
  std::vector<ContainerSummary> out;
  for (const auto& c : parse_json(res, "list containers"))
    out.push_back(ContainerSummary::from_json(c));
  return out;
}

std::string Client::create_container(const std::string& name, const Json& body,
                                     const std::string& platform) {
  auto res = call("POST", "/containers/create" + query({{"name", name}, {"platform", platform}}),
                  "cannot create container " + (name.empty() ? std::string("(unnamed)") : name),
                  body.dump(), "application/json");
  return parse_json(res, "create container").value("Id", "");
}

ContainerInspect Client::inspect_container(const std::string& id) {
  return ContainerInspect::from_json(
      parse_json(call("GET", "/containers/" + url_encode(id) + "/json",
                      "cannot inspect container " + short_id(id)),
                 "inspect container"));
}

void Client::start_container(const std::string& id) {
  call("POST", "/containers/" + url_encode(id) + "/start",
       "cannot start container " + short_id(id));
}

void Client::stop_container(const std::string& id, std::optional<int> timeout_s,
                            const std::string& signal) {
  std::string t = timeout_s ? std::to_string(*timeout_s) : "";
  // The request lasts as long as the engine waits before killing, plus a margin.
  long budget = (timeout_s ? *timeout_s : 10) * 1000L + timeout_ms_;
  call("POST", "/containers/" + url_encode(id) + "/stop" + query({{"t", t}, {"signal", signal}}),
       "cannot stop container " + short_id(id), "", "", {}, budget);
}

void Client::restart_container(const std::string& id, std::optional<int> timeout_s) {
  std::string t = timeout_s ? std::to_string(*timeout_s) : "";
  long budget = (timeout_s ? *timeout_s : 10) * 1000L + timeout_ms_;
  call("POST", "/containers/" + url_encode(id) + "/restart" + query({{"t", t}}),
       "cannot restart container " + short_id(id), "", "", {}, budget);
}

void Client::kill_container(const std::string& id, const std::string& signal) {
  call("POST", "/containers/" + url_encode(id) + "/kill" + query({{"signal", signal}}),
       "cannot kill container " + short_id(id));
}

void Client::pause_container(const std::string& id) {
  call("POST", "/containers/" + url_encode(id) + "/pause",
       "cannot pause container " + short_id(id));
}

void Client::unpause_container(const std::string& id) {
  call("POST", "/containers/" + url_encode(id) + "/unpause",
       "cannot unpause container " + short_id(id));
}

void Client::rename_container(const std::string& id, const std::string& new_name) {
  call("POST", "/containers/" + url_encode(id) + "/rename" + query({{"name", new_name}}),
       "cannot rename container " + short_id(id) + " to " + new_name);
}

void Client::remove_container(const std::string& id, bool force, bool volumes) {
  call("DELETE",
       "/containers/" + url_encode(id) +
           query({{"force", force ? "1" : ""}, {"v", volumes ? "1" : ""}}),
       "cannot remove container " + short_id(id));
}

WaitResult Client::wait_container(const std::string& id, const std::string& condition,
                                  Cancel* cancel) {
  std::string body;
  stream(
      "POST", "/containers/" + url_encode(id) + "/wait" + query({{"condition", condition}}),
      "cannot wait for container " + short_id(id),
      [&](std::string_view d) {
        body.append(d);
        return true;
      },
      cancel);
  WaitResult r;
  auto j = Json::parse(body, nullptr, false);
  if (j.is_object()) {
    r.status_code = j.value("StatusCode", 0);
    if (j.contains("Error") && j["Error"].is_object()) r.error = j["Error"].value("Message", "");
  }
  return r;
}

void Client::logs(const std::string& id, const LogOptions& o, const Demuxer::Sink& sink,
                  Cancel* cancel) {
  bool tty = o.tty ? *o.tty : inspect_container(id).tty;
  std::string q = query({{"stdout", o.stdout_stream ? "1" : ""},
                         {"stderr", o.stderr_stream ? "1" : ""},
                         {"follow", o.follow ? "1" : ""},
                         {"timestamps", o.timestamps ? "1" : ""},
                         {"tail", o.tail},
                         {"since", o.since}});
  Demuxer demux(sink);
  auto res = stream(
      "GET", "/containers/" + url_encode(id) + "/logs" + q,
      "cannot read the logs of " + short_id(id),
      [&](std::string_view d) {
        if (tty) {
          sink(StreamType::kStdout, d);
          return true;
        }
        return demux.feed(d);
      },
      cancel);
  (void)res;
}

Json Client::stats(const std::string& id) {
  return parse_json(
      call("GET", "/containers/" + url_encode(id) + "/stats?stream=false&one-shot=true",
           "cannot read the stats of " + short_id(id)),
      "stats");
}

void Client::put_archive(const std::string& id, const std::string& path, const std::string& tar) {
  call("PUT", "/containers/" + url_encode(id) + "/archive" + query({{"path", path}}),
       "cannot copy into container " + short_id(id) + " at " + path, tar, "application/x-tar");
}

std::string Client::exec_create(const std::string& container, const ExecConfig& cfg) {
  Json body = {{"AttachStdout", true}, {"AttachStderr", true}, {"Tty", cfg.tty}, {"Cmd", cfg.cmd}};
  if (!cfg.env.empty()) body["Env"] = cfg.env;
  if (!cfg.user.empty()) body["User"] = cfg.user;
  if (!cfg.working_dir.empty()) body["WorkingDir"] = cfg.working_dir;
  auto res =
      call("POST", "/containers/" + url_encode(container) + "/exec",
           "cannot exec in container " + short_id(container), body.dump(), "application/json");
  return parse_json(res, "exec create").value("Id", "");
}

ExecOutput Client::exec_start(const std::string& exec_id, bool tty) {
  ExecOutput out;
  Demuxer demux([&](StreamType t, std::string_view d) {
    (t == StreamType::kStderr ? out.err : out.out).append(d);
  });
  Json body = {{"Detach", false}, {"Tty", tty}};
  stream(
      "POST", "/exec/" + url_encode(exec_id) + "/start", "cannot start exec " + short_id(exec_id),
      [&](std::string_view d) {
        if (tty) {
          out.out.append(d);
          return true;
        }
        return demux.feed(d);
      },
      nullptr, body.dump(), "application/json");
  return out;
}

ExecInspect Client::exec_inspect(const std::string& exec_id) {
  return ExecInspect::from_json(parse_json(call("GET", "/exec/" + url_encode(exec_id) + "/json",
                                                "cannot inspect exec " + short_id(exec_id)),
                                           "exec inspect"));
}

std::vector<ImageSummary> Client::list_images(const Filters& filters) {
  auto res = call("GET", "/images/json" + query({{"filters", filters_json(filters)}}),
                  "cannot list images");
  std::vector<ImageSummary> out;
  for (const auto& i : parse_json(res, "list images"))
    out.push_back(ImageSummary::from_json(i));
  return out;
}

ImageInspect Client::inspect_image(const std::string& name) {
  return ImageInspect::from_json(parse_json(
      call("GET", "/images/" + url_encode(name) + "/json", "cannot inspect image " + name),
      "inspect image"));
}

namespace {
// Progress streams report failure inside the stream: the last message carries "error".
std::function<bool(std::string_view)> progress_reader(LineSplitter& lines) {
  return [&lines](std::string_view d) { return lines.feed(d); };
}
}  // namespace

void Client::pull_image(const std::string& ref, const std::string& registry_auth,
                        const std::function<void(const Progress&)>& progress, Cancel* cancel) {
  // "name:tag" or "name@digest"; the tag goes in its own parameter.
  std::string name = ref, tag;
  auto at = ref.find('@');
  auto colon = ref.rfind(':');
  if (at == std::string::npos && colon != std::string::npos &&
      ref.find('/', colon) == std::string::npos) {
    name = ref.substr(0, colon);
    tag = ref.substr(colon + 1);
  }
  if (tag.empty() && at == std::string::npos) tag = "latest";
  std::string error;
  LineSplitter lines([&](std::string_view line) {
    auto j = Json::parse(line, nullptr, false);
    if (!j.is_object()) return true;
    Progress p = Progress::from_json(j);
    if (!p.error.empty()) error = p.error;
    if (progress) progress(p);
    return true;
  });
  std::vector<std::string> headers;
  if (!registry_auth.empty()) headers.push_back("X-Registry-Auth: " + registry_auth);
  stream("POST", "/images/create" + query({{"fromImage", name}, {"tag", tag}}),
         "cannot pull " + ref, progress_reader(lines), cancel, "", "", headers);
  lines.finish();
  if (!error.empty()) throw Error(200, error, "cannot pull " + ref + ": " + error);
}

void Client::tag_image(const std::string& source, const std::string& repo, const std::string& tag) {
  call("POST", "/images/" + url_encode(source) + "/tag" + query({{"repo", repo}, {"tag", tag}}),
       "cannot tag " + source + " as " + repo + ":" + tag);
}

void Client::remove_image(const std::string& name, bool force) {
  call("DELETE", "/images/" + url_encode(name) + query({{"force", force ? "1" : ""}}),
       "cannot remove image " + name);
}

std::string Client::build_image(const std::string& tar_context, const BuildOptions& o,
                                const std::function<void(const Progress&)>& progress,
                                Cancel* cancel) {
  std::string q = "?rm=1&forcerm=1";
  for (const auto& t : o.tags)
    q += "&t=" + url_encode(t);
  auto add = [&](const char* k, const std::string& v) {
    if (!v.empty()) q += std::string("&") + k + "=" + url_encode(v);
  };
  add("dockerfile", o.dockerfile);
  add("target", o.target);
  add("platform", o.platform);
  if (!o.build_args.empty()) add("buildargs", Json(o.build_args).dump());
  if (!o.labels.empty()) add("labels", Json(o.labels).dump());
  if (o.pull) q += "&pull=1";
  if (o.no_cache) q += "&nocache=1";
  std::string error, image_id;
  LineSplitter lines([&](std::string_view line) {
    auto j = Json::parse(line, nullptr, false);
    if (!j.is_object()) return true;
    Progress p = Progress::from_json(j);
    if (!p.error.empty()) error = p.error;
    if (j.contains("aux") && j["aux"].is_object() && j["aux"].contains("ID"))
      image_id = j["aux"].value("ID", "");
    if (progress) progress(p);
    return true;
  });
  stream("POST", "/build" + q,
         "cannot build " + (o.tags.empty() ? std::string("the image") : o.tags[0]),
         progress_reader(lines), cancel, tar_context, "application/x-tar");
  lines.finish();
  std::string name = o.tags.empty() ? std::string("the image") : o.tags[0];
  if (!error.empty()) throw Error(200, error, "cannot build " + name + ": " + error);
  if (image_id.empty() && !o.tags.empty()) image_id = inspect_image(o.tags[0]).id;
  return image_id;
}

std::vector<NetworkInfo> Client::list_networks(const Filters& filters) {
  auto res = call("GET", "/networks" + query({{"filters", filters_json(filters)}}),
                  "cannot list networks");
  std::vector<NetworkInfo> out;
  for (const auto& n : parse_json(res, "list networks"))
    out.push_back(NetworkInfo::from_json(n));
  return out;
}

std::string Client::create_network(const Json& body) {
  auto res =
      call("POST", "/networks/create", "cannot create network " + body.value("Name", std::string()),
           body.dump(), "application/json");
  return parse_json(res, "create network").value("Id", "");
}

NetworkInfo Client::inspect_network(const std::string& id) {
  return NetworkInfo::from_json(
      parse_json(call("GET", "/networks/" + url_encode(id), "cannot inspect network " + id),
                 "inspect network"));
}

void Client::connect_network(const std::string& network, const std::string& container,
                             const Json& endpoint_config) {
  Json body = {{"Container", container}};
  if (!endpoint_config.is_null() && !endpoint_config.empty())
    body["EndpointConfig"] = endpoint_config;
  call("POST", "/networks/" + url_encode(network) + "/connect",
       "cannot connect " + short_id(container) + " to network " + network, body.dump(),
       "application/json");
}

void Client::disconnect_network(const std::string& network, const std::string& container,
                                bool force) {
  Json body = {{"Container", container}, {"Force", force}};
  call("POST", "/networks/" + url_encode(network) + "/disconnect",
       "cannot disconnect " + short_id(container) + " from network " + network, body.dump(),
       "application/json");
}

void Client::remove_network(const std::string& id) {
  call("DELETE", "/networks/" + url_encode(id), "cannot remove network " + id);
}

std::vector<VolumeInfo> Client::list_volumes(const Filters& filters) {
  auto res =
      call("GET", "/volumes" + query({{"filters", filters_json(filters)}}), "cannot list volumes");
  std::vector<VolumeInfo> out;
  auto j = parse_json(res, "list volumes");
  if (j.contains("Volumes") && j["Volumes"].is_array())
    for (const auto& v : j["Volumes"])
      out.push_back(VolumeInfo::from_json(v));
  return out;
}

VolumeInfo Client::create_volume(const Json& body) {
  return VolumeInfo::from_json(parse_json(
      call("POST", "/volumes/create", "cannot create volume " + body.value("Name", std::string()),
           body.dump(), "application/json"),
      "create volume"));
}

VolumeInfo Client::inspect_volume(const std::string& name) {
  return VolumeInfo::from_json(
      parse_json(call("GET", "/volumes/" + url_encode(name), "cannot inspect volume " + name),
                 "inspect volume"));
}

void Client::remove_volume(const std::string& name, bool force) {
  call("DELETE", "/volumes/" + url_encode(name) + query({{"force", force ? "1" : ""}}),
       "cannot remove volume " + name);
}

std::string registry_of(const std::string& image) {
  auto slash = image.find('/');
  if (slash == std::string::npos) return "docker.io";
  std::string first = image.substr(0, slash);
  if (first.find_first_of(".:") == std::string::npos && first != "localhost") return "docker.io";
  if (first == "index.docker.io" || first == "registry-1.docker.io") return "docker.io";
  return first;
}

SecretString registry_auth(const std::string& username, const SecretString& password,
                           const std::string& server) {
  SecretString json(
      Json{{"username", username}, {"password", password.str()}, {"serveraddress", server}}.dump());
  std::string b64 =
      base64::encode({reinterpret_cast<const std::uint8_t*>(json.str().data()), json.str().size()});
  for (char& c : b64) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return SecretString(std::move(b64));
}

Json Client::prune(const std::string& kind, const Filters& filters, bool all) {
  // Pruning images or the build cache can take a while.
  auto res = call("POST",
                  "/" + kind + "/prune" + query({{"filters", filters_json(filters)}}) +
                      (all ? "&all=true" : ""),
                  "cannot prune " + kind, "", "", {}, 600'000);
  return parse_json(res, "prune " + kind);
}

void Client::events(const Filters& filters, const std::function<bool(const Event&)>& on_event,
                    Cancel* cancel, const std::string& since, const std::string& until) {
  LineSplitter lines([&](std::string_view line) {
    auto j = Json::parse(line, nullptr, false);
    if (!j.is_object()) return true;
    return on_event(Event::from_json(j));
  });
  stream(
      "GET",
      "/events" + query({{"since", since}, {"until", until}, {"filters", filters_json(filters)}}),
      "cannot read events", [&](std::string_view d) { return lines.feed(d); }, cancel);
}

}  // namespace varan::engine
