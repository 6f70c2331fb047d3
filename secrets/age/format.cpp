#include "secrets/age/format.h"

#include "common/base64.h"
#include "secrets/age/errors.h"
#include "secrets/primitives.h"

namespace varan::age {

namespace {

constexpr std::size_t kColumns = 64;
constexpr std::size_t kBytesPerLine = kColumns / 4 * 3;
// Long enough for any stanza line real recipients write (post-quantum shares included).
constexpr std::size_t kMaxLine = 64 * 1024;
constexpr std::size_t kMaxStanzas = 4096;

[[noreturn]] void fail(const std::string& why) {
  throw Error(Failure::kHeader, "invalid age header: " + why);
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s.substr(0, 80)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 80) out += "...";
  return out + "\"";
}

std::vector<std::string> split_spaces(std::string_view l) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto sp = l.find(' ', start);
    parts.emplace_back(l.substr(start, sp - start));
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  return parts;
}

bool valid_arg(std::string_view a) {
  if (a.empty()) return false;
  for (unsigned char c : a)
    if (c < 33 || c > 126) return false;
  return true;
}

std::string read_header_line(BufferedReader& in) {
  auto line = in.read_line(kMaxLine);
  if (!line) fail("unexpected end of file");
  if (line->back() != '\n') {
    if (line->size() >= kMaxLine) fail("line too long");
    fail("unexpected end of file in " + quote(*line));
  }
  line->pop_back();
  return std::move(*line);
}

void marshal_stanza(const Stanza& s, std::string& out) {
  out += "-> ";
  out += s.type;
  for (const auto& a : s.args) {
    out += ' ';
    out += a;
  }
  out += '\n';
  std::string body = b64(s.body);
  for (std::size_t i = 0; i < body.size(); i += kColumns) {
    out.append(body, i, kColumns);
    if (i + kColumns <= body.size()) out += '\n';
  }
  // The body always ends with a short (possibly empty) line.
  out += '\n';
}

}  // namespace

std::string b64(std::span<const std::uint8_t> data) { return base64::encode(data, false); }

std::optional<SecureBytes> unb64(std::string_view s) { return base64::decode(s, false); }

Header parse_header(BufferedReader& in) {
  Header h;
  auto intro = in.read_line(kIntro.size());
  if (!intro) fail("the file is empty");
  if (*intro != kIntro) fail("unexpected intro " + quote(*intro));

  for (;;) {
    if (in.fill(3) < 3) fail("unexpected end of file");
    auto peek = in.available().first(3);
    if (as_string(peek) == "---") {
      std::string line = read_header_line(in);
      auto parts = split_spaces(line);
      if (parts.size() != 2 || parts[0] != "---") fail("malformed closing line " + quote(line));
      auto mac = unb64(parts[1]);
      if (!mac || mac->size() != 32) fail("malformed MAC in closing line " + quote(line));
      std::copy(mac->begin(), mac->end(), h.mac.begin());
      return h;
    }

    if (h.stanzas.size() >= kMaxStanzas) fail("too many stanzas");
    std::string line = read_header_line(in);
    if (line.rfind("->", 0) != 0) fail("malformed stanza opening line " + quote(line));
    auto parts = split_spaces(line);
    if (parts[0] != "->" || parts.size() < 2) fail("malformed stanza " + quote(line));
    for (std::size_t i = 1; i < parts.size(); ++i)
      if (!valid_arg(parts[i])) fail("malformed stanza " + quote(line));
    Stanza s;
    s.type = parts[1];
    s.args.assign(parts.begin() + 2, parts.end());
    for (;;) {
      std::string body_line = read_header_line(in);
      auto bytes = unb64(body_line);
      if (!bytes) {
        if (body_line.rfind("---", 0) == 0 || body_line.rfind("->", 0) == 0)
          fail("stanza ended without a short line " + quote(body_line));
        fail("malformed body line " + quote(body_line));
      }
      if (bytes->size() > kBytesPerLine) fail("body line too long " + quote(body_line));
      s.body.insert(s.body.end(), bytes->begin(), bytes->end());
      if (bytes->size() < kBytesPerLine) break;
    }
    h.stanzas.push_back(std::move(s));
  }
}

std::string marshal_without_mac(const Header& h) {
  std::string out(kIntro);
  for (const auto& s : h.stanzas)
    marshal_stanza(s, out);
  out += "---";
  return out;
}

std::string marshal(const Header& h) { return marshal_without_mac(h) + " " + b64(h.mac) + "\n"; }

std::array<std::uint8_t, 32> header_mac(std::span<const std::uint8_t> file_key, const Header& h) {
  SecureBytes key(32);
  crypto::hkdf_sha256(file_key, {}, "header", key);
  return crypto::hmac_sha256(key, as_bytes(marshal_without_mac(h)));
}

}  // namespace varan::age
