#include "secrets/sops/value_cipher.h"

#include "common/base64.h"
#include "secrets/primitives.h"
#include "secrets/sops/errors.h"

namespace varan::sops {

namespace {
constexpr std::string_view kPrefix = "ENC[AES256_GCM,data:";
constexpr std::size_t kIvSize = 32;

[[noreturn]] void fail(const std::string& why) { throw Error(codes::kErrorDecryptingTree, why); }
}  // namespace

bool looks_encrypted(std::string_view s) { return s.starts_with("ENC[AES256_GCM,"); }

std::optional<EncValue> parse_enc(std::string_view s) {
  if (!s.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = s.substr(kPrefix.size());
  std::size_t close = rest.rfind(']');
  if (close == std::string_view::npos) return std::nullopt;
  // Greedy groups, leftmost first, as in `^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`:
  // the data field ends at the last ",iv:" from which the rest still matches, and so on.
  for (std::size_t iv = rest.rfind(",iv:"); iv != std::string_view::npos && iv > 0;
       iv = iv == 0 ? std::string_view::npos : rest.rfind(",iv:", iv - 1)) {
    for (std::size_t tag = rest.rfind(",tag:"); tag != std::string_view::npos && tag > iv + 4;
         tag = rest.rfind(",tag:", tag - 1)) {
      for (std::size_t type = rest.rfind(",type:");
           type != std::string_view::npos && type > tag + 5;
           type = rest.rfind(",type:", type - 1)) {
        if (close <= type + 6) continue;
        auto data = base64::decode_lenient(rest.substr(0, iv));
        auto ivb = base64::decode_lenient(rest.substr(iv + 4, tag - iv - 4));
        auto tagb = base64::decode_lenient(rest.substr(tag + 5, type - tag - 5));
        if (!data || !ivb || !tagb) return std::nullopt;
        return EncValue{std::move(*data), std::move(*ivb), std::move(*tagb),
                        std::string(rest.substr(type + 6, close - type - 6))};
      }
    }
  }
  return std::nullopt;
}

std::string encrypt_value(const Node& leaf, DataKey key, std::string_view aad) {
  if ((leaf.kind == Node::Kind::kString || leaf.kind == Node::Kind::kComment ||
       leaf.kind == Node::Kind::kBytes) &&
      leaf.str.empty())
    return "";
  const char* type = nullptr;
  switch (leaf.kind) {
    case Node::Kind::kString:
    case Node::Kind::kBytes:
      type = "str";
      break;
    case Node::Kind::kInt:
      type = "int";
      break;
    case Node::Kind::kFloat:
      type = "float";
      break;
    case Node::Kind::kBool:
      type = "bool";
      break;
    case Node::Kind::kComment:
      type = "comment";
      break;
    default:
      throw Error(codes::kErrorEncryptingTree, "Value to encrypt has an unsupported type");
  }
  std::string plain = to_bytes(leaf);
  std::array<std::uint8_t, kIvSize> iv;
  crypto::random_bytes(iv);
  Bytes out(plain.size());
  std::array<std::uint8_t, 16> tag;
  crypto::aes256gcm_seal(key, iv, as_bytes(aad), as_bytes(plain), out.data(), tag);
  wipe(plain);
  return "ENC[AES256_GCM,data:" + base64::encode(out) + ",iv:" + base64::encode(iv) +
         ",tag:" + base64::encode(tag) + ",type:" + type + "]";
}

Node decrypt_value(std::string_view ciphertext, DataKey key, std::string_view aad) {
  if (ciphertext.empty()) return Node::string("");
  auto enc = parse_enc(ciphertext);
  if (!enc)
    fail("Input string " + std::string(ciphertext.substr(0, 100)) +
         " does not match sops' data format");
  SecureBytes plain(enc->data.size());
  if (enc->iv.empty() || enc->tag.size() != 16 ||
      !crypto::aes256gcm_open(key, enc->iv, as_bytes(aad), enc->data, enc->tag, plain.data()))
    fail("Could not decrypt with AES_GCM: cipher: message authentication failed");
  std::string text(plain.begin(), plain.end());
  Node out;
  const std::string& t = enc->type;
  if (t == "str") {
    out = Node::string(std::move(text));
  } else if (t == "int") {
    std::int64_t v;
    if (!go_parse_int(text, v))
      fail("could not parse the decrypted int value at " + std::string(aad));
    out = Node::integer(v);
  } else if (t == "float") {
    double v;
    if (!go_parse_float(text, v))
      fail("could not parse the decrypted float value at " + std::string(aad));
    out = Node::floating(v);
  } else if (t == "bool") {
    bool v;
    if (!go_parse_bool(text, v))
      fail("could not parse the decrypted bool value at " + std::string(aad));
    out = Node::boolean(v);
  } else if (t == "bytes") {
    out.kind = Node::Kind::kBytes;
    out.str = std::move(text);
  } else if (t == "comment") {
    out = Node::comment(std::move(text));
  } else if (t == "time") {
    // sops writes time.Time as RFC 3339 text; it reads back as that text.
    out = Node::string(std::move(text));
  } else {
    fail("Unknown datatype: " + t);
  }
  wipe(text);
  return out;
}

}  // namespace varan::sops
