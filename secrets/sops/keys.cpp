#include "secrets/sops/keys.h"

#include <sys/stat.h>

#include <cstdlib>

#include "common/io.h"
#include "common/process.h"
#include "secrets/age/age.h"
#include "secrets/age/keys.h"
#include "secrets/age/ssh.h"
#include "secrets/age/x25519.h"
#include "secrets/sops/errors.h"
#include "secrets/sops/shamir.h"

namespace varan::sops {

namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

SecureBytes run_key_command(const std::string& var, const std::string& command,
                            const std::string& recipient) {
  auto argv = shlex_split(command);
  if (argv.empty()) throw varan::Error("failed to parse command " + command + " from " + var);
  // sops runs it with its own standard error, and standard input from nowhere.
  ChildSpec spec;
  spec.argv = argv;
  spec.env["SOPS_AGE_RECIPIENT"] = recipient;
  spec.err = ChildOutput::inherit();
  auto res = run_child(spec);
  if (!res.started) throw varan::Error("failed to execute command " + command + ": " + res.error);
  if (res.status != 0)
    throw varan::Error("failed to execute command " + command + ": exit status " +
                       std::to_string(res.status));
  return std::move(res.out);
}

// Identity lines; several per line (separated by whitespace) for SOPS_AGE_KEY.
age::Identities parse_lines(std::string_view text, bool several_per_line,
                            const std::string& location) {
  age::Identities out;
  std::size_t start = 0, line_no = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (line.empty() || line.starts_with("#")) continue;
    std::vector<std::string_view> words;
    if (several_per_line) {
      std::size_t p = 0;
      while (p < line.size()) {
        while (p < line.size() && std::isspace(static_cast<unsigned char>(line[p])))
          ++p;
        std::size_t b = p;
        while (p < line.size() && !std::isspace(static_cast<unsigned char>(line[p])))
          ++p;
        if (p > b) words.push_back(line.substr(b, p - b));
      }
    } else {
      words.push_back(line);
    }
    for (auto w : words) {
      std::string where = location + " line " + std::to_string(line_no) + ": ";
      if (w.starts_with("AGE-SECRET-KEY-PQ-1"))
        throw varan::Error(where + "post-quantum identities are not supported yet");
      if (w.starts_with("AGE-PLUGIN-"))
        throw varan::Error(where + "age plugin identities are not supported");
      if (!w.starts_with("AGE-SECRET-KEY-1")) throw varan::Error(where + "unknown identity type");
      try {
        out.push_back(age::X25519Identity::parse(w));
      } catch (const age::Error& e) {
        throw varan::Error(where + e.what());
      }
    }
  }
  return out;
}

void add_ssh(IdentityLoad& r, std::span<const std::uint8_t> pem, const std::string& name) {
  try {
    r.identities.push_back(age::ssh::parse_identity(pem, name));
  } catch (const varan::Error& e) {
    r.errors.push_back(e.what());
  }
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i)
    out += (i ? sep : "") + v[i];
  return out;
}

// sops' formatError: the message, the load errors, and the places that held no keys.
std::string format_error(const std::string& msg, const std::string& err, const IdentityLoad& load) {
  std::string out = msg;
  if (!err.empty()) out += ": " + err;
  if (!load.errors.empty())
    out += ". Errors while loading age identities: " + join(load.errors, "; ");
  const auto& u = load.unused_locations;
  if (!u.empty()) {
    std::string where;
    if (u.size() == 1) {
      where = " '" + u[0] + "'";
    } else if (u.size() == 2) {
      where = "s '" + u[0] + "' and '" + u[1] + "'";
    } else {
      std::vector<std::string> head(u.begin(), u.end() - 1);
      where = "s '" + join(head, "', '") + "', and '" + u.back() + "'";
    }
    out += ". Did not find keys in location" + where + ".";
  }
  return out;
}

