#include "secrets/age/ssh.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "common/base64.h"
#include "secrets/age/errors.h"
#include "secrets/primitives.h"

namespace varan::age::ssh {

namespace {

constexpr std::string_view kEd25519Label = "age-encryption.org/v1/ssh-ed25519";
constexpr std::string_view kRsaLabel = "age-encryption.org/v1/ssh-rsa";

[[noreturn]] void key_error(const std::string& why) { throw Error(Failure::kKey, why); }

// ---- SSH wire format (RFC 4251) ----

class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> d) : d_(d) {}
  bool u32(std::uint32_t& v) {
    if (d_.size() < 4) return false;
    v = (std::uint32_t(d_[0]) << 24) | (std::uint32_t(d_[1]) << 16) | (std::uint32_t(d_[2]) << 8) |
        d_[3];
    d_ = d_.subspan(4);
    return true;
  }
  bool bytes(std::span<const std::uint8_t>& out) {
    std::uint32_t n;
    if (!u32(n) || d_.size() < n) return false;
    out = d_.first(n);
    d_ = d_.subspan(n);
    return true;
  }
  bool str(std::string& out) {
    std::span<const std::uint8_t> b;
    if (!bytes(b)) return false;
    out.assign(as_string(b));
    return true;
  }
  std::span<const std::uint8_t> rest() const { return d_; }
  bool empty() const { return d_.empty(); }

 private:
  std::span<const std::uint8_t> d_;
};

void put_u32(Bytes& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i)
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_bytes(Bytes& out, std::span<const std::uint8_t> b) {
  put_u32(out, static_cast<std::uint32_t>(b.size()));
  out.insert(out.end(), b.begin(), b.end());
}
void put_str(Bytes& out, std::string_view s) { put_bytes(out, as_bytes(s)); }

// ---- OpenSSL helpers ----

struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

Bn bn(std::span<const std::uint8_t> big_endian) {
  return Bn(BN_bin2bn(big_endian.data(), static_cast<int>(big_endian.size()), nullptr));
}

Bytes mpint(const BIGNUM* b) {
  Bytes v(static_cast<std::size_t>(BN_num_bytes(b)));
  BN_bn2bin(b, v.data());
  if (!v.empty() && (v[0] & 0x80)) v.insert(v.begin(), 0);
  return v;
}

std::string fingerprint(std::span<const std::uint8_t> wire) {
  auto h = crypto::sha256(wire);
  return b64(std::span(h).first(4));
}

std::string authorized_key(std::string_view type, std::span<const std::uint8_t> wire) {
  return std::string(type) + " " + base64::encode(wire);
}

// u = (1 + y) / (1 - y) mod p for an Edwards25519 point (x, y), after checking that the
// encoding is a point on the curve.
std::optional<std::array<std::uint8_t, 32>> edwards_to_montgomery(
    std::span<const std::uint8_t> pk) {
  if (pk.size() != 32) return std::nullopt;
  std::array<std::uint8_t, 32> be;
  for (int i = 0; i < 32; ++i)
    be[i] = pk[31 - i];
  be[0] &= 0x7f;  // the sign of x
  std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
  Bn p(BN_new()), y = bn(be), one(BN_new()), t(BN_new()), num(BN_new()), den(BN_new()), d(BN_new()),
                  y2(BN_new()), e(BN_new());
  BN_set_word(p.get(), 1);
  BN_lshift(p.get(), p.get(), 255);
  BN_sub_word(p.get(), 19);
  BN_one(one.get());
  BN_nnmod(y.get(), y.get(), p.get(), ctx.get());
  // d = -121665 / 121666
  BN_set_word(t.get(), 121666);
  BN_mod_inverse(t.get(), t.get(), p.get(), ctx.get());
  BN_set_word(d.get(), 121665);
  BN_mod_mul(d.get(), d.get(), t.get(), p.get(), ctx.get());
  BN_mod_sub(d.get(), p.get(), d.get(), p.get(), ctx.get());
  // x^2 = (y^2 - 1) / (d y^2 + 1) must be a square.
  BN_mod_sqr(y2.get(), y.get(), p.get(), ctx.get());
  BN_mod_sub(num.get(), y2.get(), one.get(), p.get(), ctx.get());
  BN_mod_mul(den.get(), d.get(), y2.get(), p.get(), ctx.get());
  BN_mod_add(den.get(), den.get(), one.get(), p.get(), ctx.get());
  if (BN_is_zero(den.get())) return std::nullopt;
  BN_mod_inverse(t.get(), den.get(), p.get(), ctx.get());
  BN_mod_mul(t.get(), t.get(), num.get(), p.get(), ctx.get());
  if (!BN_is_zero(t.get())) {
    BN_sub(e.get(), p.get(), one.get());
    BN_rshift1(e.get(), e.get());
    BN_mod_exp(t.get(), t.get(), e.get(), p.get(), ctx.get());
    if (!BN_is_one(t.get())) return std::nullopt;
  }
  BN_mod_sub(den.get(), one.get(), y.get(), p.get(), ctx.get());
  if (BN_is_zero(den.get())) return std::nullopt;
  BN_mod_add(num.get(), one.get(), y.get(), p.get(), ctx.get());
  BN_mod_inverse(den.get(), den.get(), p.get(), ctx.get());
  BN_mod_mul(num.get(), num.get(), den.get(), p.get(), ctx.get());
  std::array<std::uint8_t, 32> u{};
  if (BN_bn2lebinpad(num.get(), u.data(), 32) != 32) return std::nullopt;
  return u;
}

