#include "cli/age_cmd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "cli/output.h"
#include "cli/terminal.h"
#include "common/error.h"
#include "secrets/age/age.h"
#include "secrets/age/keys.h"
#include "secrets/age/scrypt.h"

namespace varan::cli {

namespace {

using namespace varan::age;

struct AgeOptions {
  bool encrypt = false, decrypt = false, armor = false, passphrase = false;
  std::string output, input;
  std::vector<std::string> recipients, recipient_files, identities, plugins;
};

struct KeygenOptions {
  bool convert = false;
  std::string output, input;
};

class UsageError : public varan::Error {
 public:
  using varan::Error::Error;
};

[[noreturn]] void usage(const std::string& msg) { throw UsageError(msg); }

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// Reading the same standard input for two purposes would silently split it.
struct Stdin {
  std::string used_for;
  void claim(const std::string& what) {
    if (!used_for.empty()) usage("standard input is used for both " + used_for + " and " + what);
    used_for = what;
  }
};

SecureBytes read_named(const std::string& name, std::size_t limit, Stdin& in,
                       const std::string& what) {
  if (name == "-") {
    in.claim(what);
    MemorySink sink;
    FdSource src(0, "standard input");
    std::uint8_t buf[16384];
    for (std::size_t r; (r = src.read(buf, sizeof buf)) > 0;) {
      if (sink.data().size() + r > limit) usage(what + " on standard input is too large");
      sink.write(buf, r);
    }
    wipe(buf, sizeof buf);
    return sink.data();
  }
  return read_file(name, limit);
}

SecretString env_passphrase() {
  const char* p = std::getenv("AGE_PASSPHRASE");
  const char* fd = std::getenv("AGE_PASSPHRASE_FD");
  if (p && fd) usage("AGE_PASSPHRASE and AGE_PASSPHRASE_FD are mutually exclusive");
  if (p) return SecretString(p);
  if (!fd) usage("-j batchpass needs AGE_PASSPHRASE or AGE_PASSPHRASE_FD in the environment");
  char* end = nullptr;
  long n = std::strtol(fd, &end, 10);
  if (*fd == '\0' || *end != '\0' || n < 0)
    usage("AGE_PASSPHRASE_FD is not a file descriptor number");
  FdSource src(static_cast<int>(n), "AGE_PASSPHRASE_FD");
  SecretString out;
  out.str().reserve(4096);
  std::uint8_t buf[256];
  for (std::size_t r; (r = src.read(buf, sizeof buf)) > 0;) {
    if (out.str().size() + r > 4000) usage("the passphrase from AGE_PASSPHRASE_FD is too long");
    out.str().append(reinterpret_cast<char*>(buf), r);
  }
  wipe(buf, sizeof buf);
  while (!out.str().empty() && (out.str().back() == '\n' || out.str().back() == '\r'))
    out.str().pop_back();
  return out;
}

int env_work_factor(const char* var, int fallback) {
  const char* v = std::getenv(var);
  if (!v) return fallback;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*v == '\0' || *end != '\0' || n < 1 || n > 30)
    usage(std::string(var) + " must be a number between 1 and 30");
  return static_cast<int>(n);
}

void check_plugins(const std::vector<std::string>& plugins) {
  for (const auto& p : plugins)
    if (p != "batchpass")
      usage("age plugins are not supported (only the built-in -j batchpass): " + quoted(p));
}

// Without -i: the file must be passphrase-encrypted, and only then is the passphrase asked.
class PromptedScryptIdentity final : public Identity {
 public:
  std::optional<SecureBytes> unwrap(std::span<const Stanza> stanzas) const override {
    if (stanzas.size() != 1 || stanzas[0].type != "scrypt")
      throw age::Error(
          Failure::kNoMatch,
          "the file is not passphrase-encrypted, identities are required; specify them with "
          "-i/--identity");
    return ScryptIdentity(read_secret("Enter passphrase:")).unwrap(stanzas);
  }
  std::unique_ptr<Recipient> recipient() const override { usage("internal: no recipient"); }
};

// With -i: a passphrase-encrypted file is a mistake worth naming.
class RejectScryptIdentity final : public Identity {
 public:
  bool native() const override { return false; }
  std::optional<SecureBytes> unwrap(std::span<const Stanza> stanzas) const override {
    if (stanzas.size() == 1 && stanzas[0].type == "scrypt")
      usage(
          "the file is passphrase-encrypted but identities were specified with -i/--identity; "
          "remove them "
          "to decrypt it with a passphrase");
    return std::nullopt;
  }
  std::unique_ptr<Recipient> recipient() const override { usage("internal: no recipient"); }
};

SecretString prompt_new_passphrase() {
  SecretString p = read_secret("Enter passphrase:");
  if (p.empty()) usage("the passphrase can't be empty");
  SecretString again = read_secret("Confirm passphrase:");
  if (again.str() != p.str()) usage("the passphrases didn't match");
  return p;
}

void pump(Source& in, Sink& out) {
  SecureBytes buf(128 << 10);  // big enough to amortise syscalls, small for the RSS budget
  for (std::size_t r; (r = in.read(buf.data(), buf.size())) > 0;)
    out.write(buf.data(), r);
}

int run_age(const AgeOptions& o) {
  check_plugins(o.plugins);
  bool batchpass = !o.plugins.empty();
  if (o.decrypt) {
    if (o.encrypt) usage("-e/--encrypt can't be used with -d/--decrypt");
    if (o.armor)
      usage("-a/--armor can't be used with -d/--decrypt; armored files are detected automatically");
    if (o.passphrase)
      usage(
          "-p/--passphrase can't be used with -d/--decrypt; passphrase-encrypted files are "
          "detected "
          "automatically");
    if (!o.recipients.empty() || !o.recipient_files.empty())
      usage(
          "-r/--recipient and -R/--recipients-file can't be used with -d/--decrypt; did you mean "
          "-i/--identity?");
  } else {
    if (!o.identities.empty() && !o.encrypt)
      usage(
          "-i/--identity can't be used in encryption mode unless -e/--encrypt is given; did you "
          "forget "
          "-d/--decrypt?");
    if (o.recipients.empty() && o.recipient_files.empty() && o.identities.empty() &&
        !o.passphrase && !batchpass)
      usage("missing recipients; specify -r/--recipient, -R/--recipients-file or -p/--passphrase");
    if (o.passphrase &&
        (!o.recipients.empty() || !o.recipient_files.empty() || !o.identities.empty() || batchpass))
      usage("-p/--passphrase can't be combined with -r, -R, -i or -j");
  }

  Stdin in_use;
  int in_fd = 0;
  std::string in_name = "standard input";
  if (!o.input.empty() && o.input != "-") {
    in_fd = ::open(o.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (in_fd < 0) throw IoError("failed to open input file " + quoted(o.input), errno);
    in_name = quoted(o.input);
  } else {
    in_use.claim("the input");
  }
  struct CloseFd {
    int fd;
    ~CloseFd() {
      if (fd > 0) ::close(fd);
    }
  } close_in{in_fd};

  if (!o.output.empty() && o.output != "-") {
    std::vector<std::string> inputs = o.identities;
    inputs.insert(inputs.end(), o.recipient_files.begin(), o.recipient_files.end());
    if (!o.input.empty()) inputs.push_back(o.input);
    for (const auto& f : inputs)
      if (same_file(f, o.output)) usage("input and output file are the same: " + quoted(o.output));
  }

  if (o.decrypt) {
    Identities ids;
    for (const auto& f : o.identities) {
      auto contents = read_named(f, 16 << 20, in_use, "an identity file");
      auto parsed = parse_identities_file(contents, f, read_secret);
      for (auto& id : parsed)
        ids.push_back(std::move(id));
    }
    if (batchpass)
      ids.push_back(std::make_unique<ScryptIdentity>(
          env_passphrase(),
          env_work_factor("AGE_PASSPHRASE_MAX_WORK_FACTOR", kScryptMaxWorkFactor)));
    if (ids.empty())
      ids.push_back(std::make_unique<PromptedScryptIdentity>());
    else if (!batchpass)
      ids.push_back(std::make_unique<RejectScryptIdentity>());
    FdSource src(in_fd, in_name);
    BufferedReader in(src, 256 << 10);
    Output out(o.output, 0600);
    decrypt_any(in, ids, out.sink());
    out.commit();
    return 0;
  }

  Recipients recs;
  std::vector<std::string> warnings;
  for (const auto& r : o.recipients)
    recs.push_back(parse_recipient(r));
  for (const auto& f : o.recipient_files) {
    auto contents = read_named(f, 16 << 20, in_use, "a recipients file");
    for (auto& r : parse_recipients_file(as_string(contents), f, &warnings))
      recs.push_back(std::move(r));
  }
  for (const auto& f : o.identities) {
    auto contents = read_named(f, 16 << 20, in_use, "an identity file");
    for (auto& id : parse_identities_file(contents, f, read_secret))
      recs.push_back(id->recipient());
  }
  if (o.passphrase) recs.push_back(std::make_unique<ScryptRecipient>(prompt_new_passphrase()));
  if (batchpass)
    recs.push_back(std::make_unique<ScryptRecipient>(
        env_passphrase(), env_work_factor("AGE_PASSPHRASE_WORK_FACTOR", kScryptDefaultWorkFactor)));
  for (const auto& w : warnings)
    std::cerr << "varan age: warning: " << w << "\n";

  if ((o.output.empty()) && is_terminal(1) && !o.armor)
    usage(
        "refusing to output binary to the terminal; did you mean to use -a/--armor? (force with "
        "\"-o -\")");
  FdSource src(in_fd, in_name);
  Output out(o.output, masked_mode(0666));
  Encryptor enc(out.sink(), recs, o.armor);
  pump(src, enc);
  enc.finish();
  out.commit();
  return 0;
}

int run_keygen(const KeygenOptions& o) {
  int fd = 1;
  std::string out_name = "standard output";
  if (!o.output.empty() && o.output != "-") {
    fd = ::open(o.output.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw IoError("failed to open output file " + quoted(o.output), errno);
    out_name = quoted(o.output);
  }
  bool done = false;
  struct Cleanup {
    int fd;
    const std::string& path;
    bool& done;
    ~Cleanup() {
      if (fd != 1) {
        ::close(fd);
        if (!done) ::unlink(path.c_str());
      }
    }
  } cleanup{fd, o.output, done};
  FdSink out(fd, out_name);

  if (o.convert) {
    Stdin in_use;
    auto contents = read_named(o.input.empty() ? "-" : o.input, 16 << 20, in_use, "the input");
    auto ids =
        parse_identity_lines(as_string(contents), o.input.empty() ? "standard input" : o.input);
    std::string text;
    for (const auto& id : ids)
      text += id->recipient()->str() + "\n";
    out.write(text);
    done = true;
    return 0;
  }
  if (!o.input.empty()) usage("too many arguments");
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0004))
    std::cerr << "varan age keygen: warning: writing secret key to a world-readable file\n";
  auto id = X25519Identity::generate();
  if (!is_terminal(fd)) std::cerr << "Public key: " << id->recipient()->str() << "\n";
  auto text = keygen_text(*id, std::time(nullptr));
  out.write(text.str());
  if (fd != 1 && ::fsync(fd) != 0) throw IoError("failed to write " + out_name, errno);
  done = true;
  return 0;
}

int guarded(const char* who, const std::function<int()>& f) {
  try {
    return f();
  } catch (const varan::Error& e) {
    std::cerr << who << ": error: " << e.what() << "\n";
  } catch (const std::bad_alloc&) {
    std::cerr << who << ": error: out of memory\n";
  }
  return 1;
}

}  // namespace