// mitchellh/go-wordwrap: break at spaces so lines stay within `width` where words allow.
std::string word_wrap(const std::string& s, std::size_t width) {
  std::string out, line;
  std::size_t start = 0;
  auto flush_word = [&](const std::string& word) {
    if (line.empty()) {
      line = word;
    } else if (line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = word;
    } else {
      line += " " + word;
    }
  };
  while (start <= s.size()) {
    auto nl = s.find('\n', start);
    std::string para = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    std::size_t p = 0;
    while (p < para.size()) {
      auto sp = para.find(' ', p);
      std::string word = para.substr(p, sp == std::string::npos ? std::string::npos : sp - p);
      if (!word.empty()) flush_word(word);
      if (sp == std::string::npos) break;
      p = sp + 1;
    }
    out += line;
    line.clear();
    if (nl == std::string::npos) break;
    out += "\n";
    start = nl + 1;
  }
  return out;
}

std::string prefix_lines(const std::string& s, const std::string& prefix) {
  std::string out;
  std::size_t start = 0;
  for (;;) {
    auto nl = s.find('\n', start);
    out += prefix + s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (nl == std::string::npos) break;
    out += "\n";
    start = nl + 1;
  }
  return out;
}

struct KeyFailure {
  std::string key;
  std::string error;
};

std::string key_report(const KeyFailure& f) {
  std::string msg = prefix_lines(word_wrap(f.error, 60), "  | ");
  msg[0] = '-';
  return f.key + ": FAILED\n" + prefix_lines(msg, "  ");
}

}  // namespace

std::vector<std::string> shlex_split(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool have = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      have = true;
    } else if (c == '\'' || c == '"') {
      char q = c;
      have = true;
      while (++i < s.size() && s[i] != q) {
        if (q == '"' && s[i] == '\\' && i + 1 < s.size()) ++i;
        cur += s[i];
      }
    } else if (c == '#' && !have) {
      break;  // a comment to the end of the line
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (have) out.push_back(std::move(cur));
      cur.clear();
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push_back(std::move(cur));
  return out;
}

IdentityLoad load_identities(const std::string& recipient) {
  IdentityLoad r;
  if (auto path = env("SOPS_AGE_SSH_PRIVATE_KEY_FILE")) {
    try {
      add_ssh(r, read_file(*path, 1 << 16), *path);
    } catch (const varan::Error& e) {
      r.errors.push_back(e.what());
    }
  } else {
    r.unused_locations.push_back("SOPS_AGE_SSH_PRIVATE_KEY_FILE");
  }
  if (auto cmd = env("SOPS_AGE_SSH_PRIVATE_KEY_CMD")) {
    try {
      add_ssh(r, run_key_command("SOPS_AGE_SSH_PRIVATE_KEY_CMD", *cmd, recipient),
              "SOPS_AGE_SSH_PRIVATE_KEY_CMD");
    } catch (const varan::Error& e) {
      r.errors.push_back(e.what());
    }
  } else {
    r.unused_locations.push_back("SOPS_AGE_SSH_PRIVATE_KEY_CMD");
  }
  auto home = env("HOME");
  if (!home || home->empty()) {
    r.errors.push_back("$HOME is not defined");
  } else {
    for (const char* name : {"/.ssh/id_ed25519", "/.ssh/id_rsa"}) {
      std::string path = *home + name;
      if (!exists(path)) {
        r.unused_locations.push_back(path);
        continue;
      }
      try {
        add_ssh(r, read_file(path, 1 << 16), path);
      } catch (const varan::Error& e) {
        r.errors.push_back(e.what());
      }
    }
  }

  struct Reader {
    std::string location;
    SecureBytes text;
    bool several_per_line;
  };
  std::vector<Reader> readers;
  if (auto key = env("SOPS_AGE_KEY")) {
    readers.push_back({"SOPS_AGE_KEY", SecureBytes(key->begin(), key->end()), true});
    wipe(*key);
  } else {
    r.unused_locations.push_back("SOPS_AGE_KEY");
  }
  if (auto path = env("SOPS_AGE_KEY_FILE")) {
    try {
      readers.push_back({"SOPS_AGE_KEY_FILE", read_file(*path, 16 << 20), false});
    } catch (const varan::Error& e) {
      r.errors.push_back(std::string("failed to open SOPS_AGE_KEY_FILE file: ") + e.what());
    }
  } else {
    r.unused_locations.push_back("SOPS_AGE_KEY_FILE");
  }
  if (auto cmd = env("SOPS_AGE_KEY_CMD")) {
    try {
      readers.push_back(
          {"SOPS_AGE_KEY_CMD", run_key_command("SOPS_AGE_KEY_CMD", *cmd, recipient), false});
    } catch (const varan::Error& e) {
      r.errors.push_back(e.what());
    }
  } else {
    r.unused_locations.push_back("SOPS_AGE_KEY_CMD");
  }
  std::string config_dir;
  if (auto xdg = env("XDG_CONFIG_HOME"); xdg && !xdg->empty() && (*xdg)[0] == '/') {
    config_dir = *xdg;
  } else if (home && !home->empty()) {
    config_dir = *home + "/.config";
  }
  if (!config_dir.empty()) {
    std::string path = config_dir + "/sops/age/keys.txt";
    if (exists(path)) {
      try {
        readers.push_back({path, read_file(path, 16 << 20), false});
      } catch (const varan::Error& e) {
        r.errors.push_back(std::string("failed to open file: ") + e.what());
      }
    } else if (readers.empty() && r.identities.empty()) {
      r.unused_locations.push_back(path);
    }
  }
  for (auto& reader : readers) {
    auto text = as_string(reader.text);
    if (text.starts_with("age-encryption") || text.starts_with("-----BEGIN AGE")) {
      r.errors.push_back(reader.location +
                         ": passphrase-protected identity files are not supported");
      continue;
    }
    try {
      auto ids = parse_lines(text, reader.several_per_line, reader.location);
      if (ids.empty()) r.unused_locations.push_back(reader.location);
      for (auto& id : ids)
        r.identities.push_back(std::move(id));
    } catch (const varan::Error& e) {
      r.errors.push_back(e.what());
    }
  }
  return r;
}