// The tweak binds the shared secret to the whole SSH public key: HKDF with an empty input
// key and the key's wire encoding as the salt.
crypto::Key32 ed25519_tweak(std::span<const std::uint8_t> wire) {
  crypto::Key32 t;
  crypto::hkdf_sha256({}, wire, kEd25519Label, t);
  return t;
}

SecureBytes ed25519_wrap_key(std::span<const std::uint8_t, 32> shared,
                             std::span<const std::uint8_t> wire,
                             std::span<const std::uint8_t> share,
                             std::span<const std::uint8_t> pub) {
  auto tweaked = crypto::x25519(ed25519_tweak(wire), shared);
  if (!tweaked) throw Error(Failure::kHeader, "invalid ssh-ed25519 stanza: low-order share");
  Bytes salt(share.begin(), share.end());
  salt.insert(salt.end(), pub.begin(), pub.end());
  SecureBytes key(32);
  crypto::hkdf_sha256(*tweaked, salt, kEd25519Label, key);
  wipe(tweaked->data(), tweaked->size());
  return key;
}

// ---- ssh-ed25519 ----

class Ed25519Recipient final : public Recipient {
 public:
  Ed25519Recipient(Bytes wire, std::array<std::uint8_t, 32> mont)
      : wire_(std::move(wire)), mont_(mont) {}
  std::vector<Stanza> wrap(FileKey file_key) const override {
    SecureBytes eph(32);
    crypto::random_bytes(eph);
    std::span<const std::uint8_t, 32> e(eph.data(), 32);
    auto share = crypto::x25519_base(e);
    auto shared = crypto::x25519(e, mont_);
    if (!shared) key_error("invalid ssh-ed25519 recipient: low-order point");
    auto key = ed25519_wrap_key(*shared, wire_, share, mont_);
    wipe(shared->data(), shared->size());
    return {Stanza{"ssh-ed25519",
                   {fingerprint(wire_), b64(share)},
                   aead_wrap(std::span<const std::uint8_t, 32>(key.data(), 32), file_key)}};
  }
  std::string str() const override { return authorized_key("ssh-ed25519", wire_); }

 private:
  Bytes wire_;
  std::array<std::uint8_t, 32> mont_;
};

class Ed25519Identity final : public Identity {
 public:
  Ed25519Identity(std::span<const std::uint8_t> seed, Bytes wire) : wire_(std::move(wire)) {
    auto h = crypto::sha512(seed);
    std::copy_n(h.begin(), 32, secret_.begin());
    wipe(h.data(), h.size());
    pub_ = crypto::x25519_base(secret_);
  }
  ~Ed25519Identity() override { wipe(secret_.data(), secret_.size()); }
  bool native() const override { return false; }
  std::optional<SecureBytes> unwrap(std::span<const Stanza> stanzas) const override {
    for (const auto& s : stanzas) {
      if (s.type != "ssh-ed25519") continue;
      if (s.args.size() != 2)
        throw Error(Failure::kHeader, "invalid ssh-ed25519 stanza: wrong number of arguments");
      auto share = unb64(s.args[1]);
      if (!share || share->size() != 32)
        throw Error(Failure::kHeader, "invalid ssh-ed25519 stanza: malformed share");
      if (s.args[0] != fingerprint(wire_)) continue;
      std::span<const std::uint8_t, 32> sh(share->data(), 32);
      auto shared = crypto::x25519(secret_, sh);
      if (!shared) throw Error(Failure::kHeader, "invalid ssh-ed25519 stanza: low-order share");
      auto key = ed25519_wrap_key(*shared, wire_, sh, pub_);
      wipe(shared->data(), shared->size());
      auto fk =
          aead_unwrap(std::span<const std::uint8_t, 32>(key.data(), 32), s.body, "ssh-ed25519");
      if (!fk) throw Error(Failure::kHeader, "ssh-ed25519 stanza: failed to decrypt the file key");
      return fk;
    }
    return std::nullopt;
  }
  std::unique_ptr<Recipient> recipient() const override {
    return std::make_unique<Ed25519Recipient>(wire_, pub_);
  }