std::function<std::optional<int>()> add_age_command(CLI::App& app) {
  auto o = std::make_shared<AgeOptions>();
  auto k = std::make_shared<KeygenOptions>();
  auto* age = app.add_subcommand("age", "Encrypt and decrypt age files (flags as in the age CLI)");
  age->add_flag("-e,--encrypt", o->encrypt, "Encrypt the input to the output (the default)");
  age->add_flag("-d,--decrypt", o->decrypt, "Decrypt the input to the output");
  age->add_option("-o,--output", o->output, "Write the result to the file at OUTPUT")
      ->type_name("OUTPUT");
  age->add_flag("-a,--armor", o->armor, "Encrypt to a PEM encoded format");
  age->add_flag("-p,--passphrase", o->passphrase,
                "Encrypt with a passphrase (asked on the terminal)");
  age->add_option("-r,--recipient", o->recipients, "Encrypt to RECIPIENT (repeatable)")
      ->type_name("RECIPIENT");
  age->add_option("-R,--recipients-file", o->recipient_files,
                  "Encrypt to the recipients listed at PATH (repeatable)")
      ->type_name("PATH");
  age->add_option("-i,--identity", o->identities, "Use the identity file at PATH (repeatable)")
      ->type_name("PATH");
  age->add_option(
         "-j", o->plugins,
         "Built-in plugin: batchpass (passphrase from AGE_PASSPHRASE or AGE_PASSPHRASE_FD)")
      ->type_name("PLUGIN");
  age->add_option("INPUT", o->input, "Input file (default: standard input)");
  // Repeatable options take exactly one value per occurrence, as in age: "-i key file.age"
  // names an identity and an input, never two identities.
  for (auto* opt : age->get_options())
    if (opt->get_type_size() != 0) opt->allow_extra_args(false);

  auto* keygen = age->add_subcommand("keygen", "Generate an X25519 key pair, as age-keygen does");
  keygen
      ->add_option("-o,--output", k->output,
                   "Write the key to OUTPUT (never overwritten, mode 0600)")
      ->type_name("OUTPUT");
  keygen->add_flag("-y", k->convert, "Convert an identity file to a recipients file");
  keygen->add_option("INPUT", k->input, "Identity file for -y (default: standard input)");

  return [age, keygen, o, k]() -> std::optional<int> {
    if (keygen->parsed()) return guarded("varan age keygen", [&] { return run_keygen(*k); });
    if (age->parsed()) return guarded("varan age", [&] { return run_age(*o); });
    return std::nullopt;
  };
}

}  // namespace varan::cli