const IdentityLoad& EnvironmentKeySource::identities_for(const std::string& recipient) {
  // Only the *_CMD sources see the recipient; without them one load serves every key.
  bool per_recipient =
      std::getenv("SOPS_AGE_KEY_CMD") || std::getenv("SOPS_AGE_SSH_PRIVATE_KEY_CMD");
  std::string slot = per_recipient ? recipient : std::string();
  auto it = cache_.find(slot);
  if (it == cache_.end()) it = cache_.emplace(slot, load_identities(recipient)).first;
  return it->second;
}

SecureBytes recover_data_key(const Metadata& md, KeySource& keys) {
  std::vector<SecureBytes> parts;
  std::vector<std::vector<KeyFailure>> failures(md.key_groups.size());
  std::vector<bool> ok(md.key_groups.size(), false);
  for (std::size_t g = 0; g < md.key_groups.size(); ++g) {
    const KeyGroup& group = md.key_groups[g];
    for (const AgeKey& k : group.age) {
      const IdentityLoad& load = keys.identities_for(k.recipient);
      if (load.identities.empty()) {
        failures[g].push_back(
            {k.recipient, format_error("failed to load age identities", "", load)});
        continue;
      }
      try {
        MemorySource src(k.enc);
        BufferedReader in(src);
        MemorySink out;
        age::decrypt_any(in, load.identities, out);
        parts.emplace_back(out.data().begin(), out.data().end());
        ok[g] = true;
        break;
      } catch (const age::Error& e) {
        std::string why = e.what();
        if (e.failure() == age::Failure::kNoMatch)
          why = load.identities.size() == 1 ? "identity did not match any of the recipients: "
                                              "incorrect identity for recipient block"
                                            : "no identity matched any of the recipients";
        failures[g].push_back(
            {k.recipient,
             format_error("failed to create reader for decrypting sops data key with age", why,
                          load)});
      }
    }
    if (!ok[g])
      for (const auto& [type, entry] : group.others)
        failures[g].push_back({type + " key", "Varan decrypts with age keys only; " + type +
                                                  " keys are not supported"});
  }

  std::size_t required = md.key_groups.size() > 1
                             ? static_cast<std::size_t>(
                                   md.shamir_threshold > 0 ? md.shamir_threshold
                                                           : static_cast<int>(md.key_groups.size()))
                             : 1;
  if (parts.size() >= required) {
    SecureBytes key;
    if (md.key_groups.size() > 1) {
      key = shamir::combine(parts);
    } else {
      key = std::move(parts[0]);
    }
    if (key.size() != 32)
      throw Error(codes::kCouldNotRetrieveKey, "the recovered data key has the wrong size");
    return key;
  }

  std::string report = "Failed to get the data key required to decrypt the SOPS file.\n\n";
  for (std::size_t g = 0; g < md.key_groups.size(); ++g) {
    if (g) report += "\n\n";
    report += "Group " + std::to_string(g) + ": " + (ok[g] ? "SUCCESS" : "FAILED");
    if (ok[g]) continue;
    std::string keys_text;
    for (std::size_t k = 0; k < failures[g].size(); ++k)
      keys_text += (k ? "\n\n" : "") + key_report(failures[g][k]);
    report += "\n" + prefix_lines(keys_text, "  ");
  }
  std::string trailer =
      md.key_groups.size() > 1 && md.shamir_threshold > 0
          ? "Recovery failed because the file was encrypted with a Shamir threshold of " +
                std::to_string(md.shamir_threshold) + ", but only " + std::to_string(parts.size()) +
                " part(s) were successfully recovered, one for each successful key group. In order "
                "for SOPS to "
                "recover the file, at least " +
                std::to_string(md.shamir_threshold) +
                " groups have to be successful. In order for a group to be successful, decryption "
                "has to succeed "
                "with any of the keys in that key group."
          : "Recovery failed because no master key was able to decrypt the file. In order for SOPS "
            "to recover the "
            "file, at least one key has to be successful, but none were.";
  report += "\n\n" + word_wrap(trailer, 75);
  std::string summary = "no key could open the data key; recipients tried:";
  bool first = true;
  for (const auto& group : failures)
    for (const auto& f : group) {
      summary += (first ? " " : ", ") + f.key;
      first = false;
    }
  if (first) summary += " none";
  // The most telling reason, once: usually the same for every recipient.
  for (const auto& group : failures)
    if (!group.empty()) {
      summary += " (" + group.front().error + ")";
      break;
    }
  throw DataKeyError(summary, report);
}