 private:
  Bytes wire_;
  std::array<std::uint8_t, 32> secret_;
  std::array<std::uint8_t, 32> pub_;
};

// ---- ssh-rsa ----

Pkey rsa_key(const BIGNUM* n, const BIGNUM* e, const BIGNUM* d = nullptr, const BIGNUM* p = nullptr,
             const BIGNUM* q = nullptr) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
  Bn dp(BN_new()), dq(BN_new()), qinv(BN_new()), t(BN_new());
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
  if (d != nullptr) {
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d);
    BN_sub(t.get(), p, BN_value_one());
    BN_mod(dp.get(), d, t.get(), ctx.get());
    BN_sub(t.get(), q, BN_value_one());
    BN_mod(dq.get(), d, t.get(), ctx.get());
    BN_mod_inverse(qinv.get(), q, p, ctx.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq.get());
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv.get());
  }
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  OSSL_PARAM_BLD_free(bld);
  PkeyCtx pctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  bool ok =
      params != nullptr && pctx && EVP_PKEY_fromdata_init(pctx.get()) == 1 &&
      EVP_PKEY_fromdata(pctx.get(), &key, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) == 1;
  OSSL_PARAM_free(params);
  if (!ok) {
    ERR_clear_error();
    key_error("invalid RSA key");
  }
  return Pkey(key);
}

void oaep_setup(EVP_PKEY_CTX* ctx) {
  auto* label = static_cast<unsigned char*>(OPENSSL_memdup(kRsaLabel.data(), kRsaLabel.size()));
  if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, static_cast<int>(kRsaLabel.size())) != 1) {
    OPENSSL_free(label);
    ERR_clear_error();
    throw Error(Failure::kKey, "RSA-OAEP setup failed");
  }
}

class RsaRecipient final : public Recipient {
 public:
  RsaRecipient(Bytes wire, Pkey key) : wire_(std::move(wire)), key_(std::move(key)) {}
  std::vector<Stanza> wrap(FileKey file_key) const override {
    PkeyCtx ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1) key_error("RSA-OAEP init failed");
    oaep_setup(ctx.get());
    std::size_t len = 0;
    EVP_PKEY_encrypt(ctx.get(), nullptr, &len, file_key.data(), file_key.size());
    Bytes out(len);
    if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, file_key.data(), file_key.size()) != 1) {
      ERR_clear_error();
      key_error("RSA-OAEP encryption failed");
    }
    out.resize(len);
    return {Stanza{"ssh-rsa", {fingerprint(wire_)}, std::move(out)}};
  }
  std::string str() const override { return authorized_key("ssh-rsa", wire_); }

 private:
  Bytes wire_;
  Pkey key_;
};

class RsaIdentity final : public Identity {
 public:
  RsaIdentity(Bytes wire, Pkey key) : wire_(std::move(wire)), key_(std::move(key)) {}
  bool native() const override { return false; }
  std::optional<SecureBytes> unwrap(std::span<const Stanza> stanzas) const override {
    for (const auto& s : stanzas) {
      if (s.type != "ssh-rsa") continue;
      if (s.args.size() != 1)
        throw Error(Failure::kHeader, "invalid ssh-rsa stanza: wrong number of arguments");
      if (s.args[0] != fingerprint(wire_)) continue;
      PkeyCtx ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
      if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1) key_error("RSA-OAEP init failed");
      oaep_setup(ctx.get());
      SecureBytes out(static_cast<std::size_t>(EVP_PKEY_get_size(key_.get())));
      std::size_t len = out.size();
      if (EVP_PKEY_decrypt(ctx.get(), out.data(), &len, s.body.data(), s.body.size()) != 1) {
        ERR_clear_error();
        throw Error(Failure::kHeader, "ssh-rsa stanza: failed to decrypt the file key");
      }
      out.resize(len);
      return out;
    }
    return std::nullopt;
  }
  std::unique_ptr<Recipient> recipient() const override {
    EVP_PKEY_up_ref(key_.get());
    return std::make_unique<RsaRecipient>(wire_, Pkey(key_.get()));
  }

 private:
  Bytes wire_;
  Pkey key_;
};

