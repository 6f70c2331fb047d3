// Engine answers recorded from Debian's dockerd 20.10 (API 1.41), parsed without an engine;
// one carries fields a newer engine might add. Plus the stream framing and addresses.
#include <gtest/gtest.h>

#include "common/base64.h"
#include "engine/client.h"
#include "engine/stream.h"
#include "engine/transport.h"
#include "engine/types.h"
#include "tests/support/support.h"

namespace varan::engine {
namespace {

Json fixture(const std::string& name) {
  return Json::parse(test::read_text(std::string(ENGINE_FIXTURES) + "/" + name));
}

TEST(EngineRegistry, RegistryOfAnImageAndTheAuthHeader) {
  EXPECT_EQ(registry_of("busybox"), "docker.io");
  EXPECT_EQ(registry_of("library/busybox:1"), "docker.io");
  EXPECT_EQ(registry_of("me/app"), "docker.io");
  EXPECT_EQ(registry_of("index.docker.io/me/app"), "docker.io");
  EXPECT_EQ(registry_of("ghcr.io/me/app:2"), "ghcr.io");
  EXPECT_EQ(registry_of("localhost/app"), "localhost");
  EXPECT_EQ(registry_of("localhost:5000/app@sha256:00"), "localhost:5000");
  EXPECT_EQ(registry_of("registry.lan:443/a/b/c"), "registry.lan:443");
  SecretString header = registry_auth("me", SecretString("t?k>n~~"), "ghcr.io");
  EXPECT_EQ(header.str().find_first_of("+/"), std::string::npos) << "URL-safe alphabet";
  std::string std_alphabet = header.str();
  for (char& c : std_alphabet) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  auto raw = base64::decode(std_alphabet);
  ASSERT_TRUE(raw.has_value());
  auto j = Json::parse(std::string(raw->begin(), raw->end()));
  EXPECT_EQ(j, (Json{{"username", "me"}, {"password", "t?k>n~~"}, {"serveraddress", "ghcr.io"}}));
}

TEST(EngineJson, ContainerListAndInspect) {
  auto list = fixture("containers_list.json");
  ASSERT_EQ(list.size(), 1u);
  ContainerSummary s = ContainerSummary::from_json(list[0]);
  EXPECT_EQ(s.name(), "varan-record");
  EXPECT_EQ(s.image, "varan-test/httpd");
  EXPECT_EQ(s.state, "running");
  EXPECT_EQ(s.labels.at("com.docker.compose.service"), "web");
  ASSERT_EQ(s.ports.size(), 1u);
  EXPECT_EQ(s.ports[0].public_port, 18081);
  EXPECT_EQ(s.ports[0].private_port, 8080);
  EXPECT_EQ(s.ports[0].ip, "127.0.0.1");
  EXPECT_EQ(s.networks, std::vector<std::string>{"bridge"});

  for (const char* file : {"container_inspect.json", "container_inspect_newer.json"}) {
    SCOPED_TRACE(file);
    ContainerInspect c = ContainerInspect::from_json(fixture(file));
    EXPECT_EQ(c.name, "varan-record");
    EXPECT_EQ(c.id, s.id);
    EXPECT_TRUE(c.state.running);
    EXPECT_FALSE(c.state.health.empty());
    EXPECT_TRUE(c.image_id.starts_with("sha256:"));
    EXPECT_EQ(c.config_image, "varan-test/httpd");
    EXPECT_NE(std::find(c.env.begin(), c.env.end(), "A=1"), c.env.end());
    EXPECT_EQ(c.port_bindings.at("8080/tcp").at(0).host_port, "18081");
    EXPECT_EQ(c.ports.at("8080/tcp").at(0).host_port, "18081");
    ASSERT_TRUE(c.networks.count("bridge"));
    EXPECT_FALSE(c.networks.at("bridge").network_id.empty());
    EXPECT_FALSE(c.tty);
  }
  ContainerInspect newer = ContainerInspect::from_json(fixture("container_inspect_newer.json"));
  EXPECT_EQ(newer.labels.at("com.example.unknown"), "kept");
  EXPECT_TRUE(newer.raw.contains("FutureTopLevelField"));
}

TEST(EngineJson, ImagesNetworksVolumesVersionEvents) {
  ImageSummary is = ImageSummary::from_json(fixture("images_list.json")[0]);
  EXPECT_EQ(is.repo_tags, std::vector<std::string>{"varan-test/httpd:latest"});
  ImageInspect ii = ImageInspect::from_json(fixture("image_inspect.json"));
  EXPECT_EQ(ii.id, is.id);
  EXPECT_EQ(ii.labels.at("varan.test.variant"), "httpd");
  NetworkInfo n = NetworkInfo::from_json(fixture("network_inspect.json"));
  EXPECT_EQ(n.name, "bridge");
  EXPECT_EQ(n.driver, "bridge");
  VolumeInfo v = VolumeInfo::from_json(fixture("volume_inspect.json"));
  EXPECT_EQ(v.name, "varan-record-vol");
  EXPECT_EQ(v.labels.at("varan.test"), "1");
  VersionInfo ver = VersionInfo::from_json(fixture("version.json"));
  EXPECT_EQ(ver.api_version, "1.41");
  std::vector<std::string> actions;
  LineSplitter lines([&](std::string_view l) {
    Event e = Event::from_json(Json::parse(l));
    EXPECT_EQ(e.type, "container");
    EXPECT_EQ(e.attributes.at("name"), "varan-record");
    EXPECT_GT(e.time_nano, 0);
    actions.push_back(e.action);
    return true;
  });
  lines.feed(test::read_text(std::string(ENGINE_FIXTURES) + "/events.jsonl"));
  lines.finish();
  ASSERT_GE(actions.size(), 2u);
  EXPECT_EQ(actions[0], "create");
  EXPECT_EQ(actions[1], "start");
}

TEST(EngineJson, MissingAndWronglyTypedFieldsTakeZeroValues) {
  ContainerInspect c = ContainerInspect::from_json(
      Json::parse(R"({"Id": 5, "State": null, "Config": {"Env": "x"}})"));
  EXPECT_EQ(c.id, "");
  EXPECT_FALSE(c.state.running);
  EXPECT_EQ(c.env, std::vector<std::string>{"x"});
  Progress p = Progress::from_json(Json::parse(R"({"errorDetail": {"message": "denied"}})"));
  EXPECT_EQ(p.error, "denied");
}

std::string frame(int type, std::string_view payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(type);
  auto n = static_cast<std::uint32_t>(payload.size());
  f[4] = static_cast<char>(n >> 24);
  f[5] = static_cast<char>(n >> 16);
  f[6] = static_cast<char>(n >> 8);
  f[7] = static_cast<char>(n);
  return f + std::string(payload);
}

TEST(EngineStream, DemultiplexesFramesSplitAnywhere) {
  std::string wire = frame(1, "hello ") + frame(2, "oops\n") + frame(1, "world\n") + frame(1, "");
  for (std::size_t piece = 1; piece <= wire.size(); ++piece) {
    std::string out, err;
    Demuxer d([&](StreamType t, std::string_view s) {
      (t == StreamType::kStderr ? err : out).append(s);
    });
    for (std::size_t i = 0; i < wire.size(); i += piece)
      ASSERT_TRUE(d.feed(std::string_view(wire).substr(i, piece)));
    EXPECT_EQ(out, "hello world\n") << piece;
    EXPECT_EQ(err, "oops\n") << piece;
    EXPECT_TRUE(d.complete());
  }
  Demuxer bad([](StreamType, std::string_view) {});
  EXPECT_FALSE(bad.feed(std::string("\x07\x00\x00\x00\x00\x00\x00\x01x", 9)));
  Demuxer partial([](StreamType, std::string_view) {});
  partial.feed(frame(1, "abc").substr(0, 9));
  EXPECT_FALSE(partial.complete());
}

TEST(EngineStream, SplitsLines) {
  std::vector<std::string> got;
  LineSplitter s([&](std::string_view l) {
    got.emplace_back(l);
    return got.size() < 3;
  });
  EXPECT_TRUE(s.feed("a\nb"));
  EXPECT_TRUE(s.feed("c\n"));
  EXPECT_FALSE(s.feed("d\ne\n"));  // stopped after the third line
  EXPECT_EQ(got, (std::vector<std::string>{"a", "bc", "d"}));
}

TEST(EngineAddress, DockerHostForms) {
  Endpoint u = parse_endpoint("unix:///var/run/docker.sock", false, "");
  EXPECT_EQ(u.socket_path, "/var/run/docker.sock");
  EXPECT_EQ(u.base_url, "http://localhost");
  Endpoint t = parse_endpoint("tcp://10.0.0.5", false, "");
  EXPECT_EQ(t.base_url, "http://10.0.0.5:2375");
  EXPECT_FALSE(t.tls);
  Endpoint s = parse_endpoint("tcp://10.0.0.5:2376", true, "/etc/docker/certs");
  EXPECT_EQ(s.base_url, "https://10.0.0.5:2376");
  EXPECT_TRUE(s.tls && s.verify);
  EXPECT_EQ(s.ca_file, "/etc/docker/certs/ca.pem");
  EXPECT_EQ(s.cert_file, "/etc/docker/certs/cert.pem");
  EXPECT_EQ(s.key_file, "/etc/docker/certs/key.pem");
  EXPECT_THROW(parse_endpoint("ssh://host", false, ""), varan::Error);
  EXPECT_EQ(url_encode("a b/c=d"), "a%20b%2Fc%3Dd");
  EXPECT_EQ(filters_json({{"label", {"a=b", "c"}}}), R"({"label":["a=b","c"]})");
}

}  // namespace
}  // namespace varan::engine
