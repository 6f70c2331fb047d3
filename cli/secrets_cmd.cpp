#include "cli/secrets_cmd.h"

#include <sys/stat.h>

#include <cstdlib>
#include <iostream>

#include "cli/output.h"
#include "cli/sops_cli.h"
#include "common/io.h"
#include "secrets/sops/sops.h"

namespace varan::cli {

namespace {

using namespace varan::sops;

struct Options {
  std::string file, output, age, input_type, output_type, extract;
  EncryptionRule encryption;
  int shamir_threshold = 0;
  bool in_place = false, ignore_mac = false, mac_only_encrypted = false, yes = false;
};

std::optional<Format> type_of(const std::string& flag, const std::string& v) {
  if (v.empty()) return std::nullopt;
  auto f = parse_format(v);
  if (!f)
    throw sops::Error(codes::kGeneric, flag + " must be one of yaml, json, dotenv, ini, binary");
  return f;
}

// --input-type, else what FILE's extension says.
Format input_format(const Options& o) {
  return type_of("--input-type", o.input_type).value_or(format_for_path(o.file));
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// Recipients from --age or SOPS_AGE_RECIPIENTS win over .sops.yaml, as in sops.
CreationRule rule_for(const Options& o, StoreOptions& store_opts) {
  std::string recipients = o.age;
  if (recipients.empty())
    if (const char* env = std::getenv("SOPS_AGE_RECIPIENTS")) recipients = env;
  auto lookup = find_config(dir_of(absolute_path(o.file)));
  if (!lookup.warning.empty()) std::cerr << "varan secrets: warning: " << lookup.warning << "\n";
  if (lookup.path) store_opts = store_options(*lookup.path);
  CreationRule rule;
  if (!recipients.empty()) {
    rule.key_groups.push_back(group_from_recipients(recipients));
  } else if (lookup.path) {
    rule = creation_rule_for(*lookup.path, absolute_path(o.file));
  } else {
    throw sops::Error(codes::kNoEncryptionKeyFound,
                      "config file not found, or has no creation rules, and no keys provided "
                      "through command line "
                      "options (use --age or SOPS_AGE_RECIPIENTS, or a .sops.yaml)");
  }
  // Rule flags replace the creation rule's encryption rule as a whole.
  if (!o.encryption.empty()) rule.encryption = o.encryption;
  if (o.shamir_threshold) rule.shamir_threshold = o.shamir_threshold;
  if (o.mac_only_encrypted) rule.mac_only_encrypted = true;
  return rule;
}

void write_result(const Options& o, const std::string& text, bool in_place) {
  std::string target = in_place ? o.file : (o.output.empty() ? "-" : o.output);
  unsigned mode = 0644;
  struct stat st {};
  if (in_place && ::stat(o.file.c_str(), &st) == 0) mode = st.st_mode & 0777;
  write_sops_output(target, in_place ? mode : masked_mode(0666), text);
}

int encrypt(const Options& o) {
  SecureBytes plain = read_sops_input(o.file);
  Format in = input_format(o);
  StoreOptions store_opts;
  CreationRule rule = rule_for(o, store_opts);
  std::string out = encrypt_file(as_string(plain), in, rule, store_opts);
  write_result(o, out, o.in_place);
  return 0;
}

int rotate(const Options& o) {
  SecureBytes enc = read_sops_input(o.file);
  Format in = input_format(o);
  EnvironmentKeySource keys;
  write_result(o, rotate_file(as_string(enc), in, keys), o.in_place);
  return 0;
}

int updatekeys(const Options& o) {
  SecureBytes enc = read_sops_input(o.file);
  Format in = input_format(o);
  auto lookup = find_config(dir_of(absolute_path(o.file)));
  if (!lookup.path)
    throw sops::Error(codes::kNoEncryptionKeyFound,
                      "updatekeys needs a .sops.yaml with a creation rule for " + o.file);
  CreationRule rule = creation_rule_for(*lookup.path, absolute_path(o.file));
  EnvironmentKeySource keys;
  std::string out = update_keys(as_string(enc), in, rule, keys, store_options(*lookup.path));
  for (std::size_t g = 0; g < rule.key_groups.size(); ++g) {
    std::cerr << "Group " << g + 1 << "\n";
    for (const auto& k : rule.key_groups[g].age)
      std::cerr << "    " << k.recipient << "\n";
  }
  write_result(o, out, true);
  std::cerr << "File " << o.file << " synced with new keys\n";
  return 0;
}

template <class F>
int guarded(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return report_sops_error("varan secrets", e);
  }
}

void add_type_flags(CLI::App* c, Options& o) {
  c->add_option("--input-type", o.input_type,
                "yaml, json, dotenv, ini or binary (default: from the extension)");
}

}  // namespace

std::function<std::optional<int>()> add_secrets_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* secrets = app.add_subcommand(
      "secrets", "SOPS files with age keys: encrypt, decrypt, rotate, updatekeys");
  secrets->require_subcommand(1);