Bytes rsa_wire(const BIGNUM* n, const BIGNUM* e) {
  Bytes w;
  put_str(w, "ssh-rsa");
  put_bytes(w, mpint(e));
  put_bytes(w, mpint(n));
  return w;
}

Bytes ed25519_wire(std::span<const std::uint8_t> pub) {
  Bytes w;
  put_str(w, "ssh-ed25519");
  put_bytes(w, pub);
  return w;
}

std::unique_ptr<Recipient> recipient_from_wire(std::span<const std::uint8_t> wire,
                                               const std::string& shown) {
  WireReader r(wire);
  std::string type;
  if (!r.str(type)) key_error("malformed SSH recipient \"" + shown + "\"");
  if (type == "ssh-ed25519") {
    std::span<const std::uint8_t> pk;
    if (!r.bytes(pk) || pk.size() != 32 || !r.empty())
      key_error("malformed SSH recipient \"" + shown + "\"");
    auto mont = edwards_to_montgomery(pk);
    if (!mont) key_error("malformed SSH recipient \"" + shown + "\": invalid Ed25519 public key");
    return std::make_unique<Ed25519Recipient>(Bytes(wire.begin(), wire.end()), *mont);
  }
  if (type == "ssh-rsa") {
    std::span<const std::uint8_t> e, n;
    if (!r.bytes(e) || !r.bytes(n) || !r.empty())
      key_error("malformed SSH recipient \"" + shown + "\"");
    Bn bn_e = bn(e), bn_n = bn(n);
    if (BN_num_bits(bn_n.get()) < 2048)
      key_error("malformed SSH recipient \"" + shown + "\": RSA key size is too small");
    return std::make_unique<RsaRecipient>(Bytes(wire.begin(), wire.end()),
                                          rsa_key(bn_n.get(), bn_e.get()));
  }
  key_error("unknown SSH recipient type \"" + type + "\"");
}

// The body of an unencrypted "openssh-key-v1" private key.
std::unique_ptr<Identity> parse_openssh(std::span<const std::uint8_t> blob, std::string_view name) {
  auto bad = [&](const std::string& why) -> std::unique_ptr<Identity> {
    key_error("malformed SSH identity in \"" + std::string(name) + "\": " + why);
  };
  constexpr std::string_view kMagic("openssh-key-v1\0", 15);
  if (blob.size() < kMagic.size() || as_string(blob.first(kMagic.size())) != kMagic)
    return bad("not an OpenSSH private key");
  WireReader r(blob.subspan(kMagic.size()));
  std::string cipher, kdf, kdfopts;
  std::uint32_t count;
  std::span<const std::uint8_t> pub, priv;
  if (!r.str(cipher) || !r.str(kdf) || !r.str(kdfopts) || !r.u32(count) || count != 1 ||
      !r.bytes(pub) || !r.bytes(priv))
    return bad("truncated key");
  if (cipher != "none")
    key_error("the SSH key in \"" + std::string(name) +
              "\" is passphrase-protected, which is not supported; remove the passphrase with "
              "\"ssh-keygen -p -f " +
              std::string(name) + "\" or use an age identity");
  WireReader p(priv);
  std::uint32_t c1, c2;
  std::string type;
  if (!p.u32(c1) || !p.u32(c2) || c1 != c2 || !p.str(type)) return bad("corrupted private section");
  if (type == "ssh-ed25519") {
    std::span<const std::uint8_t> pk, sk;
    if (!p.bytes(pk) || !p.bytes(sk) || pk.size() != 32 || sk.size() != 64)
      return bad("corrupted ed25519 key");
    if (std::memcmp(sk.data() + 32, pk.data(), 32) != 0) return bad("inconsistent ed25519 key");
    return std::make_unique<Ed25519Identity>(sk.first(32), ed25519_wire(pk));
  }
  if (type == "ssh-rsa") {
    std::span<const std::uint8_t> n, e, d, iqmp, pp, q;
    if (!p.bytes(n) || !p.bytes(e) || !p.bytes(d) || !p.bytes(iqmp) || !p.bytes(pp) || !p.bytes(q))
      return bad("corrupted RSA key");
    Bn bn_n = bn(n), bn_e = bn(e), bn_d = bn(d), bn_p = bn(pp), bn_q = bn(q);
    auto key = rsa_key(bn_n.get(), bn_e.get(), bn_d.get(), bn_p.get(), bn_q.get());
    return std::make_unique<RsaIdentity>(rsa_wire(bn_n.get(), bn_e.get()), std::move(key));
  }
  key_error("unsupported SSH identity type \"" + type + "\" in \"" + std::string(name) + "\"");
}

