// The C2SP CCTV age test kit (../shared/vectors/age-cctv), read in place: every vector
// must give exactly its expected result, and the SHA-256 of the plaintext released (for
// payload failures, released before the failure) must equal its `payload`.
#include <dirent.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>

#include "secrets/age/age.h"
#include "secrets/age/armor.h"
#include "secrets/age/scrypt.h"
#include "secrets/age/x25519.h"
#include "tests/support/support.h"

namespace varan::age {
namespace {

std::string cctv_dir() { return test::vectors_dir() + "/age-cctv"; }

std::vector<std::string> vector_names() {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(cctv_dir().c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

struct Vector {
  std::string expect, payload;
  std::vector<std::string> identities, passphrases;
  bool armored = false, zlib = false;
  std::string file;
};

Vector parse_vector(const std::string& text) {
  Vector v;
  std::size_t pos = 0;
  for (;;) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) throw std::runtime_error("vector has no body");
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) break;
    auto colon = line.find(": ");
    std::string key = line.substr(0, colon),
                value = colon == std::string::npos ? "" : line.substr(colon + 2);
    if (key == "expect")
      v.expect = value;
    else if (key == "payload")
      v.payload = value;
    else if (key == "identity")
      v.identities.push_back(value);
    else if (key == "passphrase")
      v.passphrases.push_back(value);
    else if (key == "armored")
      v.armored = true;
    else if (key == "compressed")
      v.zlib = value == "zlib";
    else if (key != "file key" && key != "comment")
      throw std::runtime_error("unknown vector key " + key);
  }
  v.file = text.substr(pos);
  return v;
}

std::string inflate_all(const std::string& in) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) throw std::runtime_error("inflateInit");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) throw std::runtime_error("inflate failed");
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&z);
  return out;
}

std::string expect_name(const std::optional<Failure>& f) {
  if (!f) return "success";
  switch (*f) {
    case Failure::kNoMatch:
      return "no match";
    default:
      return std::string(failure_name(*f));
  }
}

TEST(CctvCorpus, IsPresentAndComplete) {
  VARAN_REQUIRE(test::file_exists(cctv_dir()), cctv_dir());
  EXPECT_EQ(vector_names().size(), 143u);
}

class Cctv : public ::testing::TestWithParam<std::string> {};

TEST_P(Cctv, GivesTheExpectedResult) {
  const std::string& name = GetParam();
  Vector v = parse_vector(test::read_text(cctv_dir() + "/" + name));
  bool post_quantum = false;
  for (const auto& i : v.identities)
    post_quantum |= i.starts_with("AGE-SECRET-KEY-PQ-");
  if (post_quantum)
    GTEST_SKIP() << name << ": needs an ML-KEM-768 (post-quantum) identity, not implemented";

  Identities ids;
  for (const auto& i : v.identities)
    ids.push_back(X25519Identity::parse(i));
  for (const auto& p : v.passphrases)
    ids.push_back(std::make_unique<ScryptIdentity>(SecretString(p)));
  std::string file = v.zlib ? inflate_all(v.file) : v.file;

  MemorySource src(file);
  BufferedReader in(src);
  MemorySink out;
  std::optional<Failure> failure;
  std::string message;
  try {
    if (v.armored) {
      ArmorReader armor(in);
      BufferedReader decoded(armor);
      decrypt(decoded, ids, out);
    } else {
      decrypt(in, ids, out);
    }
  } catch (const Error& e) {
    failure = e.failure();
    message = e.what();
  }
  EXPECT_EQ(expect_name(failure), v.expect) << name << ": " << message;
  if (!v.payload.empty() &&
      (!failure || *failure == Failure::kPayload || *failure == Failure::kArmor)) {
    EXPECT_EQ(test::sha256_hex(std::string(out.str())), v.payload)
        << name << " released " << out.data().size() << " bytes";
  }
  if (failure && *failure != Failure::kPayload && *failure != Failure::kArmor) {
    EXPECT_TRUE(out.data().empty()) << name << ": plaintext released before a header failure";
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Vectors, Cctv, ::testing::ValuesIn(vector_names()), test_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Cctv);

}  // namespace
}  // namespace varan::age