  auto* enc = secrets->add_subcommand(
      "encrypt", "Encrypt FILE (recipients from --age, SOPS_AGE_RECIPIENTS or .sops.yaml)");
  enc->add_option("FILE", o->file)->required();
  enc->add_flag("-i,--in-place", o->in_place, "Write the result back to FILE");
  enc->add_option("--output", o->output, "Write the result to this file");
  enc->add_option("--age", o->age, "Comma-separated age recipients (also SOPS_AGE_RECIPIENTS)");
  add_type_flags(enc, *o);
  enc->add_option("--unencrypted-suffix", o->encryption.unencrypted_suffix,
                  "Keys ending with this stay in plaintext");
  enc->add_option("--encrypted-suffix", o->encryption.encrypted_suffix,
                  "Only keys ending with this are encrypted");
  enc->add_option("--unencrypted-regex", o->encryption.unencrypted_regex,
                  "Keys matching this stay in plaintext");
  enc->add_option("--encrypted-regex", o->encryption.encrypted_regex,
                  "Only keys matching this are encrypted");
  enc->add_option("--unencrypted-comment-regex", o->encryption.unencrypted_comment_regex,
                  "Values after matching comments stay plaintext");
  enc->add_option("--encrypted-comment-regex", o->encryption.encrypted_comment_regex,
                  "Only values after matching comments are encrypted");
  enc->add_option("--shamir-secret-sharing-threshold", o->shamir_threshold,
                  "Key groups needed to decrypt");
  enc->add_flag("--mac-only-encrypted", o->mac_only_encrypted,
                "The MAC covers only encrypted values");

  auto* dec = secrets->add_subcommand("decrypt", "Decrypt FILE to standard output, like sops -d");
  dec->add_option("FILE", o->file)->required();
  dec->add_flag("-i,--in-place", o->in_place, "Write the result back to FILE");
  dec->add_option("--output", o->output, "Write the result to this file (atomically, mode 0600)");
  dec->add_option("--extract", o->extract, "Only the value at this path, e.g. '[\"a\"][0]'");
  dec->add_flag("--ignore-mac", o->ignore_mac, "Do not verify the MAC");
  add_type_flags(dec, *o);
  dec->add_option("--output-type", o->output_type, "yaml, json, dotenv, ini or binary");

  auto* rot = secrets->add_subcommand("rotate", "Re-encrypt FILE with a new data key");
  rot->add_option("FILE", o->file)->required();
  rot->add_flag("-i,--in-place", o->in_place, "Write the result back to FILE");
  add_type_flags(rot, *o);

  auto* upd = secrets->add_subcommand(
      "updatekeys", "Set FILE's recipients to those of its .sops.yaml creation rule");
  upd->add_option("FILE", o->file)->required();
  upd->add_flag("-y,--yes", o->yes, "Do not ask (Varan never asks; accepted for compatibility)");
  add_type_flags(upd, *o);

  return [=]() -> std::optional<int> {
    if (enc->parsed()) return guarded([&] { return encrypt(*o); });
    if (dec->parsed())
      return guarded([&] {
        return decrypt_command(
            {o->file, o->output.empty() ? std::nullopt : std::optional(o->output),
             type_of("--input-type", o->input_type), type_of("--output-type", o->output_type),
             o->extract, o->ignore_mac, o->in_place});
      });
    if (rot->parsed()) return guarded([&] { return rotate(*o); });
    if (upd->parsed()) return guarded([&] { return updatekeys(*o); });
    return std::nullopt;
  };
}

}  // namespace varan::cli