// PKCS#1 / PKCS#8 PEM keys, which OpenSSL reads itself.
std::unique_ptr<Identity> parse_pem(std::span<const std::uint8_t> pem, std::string_view name) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  // An empty passphrase callback: encrypted keys fail to load instead of prompting.
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(
      bio, nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
  BIO_free(bio);
  ERR_clear_error();
  if (raw == nullptr)
    key_error("malformed SSH identity in \"" + std::string(name) +
              "\": not an unencrypted OpenSSH, PKCS#1 or PKCS#8 private key");
  Pkey key(raw);
  if (EVP_PKEY_get_base_id(raw) == EVP_PKEY_ED25519) {
    std::array<std::uint8_t, 32> seed, pk;
    std::size_t sl = 32, pl = 32;
    EVP_PKEY_get_raw_private_key(raw, seed.data(), &sl);
    EVP_PKEY_get_raw_public_key(raw, pk.data(), &pl);
    auto id = std::make_unique<Ed25519Identity>(seed, ed25519_wire(pk));
    wipe(seed.data(), seed.size());
    return id;
  }
  if (EVP_PKEY_get_base_id(raw) == EVP_PKEY_RSA) {
    BIGNUM *n = nullptr, *e = nullptr;
    EVP_PKEY_get_bn_param(raw, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(raw, OSSL_PKEY_PARAM_RSA_E, &e);
    Bn bn_n(n), bn_e(e);
    return std::make_unique<RsaIdentity>(rsa_wire(n, e), std::move(key));
  }
  key_error("unsupported SSH identity type in \"" + std::string(name) + "\"");
}

}  // namespace

bool looks_like_public_key(std::string_view line, std::string* type) {
  auto sp = line.find(' ');
  if (sp == std::string_view::npos) return false;
  auto rest = line.substr(sp + 1);
  auto blob = base64::decode(rest.substr(0, rest.find(' ')));
  if (!blob) return false;
  WireReader r(*blob);
  std::string t;
  if (!r.str(t) || t != line.substr(0, sp)) return false;
  if (type) *type = t;
  return true;
}

std::unique_ptr<Recipient> parse_recipient(std::string_view line) {
  std::string shown(line.substr(0, 120));
  auto sp = line.find(' ');
  if (sp == std::string_view::npos) key_error("malformed SSH recipient \"" + shown + "\"");
  auto rest = line.substr(sp + 1);
  auto blob = base64::decode(rest.substr(0, rest.find(' ')));
  if (!blob) key_error("malformed SSH recipient \"" + shown + "\": invalid base64");
  auto r = recipient_from_wire(*blob, shown);
  WireReader w(*blob);
  std::string t;
  w.str(t);
  if (t != line.substr(0, sp))
    key_error("malformed SSH recipient \"" + shown + "\": key type mismatch");
  return r;
}

std::unique_ptr<Identity> parse_identity(std::span<const std::uint8_t> pem, std::string_view name) {
  constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
  constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----";
  auto text = as_string(pem);
  auto b = text.find(kBegin);
  if (b == std::string_view::npos) return parse_pem(pem, name);
  auto e = text.find(kEnd, b);
  if (e == std::string_view::npos)
    key_error("malformed SSH identity in \"" + std::string(name) + "\": missing END line");
  std::string b64text;
  for (char c : text.substr(b + kBegin.size(), e - b - kBegin.size()))
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') b64text += c;
  auto blob = base64::decode(b64text);
  if (!blob) key_error("malformed SSH identity in \"" + std::string(name) + "\": invalid base64");
  return parse_openssh(*blob, name);
}

}  // namespace varan::age::ssh