void wrap_data_key(Metadata& md, std::span<const std::uint8_t, 32> data_key) {
  if (md.key_groups.empty()) throw Error(codes::kNoEncryptionKeyFound, "no key groups provided");
  std::vector<SecureBytes> parts;
  if (md.key_groups.size() == 1) {
    parts.emplace_back(data_key.begin(), data_key.end());
  } else {
    if (md.shamir_threshold == 0) md.shamir_threshold = static_cast<int>(md.key_groups.size());
    parts = shamir::split(data_key, static_cast<int>(md.key_groups.size()), md.shamir_threshold);
  }
  for (std::size_t g = 0; g < md.key_groups.size(); ++g) {
    KeyGroup& group = md.key_groups[g];
    if (!group.others.empty())
      throw Error(codes::kNoEncryptionKeyFound, "key group " + std::to_string(g) + " has " +
                                                    group.others[0].first +
                                                    " keys; Varan encrypts to age recipients only");
    if (group.age.empty()) throw Error(codes::kNoEncryptionKeyFound, "empty key group provided");
    for (AgeKey& k : group.age) {
      age::Recipients recs;
      recs.push_back(age::parse_recipient(k.recipient));
      MemorySink out;
      age::Encryptor enc(out, recs, true);
      enc.write(parts[g]);
      enc.finish();
      k.enc = std::string(out.str());
    }
  }
}

}  // namespace varan::sops
