#include "secrets/age/keys.h"

#include "secrets/age/age.h"
#include "secrets/age/scrypt.h"
#include "secrets/age/ssh.h"

namespace varan::age {

namespace {

constexpr std::size_t kLineLimit = 8 << 10;

[[noreturn]] void key_error(const std::string& why) { throw Error(Failure::kKey, why); }

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

template <class F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t n = 0, start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    ++n;
    f(line, n);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
}

}  // namespace

std::unique_ptr<Recipient> parse_recipient(std::string_view s) {
  if (s.starts_with("age1pq1"))
    key_error("post-quantum recipients are not supported yet: " + quoted(s.substr(0, 20)) + "...");
  if (s.starts_with("age1") && s.find('1', 4) != std::string_view::npos)
    key_error("age plugins are not supported: " + quoted(s));
  if (s.starts_with("age1")) return X25519Recipient::parse(s);
  if (s.starts_with("ssh-")) return ssh::parse_recipient(s);
  if (s.starts_with("AGE-SECRET-KEY-"))
    key_error("expected a recipient (age1...), got what looks like a secret key");
  key_error("unknown recipient type: " + quoted(s.substr(0, 80)));
}

Recipients parse_recipients_file(std::string_view contents, std::string_view name,
                                 std::vector<std::string>* warnings) {
  Recipients out;
  for_each_line(contents, [&](std::string_view line, std::size_t n) {
    if (line.empty() || line.starts_with("#")) return;
    if (!valid_utf8(line)) key_error(quoted(name) + ": recipients file is not valid UTF-8");
    if (line.size() > kLineLimit)
      key_error(quoted(name) + ": line " + std::to_string(n) + " is too long");
    try {
      out.push_back(parse_recipient(line));
    } catch (const Error&) {
      std::string type;
      if (ssh::looks_like_public_key(line, &type) && type != "ssh-ed25519" && type != "ssh-rsa") {
        if (warnings)
          warnings->push_back("recipients file " + quoted(name) +
                              ": ignoring unsupported SSH key of type " + quoted(type) +
                              " at line " + std::to_string(n));
        return;
      }
      if (line.starts_with("AGE-"))
        key_error(quoted(name) + ": error at line " + std::to_string(n) +
                  ": apparent identity found in recipients file");
      key_error(quoted(name) + ": malformed recipient at line " + std::to_string(n));
    }
  });
  if (out.empty()) key_error(quoted(name) + ": no recipients found");
  return out;
}

Identities parse_identity_lines(std::string_view text, std::string_view name) {
  Identities out;
  for_each_line(text, [&](std::string_view line, std::size_t n) {
    if (line.empty() || line.starts_with("#")) return;
    std::string where =
        "failed to read " + quoted(name) + ": error at line " + std::to_string(n) + ": ";
    if (!valid_utf8(line))
      key_error("failed to read " + quoted(name) + ": identities file is not valid UTF-8");
    if (line.starts_with("AGE-SECRET-KEY-1")) {
      try {
        out.push_back(X25519Identity::parse(line));
      } catch (const Error& e) {
        key_error(where + e.what());
      }
    } else if (line.starts_with("AGE-SECRET-KEY-PQ-1")) {
      key_error(where + "post-quantum identities are not supported yet");
    } else if (line.starts_with("AGE-PLUGIN-")) {
      key_error(where + "age plugins are not supported");
    } else if (line.starts_with("age1")) {
      key_error(where + "apparent recipient found in identities file");
    } else {
      key_error(where + "unknown identity type");
    }
  });
  if (out.empty()) key_error("failed to read " + quoted(name) + ": no identities found");
  return out;
}

Identities parse_identities_file(std::span<const std::uint8_t> contents, std::string_view name,
                                 const PassphraseFn& ask) {
  auto text = as_string(contents);
  if (text.starts_with("age-encryption") || text.starts_with("-----BEGIN AGE")) {
    Identities pass;
    pass.push_back(std::make_unique<ScryptIdentity>(
        ask("Enter passphrase for identity file " + quoted(name) + ":")));
    MemorySource src(contents);
    BufferedReader in(src);
    MemorySink plain;
    try {
      decrypt_any(in, pass, plain);
    } catch (const Error& e) {
      key_error("failed to decrypt identity file " + quoted(name) + ": " + e.what());
    }
    return parse_identity_lines(plain.str(), name);
  }
  if (text.starts_with("-----BEGIN")) {
    Identities out;
    out.push_back(ssh::parse_identity(contents, name));
    return out;
  }
  return parse_identity_lines(text, name);
}

SecretString keygen_text(const X25519Identity& id, std::time_t now) {
  std::tm tm{};
  localtime_r(&now, &tm);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string zone = "Z";
  if (tm.tm_gmtoff != 0) {
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    off = off < 0 ? -off : off;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", sign, off / 3600 % 100, (off / 60) % 60);
    zone = buf;
  }
  SecretString out;
  std::string& s = out.str();
  s.reserve(256);  // one allocation: no unwiped copy of the key is left behind
  s.append("# created: ").append(stamp).append(zone);
  s.append("\n# public key: ").append(id.recipient()->str()).append("\n");
  s.append(id.str().str()).append("\n");
  return out;
}

}  // namespace varan::age
