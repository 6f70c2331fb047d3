// The loader over the outside corpus (../shared/vectors/compose: docker/compose's e2e fixtures
// and compose-go's loader test data), read in place. Every YAML file either loads, or fails
// with a message that names the key Varan does not support, or is one of the fixtures that
// exist to fail (listed below with the message they must give). The counts go to stdout
// and into the README.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <regex>

#include "engine/compose/load.h"
#include "tests/support/support.h"

namespace varan::compose {
namespace {

namespace fs = std::filesystem;

// Fixtures that are not valid on their own, and what the error must say.
const std::vector<std::pair<std::string, std::string>> kExpectedFailures = {
    {"compose-go/loader/testdata/compose-test-extends-imported-cycle.yaml", "circular"},
    {"dependency cycle", ""},  // any file whose services form a cycle (several fixtures)
    {"docker-compose-e2e/simple-composefile/id.yaml", "required variable ID is missing a value"},
    {"docker-compose-e2e/env_file/compose.yaml", "/doesnotexist/.env not found"},
    {"docker-compose-e2e/logs-test/cat.yaml",
     "invalid volume \":/text_file.txt\""},                                    // needs FILE=...
    {"docker-compose-e2e/publish/oci/compose-override.yaml", "has no image"},  // an override only
    {"compose-go/loader/testdata/extends/base.yaml", "has no image"},          // a base to extend
    {"compose-go/loader/testdata/empty.yaml", "empty compose file"},           // TestEmptyFile
    {"compose-go/loader/testdata/compose-include-cycle.yaml", "include cycle detected"},
    {"docker-compose-e2e/bridge/expected-helm/",
     "mapping keys must be strings"},  // a Helm template
    {"/remote/", "not found"},         // extends from remote (git/OCI) sources
};

// Messages that name a key Varan doesn't support or doesn't know.
const std::regex kNamesAKey(
    R"(((service|network|volume|secrets|configs) "[^"]*": [a-z_.:]+[^"]* is not (supported|a key varan compose supports)|is not a compose service key|(unknown )?top-level key "[^"]+" is not supported|unknown top-level key "[^"]+"|is not supported by varan compose))");

TEST(Corpus, EveryFileLoadsOrNamesWhatItCantDo) {
  std::string root = test::vectors_dir() + "/compose";
  VARAN_REQUIRE(fs::is_directory(root), root);
  std::size_t total = 0, loaded = 0, unsupported = 0, expected = 0;
  std::map<std::string, std::size_t> keys;
  test::TempDir printed_dir;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    std::string ext = e.path().extension().string();
    if (!e.is_regular_file() || (ext != ".yaml" && ext != ".yml")) continue;
    ++total;
    std::string rel = fs::relative(e.path(), root).string();
    LoadOptions o;
    o.files = {e.path().string()};
    o.project_name = "corpus";
    o.cwd = e.path().parent_path().string();
    o.inherit_environment = false;
    try {
      Project p = load_project(o);
      ++loaded;
      // What loads also prints as YAML that loads back to the same model.
      std::string printed = p.to_yaml();
      std::string again = printed_dir.path() + "/compose.yaml";
      test::write_text(again, printed);
      LoadOptions o2 = o;
      o2.files = {again};
      try {
        EXPECT_EQ(load_project(o2).to_yaml(), printed)
            << rel << ": printed model reloads differently";
      } catch (const Error& reload) {
        ADD_FAILURE() << rel << ": the printed model does not load: " << reload.what() << "\n"
                      << printed;
      }
      continue;
    } catch (const Error& err) {
      std::string m = err.what();
      bool listed = false;
      for (const auto& [where, what] : kExpectedFailures) {
        bool path_match = rel.find(where) != std::string::npos;
        bool msg_match =
            what.empty() ? m.find(where) != std::string::npos : m.find(what) != std::string::npos;
        if ((path_match && msg_match) || (what.empty() && msg_match)) listed = true;
      }
      if (listed) {
        ++expected;
        continue;
      }
      std::smatch sm;
      EXPECT_TRUE(std::regex_search(m, sm, kNamesAKey)) << rel << ": " << m;
      // The message also says where: the file and line ("compose.yaml:12: ...").
      static const std::regex file_line(R"(\.ya?ml:[0-9]+)");
      EXPECT_TRUE(std::regex_search(m, file_line)) << rel << ": " << m;
      ++unsupported;
      static const std::regex key_re(
          R"(service "[^"]*": ([a-z_]+)|top-level key "([a-z_]+)\"|(secrets|configs) "[^"]*": "([a-z_]+)\")");
      if (std::regex_search(m, sm, key_re)) {
        std::string k = sm[1].matched   ? sm[1].str()
                        : sm[2].matched ? sm[2].str()
                                        : sm[3].str() + "." + sm[4].str();
        ++keys[k];
      }
    }
  }
  std::cout << "compose corpus: " << total << " YAML files: " << loaded << " load, " << unsupported
            << " fail naming an unsupported key, " << expected << " are fixtures that must fail\n";
  std::cout << "unsupported keys met:";
  for (const auto& [k, n] : keys)
    std::cout << " " << k << "=" << n;
  std::cout << "\n";
  EXPECT_EQ(total, loaded + unsupported + expected);
  EXPECT_GT(total, 200u);  // the corpus is there in full
  EXPECT_GE(loaded, 95u);  // a regression guard on what loads today
}

}  // namespace
}  // namespace varan::compose
