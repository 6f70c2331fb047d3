#include "secrets/age/format.h"

#include <gtest/gtest.h>

#include "secrets/age/errors.h"

namespace varan::age {
namespace {

Header parse(std::string_view text) {
  MemorySource src(text);
  BufferedReader r(src);
  return parse_header(r);
}

Failure failure_of(std::string_view text) {
  try {
    parse(text);
  } catch (const Error& e) {
    return e.failure();
  }
  ADD_FAILURE() << "parsed without error";
  return Failure::kKey;
}

const std::string kMac = "--- " + std::string(43, 'A') + "\n";

TEST(Format, MarshalsBodiesWithAFinalShortLine) {
  Header h;
  h.stanzas.push_back({"X25519", {"abc"}, Bytes(32, 1)});  // 43 columns: one short line
  h.stanzas.push_back({"test", {}, Bytes(48, 2)});         // 64 columns: then an empty line
  h.stanzas.push_back({"empty", {"a", "b"}, {}});          // empty body: one empty line
  std::string text = marshal(h);
  EXPECT_EQ(text.substr(0, 22), "age-encryption.org/v1\n");
  EXPECT_NE(text.find("-> X25519 abc\n" + b64(Bytes(32, 1)) + "\n-> test\n"), std::string::npos);
  EXPECT_NE(text.find("-> test\n" + b64(Bytes(48, 2)) + "\n\n-> empty a b\n\n---"),
            std::string::npos);
  Header back = parse(text);
  ASSERT_EQ(back.stanzas.size(), 3u);
  EXPECT_EQ(back.stanzas[1].body, Bytes(48, 2));
  EXPECT_EQ(back.stanzas[2].args, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(marshal(back), text);
}

TEST(Format, LeavesTheReaderAtThePayload) {
  std::string text = "age-encryption.org/v1\n-> t\n\n" + kMac + "PAYLOAD";
  MemorySource src(text);
  BufferedReader r(src);
  parse_header(r);
  EXPECT_EQ(as_string(r.available()), "PAYLOAD");
}

TEST(Format, RejectsMalformedHeaders) {
  EXPECT_EQ(failure_of(""), Failure::kHeader);
  EXPECT_EQ(failure_of("age-encryption.org/v2\n-> t\n\n" + kMac), Failure::kHeader);
  EXPECT_EQ(failure_of("age-encryption.org/v1\r\n-> t\n\n" + kMac), Failure::kHeader);
  EXPECT_EQ(failure_of("age-encryption.org/v1\n->  t\n\n" + kMac),
            Failure::kHeader);  // empty argument
  EXPECT_EQ(failure_of("age-encryption.org/v1\n-> t\n" + kMac), Failure::kHeader);  // no short line
  EXPECT_EQ(failure_of("age-encryption.org/v1\n-> t\nAAA=\n" + kMac),
            Failure::kHeader);  // padded body
  EXPECT_EQ(failure_of("age-encryption.org/v1\n-> t\n\n--- AAAA\n"),
            Failure::kHeader);  // short MAC
  EXPECT_EQ(failure_of("age-encryption.org/v1\n-> t\n\n---  " + std::string(43, 'A') + "\n"),
            Failure::kHeader);
  EXPECT_EQ(failure_of("age-encryption.org/v1\n-> t\n\n--- " + std::string(43, 'A')),
            Failure::kHeader);  // no LF
  EXPECT_EQ(failure_of("age-encryption.org/v1\n-> t \xc3\xa9\n\n" + kMac),
            Failure::kHeader);  // non-ASCII arg
}

}  // namespace
}  // namespace varan::age
