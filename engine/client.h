/// A typed client for the Docker Engine HTTP API: no `docker` process anywhere. The API
/// version is negotiated on first use (the lower of ours and the engine's, or
/// DOCKER_API_VERSION) and every path is sent as /v<version>/...
///
/// A Client is safe to use from several threads: buffered calls take a connection from a
/// pool (and keep it alive for the next call); streamed calls (logs with follow, events,
/// pull, build, wait) use a connection of their own and can be cancelled with a Cancel.
/// Every call that is not streamed has a timeout.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/secure.h"
#include "engine/stream.h"
#include "engine/transport.h"
#include "engine/types.h"

namespace varan::engine {

/// 404 from the engine: no such container, image, network or volume.
class NotFound : public Error {
 public:
  using Error::Error;
};

/// "label" -> {"com.docker.compose.project=web"}, as the engine's `filters` parameter.
using Filters = std::map<std::string, std::vector<std::string>>;

struct LogOptions {
  bool stdout_stream = true, stderr_stream = true;
  bool follow = false, timestamps = false;
  std::string tail;         // "all" or a number
  std::string since;        // UNIX time or RFC 3339
  std::optional<bool> tty;  // the container's Config.Tty; looked up when unknown
};

struct ExecConfig {
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string user, working_dir;
  bool tty = false;
};

struct ExecOutput {
  std::string out, err;
};

struct BuildOptions {
  std::vector<std::string> tags;
  std::string dockerfile;  // path inside the context; default "Dockerfile"
  std::map<std::string, std::string> build_args, labels;
  std::string target, platform;
  bool pull = false, no_cache = false;
};

struct WaitResult {
  int status_code = 0;
  std::string error;
};

/// The registry an image reference names, as docker reads it: the first path component
/// when it has a dot or a port or is `localhost`, else `docker.io`.
std::string registry_of(const std::string& image);

/// The X-Registry-Auth value for a user and token (or password) on `server`: URL-safe
/// base64 of `{"username", "password", "serveraddress"}`. The result holds the secret.
SecretString registry_auth(const std::string& username, const SecretString& password,
                           const std::string& server);

class Client {
 public:
  static constexpr const char* kMaxApiVersion = "1.47";
  static constexpr const char* kMinApiVersion = "1.40";

  explicit Client(Endpoint endpoint = endpoint_from_environment());

  const Endpoint& endpoint() const { return transport_.endpoint(); }
  /// The version every request uses, negotiated on first use.
  std::string api_version();

  // System
  /// GET /_ping: the engine's Api-Version header.
  std::string ping();
  VersionInfo version();
  Json info();

  // Containers
  std::vector<ContainerSummary> list_containers(bool all = true, const Filters& filters = {});
  /// POST /containers/create with a full create body (Config + HostConfig + NetworkingConfig).
  std::string create_container(const std::string& name, const Json& body,
                               const std::string& platform = "");
  ContainerInspect inspect_container(const std::string& id);
  void start_container(const std::string& id);
  void stop_container(const std::string& id, std::optional<int> timeout_s = std::nullopt,
                      const std::string& signal = "");
  void restart_container(const std::string& id, std::optional<int> timeout_s = std::nullopt);
  void kill_container(const std::string& id, const std::string& signal = "");
  void pause_container(const std::string& id);
  void unpause_container(const std::string& id);
  void rename_container(const std::string& id, const std::string& new_name);
  void remove_container(const std::string& id, bool force = false, bool volumes = false);
  /// Blocks until the condition ("not-running", "next-exit", "removed").
  WaitResult wait_container(const std::string& id, const std::string& condition = "not-running",
                            Cancel* cancel = nullptr);
  /// Calls `sink` with each piece of output; stdout and stderr apart (raw as stdout for a TTY).
  void logs(const std::string& id, const LogOptions& opts, const Demuxer::Sink& sink,
            Cancel* cancel = nullptr);
  /// One sample of GET /containers/{id}/stats.
  Json stats(const std::string& id);
  /// PUT /containers/{id}/archive: unpacks a tar into `path`.
  void put_archive(const std::string& id, const std::string& path, const std::string& tar);

  // Exec
  std::string exec_create(const std::string& container, const ExecConfig& cfg);
  ExecOutput exec_start(const std::string& exec_id, bool tty = false);
  ExecInspect exec_inspect(const std::string& exec_id);

  // Images
  std::vector<ImageSummary> list_images(const Filters& filters = {});
  ImageInspect inspect_image(const std::string& name);
  /// POST /images/create. `registry_auth` is the X-Registry-Auth value (base64url JSON).
  void pull_image(const std::string& ref, const std::string& registry_auth = "",
                  const std::function<void(const Progress&)>& progress = {},
                  Cancel* cancel = nullptr);
  void tag_image(const std::string& source, const std::string& repo, const std::string& tag);
  void remove_image(const std::string& name, bool force = false);
  /// POST /build with a tar context; returns the image ID.
  std::string build_image(const std::string& tar_context, const BuildOptions& opts,
                          const std::function<void(const Progress&)>& progress = {},
                          Cancel* cancel = nullptr);

  // Networks
  std::vector<NetworkInfo> list_networks(const Filters& filters = {});
  /// POST /networks/create with a full body ({Name, Driver, Labels, ...}); returns the ID.
  std::string create_network(const Json& body);
  NetworkInfo inspect_network(const std::string& id);
  void connect_network(const std::string& network, const std::string& container,
                       const Json& endpoint_config = {});
  void disconnect_network(const std::string& network, const std::string& container,
                          bool force = false);
  void remove_network(const std::string& id);

  // Volumes
  std::vector<VolumeInfo> list_volumes(const Filters& filters = {});
  VolumeInfo create_volume(const Json& body);
  VolumeInfo inspect_volume(const std::string& name);
  void remove_volume(const std::string& name, bool force = false);

  // Pruning (POST /{containers,images,networks,volumes,build}/prune); returns the answer.
  // `all` (build cache only): every unused cache record, not only dangling ones.
  Json prune(const std::string& kind, const Filters& filters = {}, bool all = false);

  // Events
  /// Streams events until `on_event` returns false or `cancel`.
  void events(const Filters& filters, const std::function<bool(const Event&)>& on_event,
              Cancel* cancel = nullptr, const std::string& since = "",
              const std::string& until = "");

  /// The time limit of calls that are not streamed (60 s unless set).
  void set_timeout(std::chrono::milliseconds t) { timeout_ms_ = t.count(); }

  /// How many requests this client sent (for benchmarks and tests of call counts).
  std::size_t request_count() const { return requests_.load(); }

 private:
  Response call(const std::string& method, const std::string& path, const std::string& context,
                const std::string& body = "", const std::string& content_type = "",
                const std::vector<std::string>& headers = {}, long timeout_ms = 0);
  Response stream(const std::string& method, const std::string& path, const std::string& context,
                  const std::function<bool(std::string_view)>& on_data, Cancel* cancel,
                  const std::string& body = "", const std::string& content_type = "",
                  const std::vector<std::string>& headers = {});
  std::string versioned(const std::string& path);

  Transport transport_;
  std::string settle_version(const std::string& engine);
  std::mutex version_mu_;
  std::string version_;
  std::atomic<std::size_t> requests_{0};
  long timeout_ms_ = 60'000;
};

/// Percent-encodes a query value.
std::string url_encode(std::string_view s);
/// The `filters` query value for `f`.
std::string filters_json(const Filters& f);

}  // namespace varan::engine
